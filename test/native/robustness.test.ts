import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installNodeFileOpener } from '../../node/drivers/fs';
import { h264Dec, type RawVideoPacket } from '../../node/elements/h264-dec';
import { loadNative, NativeAddonError } from '../../node/native/loader';
import { fakeSink } from '../../operators/fake-sink';
import { cliRegistry } from '../../node/cli/registry';
import { caps, pipe, type Packet } from '../../src';
import { parseLaunch } from '../../operators/launch';
import { readBytes, encodeH264 } from '../fixtures/h264';
import { defineSource } from '../../src/operator';
import { EOS } from '../../src/element';
import { cpuMemory } from '../../src/memory/memory';
import { PacketFlags } from '../../src/packet';
import { accessUnits, addon, run } from './helpers';
import { rawVideoInfo } from '../../src/video/format';
import { packedFrame, videoLayoutOf } from '../../src/video/meta';
import { requirePeer } from '../peers';

requirePeer('native', 'ffmpeg');

const AU_CAPS = caps('video/x-h264', { 'stream-format': 'byte-stream', alignment: 'au', framerate: { kind: 'fraction', num: 30, den: 1 } as never });

/** Access units as packets, straight to the decoder (no parser to repair or drop anything). */
function ausSrc(aus: readonly Uint8Array[], repeat = 1, flagsOf: (k: number) => number = () => 0) {
  return defineSource<Packet>({
    factory: 'ausSrc',
    props: {},
    srcCaps: AU_CAPS,
    open() {
      let i = 0;
      return {
        pull: () => {
          if (i >= aus.length * repeat) return EOS;
          const k = i++;
          const pts = Math.round((k * 1e9) / 30);
          return { caps: AU_CAPS, pts, dts: pts, duration: 33_333_333, flags: flagsOf(k), memory: cpuMemory(aus[k % aus.length]), meta: {} };
        },
      };
    },
  });
}

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('h264Dec robustness', () => {
  it('fuzz: random bytes and bit-flipped access units never crash the process', async () => {
    const aus = accessUnits(readBytes(await encodeH264({ profile: 'high', bframes: 2, frames: 30, aud: true, gop: 10 })));
    expect(aus.length).toBe(30);
    const rnd = prng(42);
    const fuzzed: Uint8Array[] = [];
    for (let round = 0; round < 8; round++) {
      for (const au of aus) {
        const b = au.slice();
        const flips = 1 + Math.floor(rnd() * 20);
        for (let k = 0; k < flips; k++) b[5 + Math.floor(rnd() * (b.length - 5))] ^= 1 << Math.floor(rnd() * 8);
        fuzzed.push(b);
      }
      // Pure noise, truncated units and start codes alone as well.
      fuzzed.push(Uint8Array.from({ length: 1 + Math.floor(rnd() * 5000) }, () => Math.floor(rnd() * 256)));
      fuzzed.push(aus[Math.floor(rnd() * aus.length)].subarray(0, 7));
      fuzzed.push(Uint8Array.of(0, 0, 0, 1));
    }
    for (const videoMeta of [false, true]) {
      const frames: RawVideoPacket[] = [];
      const stats = await pipe(
        ausSrc(fuzzed),
        h264Dec({ backend: 'software' }),
        fakeSink<RawVideoPacket>({ videoMeta, onPacket: (p) => void frames.push(p) })
      ).run();
      // Whatever came out is well-formed (unpacked frames: a layout checked against their buffer);
      // damage shows as CORRUPT frames or counted drops.
      for (const f of frames)
        expect(packedFrame(f.memory.data, videoLayoutOf(f, rawVideoInfo(f.caps))).byteLength).toBe(
          ((f.caps.get('width') as number) * (f.caps.get('height') as number) * 3) / 2
        );
      if (!videoMeta)
        for (const f of frames) expect(f.memory.data.byteLength).toBe(((f.caps.get('width') as number) * (f.caps.get('height') as number) * 3) / 2);
      expect(frames.every((f) => (f.meta.videoMeta !== undefined) === videoMeta)).toBe(true);
      const corrupt = frames.filter((f) => f.flags & PacketFlags.CORRUPT).length;
      const dropped = stats.elements.find((e) => e.factory === 'h264Dec')!.drops.corrupt ?? 0;
      expect(corrupt + dropped).toBeGreaterThan(0);
    }
    // And the decoder still decodes a clean stream afterwards, in the same process.
    const clean: RawVideoPacket[] = [];
    await pipe(ausSrc(aus), h264Dec({ backend: 'software' }), fakeSink<RawVideoPacket>({ onPacket: (p) => void clean.push(p) })).run();
    expect(clean).toHaveLength(30);
  }, 60_000);

  for (const [videoMeta, release] of [
    [false, false],
    [true, false],
    [true, true],
  ] as const) {
    const how = release ? ' handed on unpacked and released (leases)' : videoMeta ? ' handed on unpacked (VIDEO_META)' : '';
    it(`memory stays flat over 10,000 decoded frames${how}: frame buffers come back to their pool and are reused`, async () => {
      const aus = accessUnits(readBytes(await encodeH264({ profile: 'high', width: 320, height: 240, frames: 100, aud: true, gop: 50 })));
      const gc = (globalThis as { gc?: () => void }).gc;
      const decoders: InstanceType<typeof addon.NativeDecoder>[] = [];
      const Wrapped = class extends addon.NativeDecoder {
        constructor(o: ConstructorParameters<typeof addon.NativeDecoder>[0]) {
          super(o);
          decoders.push(this);
        }
      };
      let n = 0;
      let rssAt1k = 0;
      let rssMax = 0;
      await pipe(
        ausSrc(aus, 100),
        h264Dec({ backend: 'software', addon: { ...addon, NativeDecoder: Wrapped } }),
        fakeSink<RawVideoPacket>({
          videoMeta,
          release,
          onPacket: (p) => {
            expect(p.meta.videoMeta !== undefined).toBe(videoMeta);
            expect(p.memory.release !== undefined).toBe(release);
            n++;
            if (n % 500 === 0) {
              gc?.();
              const rss = process.memoryUsage().rss;
              if (n === 1000) rssAt1k = rss;
              if (n > 1000) rssMax = Math.max(rssMax, rss);
            }
          },
        })
      ).run();
      expect(n).toBe(10_000);
      // 10,000 frames are 1.15 GB of output: a leak of even one frame in ten would show as > 100 MB.
      expect(rssMax - rssAt1k).toBeLessThan(64 * 1024 * 1024);
      // Every frame came from the pool; once JS let go of a frame its buffer was decoded into again, so
      // a few hundred buffers at most served ten thousand frames (none would be reused if the Buffer
      // finalizers did not give them back, or if frames reached JS as copies).
      expect(decoders).toHaveLength(1);
      const s = decoders[0].poolStats();
      if (videoMeta) {
        // Frames left in libavcodec's own buffers: nothing packed, and the codec's one-block pool served
        // every picture from a few hundred buffers at most (none would come back if JS's references
        // were never released).
        expect(s.allocated + s.reused).toBe(0);
        expect(s.codecGets).toBeGreaterThanOrEqual(10_000);
        // Released, each buffer is back as soon as the sink is done: a handful serve every frame.
        expect(s.codecAllocated).toBeLessThan(release ? 20 : 1_000);
      } else {
        expect(s.allocated + s.reused).toBe(10_000);
        expect(s.reused).toBeGreaterThan(9_000);
        expect(s.allocated).toBeLessThan(1_000);
      }
    }, 120_000);
  }

  it('DISCONT on an input unit lands on its own frame, with units decoded ahead (throughput) and one at a time (live)', async () => {
    const aus = accessUnits(readBytes(await encodeH264({ profile: 'baseline', frames: 30, aud: true })));
    for (const live of [false, true]) {
      for (const threads of [1, 2]) {
        const frames: RawVideoPacket[] = [];
        await pipe(
          ausSrc(aus, 1, (k) => (k === 10 || k === 21 ? PacketFlags.DISCONT : 0)),
          h264Dec({ backend: 'software', live, threads }),
          fakeSink<RawVideoPacket>({ onPacket: (p) => void frames.push(p) })
        ).run();
        expect(frames).toHaveLength(30);
        const disconts = frames.flatMap((f, i) => (f.flags & PacketFlags.DISCONT ? [i] : []));
        // The first frame starts the stream; then the frames of units 10 and 21 (no reordering here).
        expect(disconts, `live=${live} threads=${threads}`).toEqual([0, 10, 21]);
      }
    }
  });

  it('abort mid-decode closes and frees the decoder, without a crash', async () => {
    const aus = accessUnits(readBytes(await encodeH264({ profile: 'high', width: 1280, height: 720, frames: 30, aud: true, preset: 'ultrafast' })));
    const ac = new AbortController();
    let n = 0;
    const decoders: { closed: boolean }[] = [];
    const Wrapped = class extends addon.NativeDecoder {
      constructor(o: ConstructorParameters<typeof addon.NativeDecoder>[0]) {
        super(o);
        decoders.push(this);
      }
    };
    const run1 = pipe(
      ausSrc(aus, 10),
      h264Dec({ backend: 'software', addon: { ...addon, NativeDecoder: Wrapped } }),
      fakeSink<RawVideoPacket>({ onPacket: () => void (++n === 20 && ac.abort(new Error('stop'))) })
    ).run({ signal: ac.signal });
    await expect(run1).rejects.toThrow();
    expect(n).toBeGreaterThanOrEqual(20);
    expect(n).toBeLessThan(300);
    expect(decoders).toHaveLength(1);
    expect(decoders[0].closed).toBe(true);
  });

  it('close() twice and use after close are errors, not crashes', async () => {
    const d = new addon.NativeDecoder({ backend: 'software' });
    d.close();
    d.close();
    await expect(d.decode(new Uint8Array([0, 0, 0, 1, 0x65]), 0, 0, true)).rejects.toThrow(/after close/);
  });

  it('asking for an unavailable backend names the reason', () => {
    const status = addon.probeBackends();
    expect(status.find((b) => b.name === 'software')?.available).toBe(true);
    for (const b of status.filter((s) => !s.available)) {
      expect(() => new addon.NativeDecoder({ backend: b.name })).toThrow(new RegExp(`backend '${b.name}' not available: .+`));
    }
  });
});

