import { constants, PerformanceObserver } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { nodeFileSrc } from '../../node/drivers/fs';
import { h264Dec, type RawVideoPacket } from '../../node/elements/h264-dec';
import { fakeSink, identity, queue, tee } from '../../operators';
import { h264Parse } from '../../operators/h264-parse';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Caps, defineTransform, EOS, packet, pipe, type Packet } from '../../src';
import { RELEASE } from '../../src/memory/release';
import { VIDEO_META } from '../../src/video/meta';
import { encodeH264 } from '../fixtures/h264';
import { addon, decodeFile, ffmpegFrameMd5, md5, packedBytes } from './helpers';
import { requirePeer } from '../peers';

requirePeer('native', 'ffmpeg');

const MS = 1_000_000;

/** The addon with its decoders collected, to read their pool counters after a run. */
function tracked() {
  const decoders: InstanceType<typeof addon.NativeDecoder>[] = [];
  const Tracked = class extends addon.NativeDecoder {
    constructor(o: ConstructorParameters<typeof addon.NativeDecoder>[0]) {
      super(o);
      decoders.push(this);
    }
  };
  return { decoders, addon: { ...addon, NativeDecoder: Tracked } };
}

const leased = (p: RawVideoPacket): boolean => p.memory.domain === 'cpu' && typeof p.memory.release === 'function';

describe('h264Dec leases its frames to consumers that release them (RELEASE)', () => {
  it('released frames go straight back to the codec: a handful of buffers serve every frame, even with every Buffer still referenced', async () => {
    const path = await encodeH264({ profile: 'high', bframes: 3, frames: 120 });
    const ref = await ffmpegFrameMd5(path);
    const counts: number[] = [];
    for (const release of [true, false]) {
      const t = tracked();
      // Each frame hashed as it arrives, then kept only to stop the garbage collector returning the buffers.
      const r = await decodeFile(path, { threads: 2, addon: t.addon, videoMeta: true, release });
      expect(r.md5s).toEqual(ref);
      expect(r.frames.every(leased)).toBe(release);
      counts.push(t.decoders[0].poolStats().codecAllocated);
    }
    // Released: the codec reuses each buffer at once (its references, the frames in flight, a few more).
    expect(counts[0]).toBeLessThan(20);
    // Not released and still referenced: every frame kept its own buffer.
    expect(counts[1]).toBeGreaterThanOrEqual(120);
  });

  it('a tee gives a frame back only once its slowest branch is done: that branch still sees the right pictures', async () => {
    const path = await encodeH264({ profile: 'high', bframes: 3, frames: 60 });
    const ref = await ffmpegFrameMd5(path);
    const t = tracked();
    const slow: string[] = [];
    const fast: string[] = [];
    await pipe(
      nodeFileSrc(path),
      h264Parse(),
      h264Dec({ backend: 'software', addon: t.addon }),
      tee<RawVideoPacket>({
        branches: [
          fakeSink<RawVideoPacket>({ videoMeta: true, release: true, onPacket: (p) => void fast.push(leased(p) ? md5(packedBytes(p)) : 'not leased') }),
          // 40 frames behind at most: without the tee's reference the codec would have decoded over them.
          pipe(queue<RawVideoPacket>({ maxSizeBuffers: 40 }), identity<RawVideoPacket>({ sleepTime: 2 * MS }), fakeSink<RawVideoPacket>({ videoMeta: true, release: true, onPacket: (p) => void slow.push(md5(packedBytes(p))) })),
        ],
      }),
    ).run();
    expect(fast).toEqual(ref);
    expect(slow).toEqual(ref);
    expect(t.decoders[0].poolStats().codecAllocated).toBeLessThan(60);
  });

  it('leased frames do not drive the garbage collector: far fewer full collections than frames returned by it', async () => {
    const path = await encodeH264({ profile: 'high', frames: 180, width: 1920, height: 1080 });
    const gcs: number[] = [];
    for (const release of [true, false]) {
      let n = 0;
      // Full collections (mark-compact): what external memory pressure triggers; scavenges are cheap.
      const obs = new PerformanceObserver((l) => void (n += l.getEntries().filter((e) => ((e as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR).length));
      obs.observe({ entryTypes: ['gc'] });
      await pipe(nodeFileSrc(path), h264Parse(), h264Dec({ backend: 'software' }), fakeSink<RawVideoPacket>({ videoMeta: true, release, onPacket: () => undefined })).run();
      // Entries are delivered asynchronously: one more turn of the event loop.
      await new Promise((r) => setTimeout(r, 20));
      obs.disconnect();
      gcs.push(n);
    }
    // Unreleased, every 3 MB frame is new external memory to V8 until collected: a collection every few
    // frames. Leased, V8 is told of the codec's blocks once, and the frames recycle them without a collection.
    expect(gcs[1]).toBeGreaterThanOrEqual(5);
    expect(gcs[0]).toBeLessThanOrEqual(gcs[1] / 3);
  });

  it('a leased frame lost without a release (a buggy element) still goes back once it is garbage collected', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const path = await encodeH264({ profile: 'high', bframes: 2, frames: 120 });
    const t = tracked();
    let n = 0;
    // Claims RELEASE but drops every frame on the floor, never releasing it; collects now and then.
    const forgetful = defineTransform<RawVideoPacket, Packet>({
      factory: 'forgetful',
      props: {},
      sinkCaps: Caps.any(),
      srcCaps: Caps.parse('application/x-nothing'),
      metas: [VIDEO_META, RELEASE],
      open: (ctx, up) => ({
        async pull(signal) {
          const p = await up.pull(signal);
          if (p === EOS) return EOS;
          if (++n % 10 === 0) {
            gc();
            await new Promise((r) => setTimeout(r, 1));
          }
          return packet({ caps: ctx.outputCaps, pts: p.pts });
        },
      }),
    });
    await pipe(nodeFileSrc(path), h264Parse(), h264Dec({ backend: 'software', threads: 1, addon: t.addon }), forgetful, fakeSink()).run();
    expect(n).toBe(120);
    // Every frame had been leased and lost: only the FinalizationRegistry gave their buffers back.
    expect(t.decoders[0].poolStats().codecAllocated).toBeLessThan(60);
  });

  it("a block's ArrayBuffer is made once while the codec's pool holds the block, through collections, and let go after close", async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const path = await encodeH264({ profile: 'main', frames: 90, width: 640, height: 360 });
    const t = tracked();
    const seen: WeakRef<ArrayBufferLike>[] = [];
    let made = 0;
    let n = 0;
    // Views are dropped at once; a collection every 10 frames takes every ArrayBuffer nothing holds.
    const watch = (p: RawVideoPacket): void => {
      const ab = (p.memory.data as Uint8Array).buffer;
      if (!seen.some((w) => w.deref() === ab)) {
        made++;
        seen.push(new WeakRef(ab));
      }
      if (++n % 10 === 0) gc();
    };
    await pipe(
      nodeFileSrc(path),
      h264Parse(),
      h264Dec({ backend: 'software', threads: 1, addon: t.addon }),
      fakeSink<RawVideoPacket>({ videoMeta: true, release: true, onPacket: watch })
    ).run();
    expect(n).toBe(90);
    // One ArrayBuffer per block, not one per block per collection (V8 would count its bytes again each time).
    const blocks = t.decoders[0].poolStats().codecAllocated;
    expect(made).toBeLessThanOrEqual(blocks);
    // Closed (the run ended): the blocks' ArrayBuffers go with their last views.
    gc();
    await new Promise((r) => setTimeout(r, 10));
    gc();
    expect(seen.filter((w) => w.deref() !== undefined)).toHaveLength(0);
  });

  it('a frame read after its release and after the decoder closed is still valid memory (a newer picture at worst)', async () => {
    const path = await encodeH264({ profile: 'main', frames: 40, width: 640, height: 360 });
    const t = tracked();
    const kept = (await decodeFile(path, { addon: t.addon, videoMeta: true, release: true })).frames;
    expect(t.decoders[0].closed).toBe(true);
    expect(kept.every(leased)).toBe(true);
    // Every byte of every frame readable: the blocks outlive the codec's pool while JS holds them.
    let sum = 0;
    for (const p of kept) for (const b of p.memory.data) sum += b;
    expect(sum).toBeGreaterThan(0);
    // Releasing again, after the decoder is gone, does nothing.
    for (const p of kept) (p.memory as { release(): void }).release();
  });
});