describe('native addon loading', () => {
  it('a missing addon is an error that says how to build it', () => {
    const path = join(tmpdir(), 'no-such-dir', 'g2g_native.node');
    expect(() => loadNative(path)).toThrow(NativeAddonError);
    expect(() => loadNative(path)).toThrow(/not available at .*no-such-dir.*file not found.*scripts\/build-native\.sh/);
    // The elements load it when built, so a pipeline fails before it starts, with the same message.
    const saved = process.env.G2G_NATIVE_ADDON;
    process.env.G2G_NATIVE_ADDON = path;
    try {
      expect(() => h264Dec()).toThrow(/native addon not available at .*no-such-dir.*build-native\.sh/);
    } finally {
      if (saved === undefined) delete process.env.G2G_NATIVE_ADDON;
      else process.env.G2G_NATIVE_ADDON = saved;
    }
  });

  it('the addon exports exactly what the generated native/index.d.ts declares', () => {
    const dts = readFileSync(new URL('../../native/index.d.ts', import.meta.url), 'utf8');
    const declared = [...dts.matchAll(/export declare (?:class|function) (\w+)/g)].map((m) => m[1]).sort();
    expect(Object.keys(addon).sort()).toEqual(declared);
    expect(declared).toEqual([
      'KmsDisplay',
      'NativeAudioDecoder',
      'NativeAudioEncoder',
      'NativeDecoder',
      'NativeEncoder',
      'PulseCapture',
      'PulsePlayback',
      'WaylandWindow',
      'decodePoolStats',
      'ffmpegVersion',
      'hasEncoder',
      'hwDeviceStats',
      'probeBackends',
      'setDecodePoolThreads',
    ]);
  });
});

describe('launch syntax', () => {
  it('fileSrc ! h264Parse ! h264Dec format=I420 ! fileSink writes what ffmpeg -f rawvideo -pix_fmt yuv420p writes', async () => {
    installNodeFileOpener();
    const registry = cliRegistry();
    const input = await encodeH264({ profile: 'high', bframes: 2, frames: 30 });
    const dir = mkdtempSync(join(tmpdir(), 'g2g-native-launch-'));
    const ours = join(dir, 'out.yuv');
    const ref = join(dir, 'ref.yuv');
    await parseLaunch(`fileSrc location=${input} ! h264Parse ! h264Dec format=I420 ! fileSink location=${ours}`, registry).run();
    await run('ffmpeg', ['-v', 'error', '-nostdin', '-i', input, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', ref]);
    const a = readFileSync(ours);
    expect(a.byteLength).toBe(30 * 320 * 240 * 1.5);
    expect(a.equals(readFileSync(ref))).toBe(true);
  });
});
