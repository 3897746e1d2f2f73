import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { h264Parse } from '../../operators/h264-parse';
import { Caps } from '../../src/caps';
import { mp4Mux } from '../../operators/mp4-mux';
import { AccessUnitAssembler, annexBNals, AvcGatherer, writeAccessUnit } from '../../src/codecs/h264';
import { Mp4Muxer } from '../../src/formats/mp4';
import { cpuMemory } from '../../src/memory/memory';
import { defineTransform, type Transform } from '../../src/operator';
import { PacketFlags, type CpuPacket, type Packet } from '../../src/packet';
import { pipe } from '../../src/pipeline/pipeline';
import { SECOND } from '../../src/time';
import { encodeH264, readBytes } from '../fixtures/h264';
import { bytesSrc } from '../h264/helpers';
import { collectSink, expectValidMp4, tempDir, writeBytes } from './helpers';
import { requirePeer } from '../peers';

requirePeer('ffmpeg', 'ffprobe', 'gstreamer');

/**
 * mp4Mux takes byte-stream access units too (what h264Parse ! mp4Mux now negotiates): it reframes them as
 * AVC samples made of length prefixes and views of the input, instead of h264Parse copying every unit
 * into AVC framing. The file must be byte for byte the one the avc path writes.
 */

let tmp: ReturnType<typeof tempDir>;
const streams: Record<string, Uint8Array> = {};

beforeAll(async () => {
  tmp = tempDir();
  streams.highB = readBytes(await encodeH264({ profile: 'high', bframes: 2, frames: 45, gop: 20 }));
  streams.slicesAud = readBytes(await encodeH264({ profile: 'main', bframes: 1, frames: 30, slices: 3, aud: true }));
  streams.baseline = readBytes(await encodeH264({ profile: 'baseline', frames: 30, width: 640, height: 360 }));
}, 120_000);
afterAll(() => tmp.cleanup());

/** Copies each packet's payload, so that the muxer finds no NAL layout recorded for it and must scan. */
function copyPayloads(): Transform<CpuPacket, CpuPacket> {
  return defineTransform<CpuPacket, CpuPacket>({
    factory: 'copyPayloads',
    props: {},
    sinkCaps: Caps.any(),
    srcCaps: Caps.any(),
    passthrough: true,
    open: (_ctx, up) => ({
      pull(signal) {
        const r = up.pull(signal);
        const map = (p: Awaited<typeof r>) => (typeof p === 'symbol' ? p : { ...p, memory: cpuMemory(p.memory.data.slice()) });
        return r instanceof Promise ? r.then(map) : map(r as Awaited<typeof r>);
      },
    }),
  });
}

async function mux(data: Uint8Array, o: { format?: 'avc' | 'byte-stream'; fragmented: boolean; copy?: boolean; chunk?: number }): Promise<{ bytes: Uint8Array; caps: string[] }> {
  const c = collectSink<Packet>();
  const seen: string[] = [];
  const tap = defineTransform<CpuPacket, CpuPacket>({
    factory: 'capsTap',
    props: {},
    sinkCaps: Caps.any(),
    srcCaps: Caps.any(),
    passthrough: true,
    open: (_ctx, up) => ({
      pull(signal) {
        const r = up.pull(signal);
        const note = (p: Awaited<typeof r>) => {
          if (typeof p !== 'symbol' && !seen.includes(String(p.caps.get('stream-format')))) seen.push(String(p.caps.get('stream-format')));
          return p;
        };
        return r instanceof Promise ? r.then(note) : note(r as Awaited<typeof r>);
      },
    }),
  });
  const parse = h264Parse(o.format ? { streamFormat: o.format } : {});
  const src = bytesSrc(data, { chunk: o.chunk ?? 4096 });
  const p = o.copy ? pipe(src, parse, copyPayloads(), tap, mp4Mux({ fragmented: o.fragmented }), c.sink) : pipe(src, parse, tap, mp4Mux({ fragmented: o.fragmented }), c.sink);
  await p.run();
  return { bytes: c.bytes(), caps: seen };
}

describe('mp4Mux with byte-stream input', () => {
  for (const name of ['highB', 'slicesAud', 'baseline']) {
    for (const fragmented of [true, false]) {
      it(`${name}, ${fragmented ? 'fragmented' : 'progressive'}: h264Parse ! mp4Mux negotiates byte-stream and writes the avc path's bytes`, async () => {
        const data = streams[name];
        const avc = await mux(data, { format: 'avc', fragmented });
        const annexB = await mux(data, { fragmented });
        expect(avc.caps).toEqual(['avc']);
        expect(annexB.caps).toEqual(['byte-stream']);
        expect(annexB.bytes.length).toBe(avc.bytes.length);
        expect(Buffer.compare(annexB.bytes, avc.bytes)).toBe(0);
        // Without the parser's recorded layout (payloads copied on the way), the muxer scans: same bytes.
        const scanned = await mux(data, { fragmented, copy: true, chunk: 977 });
        expect(Buffer.compare(scanned.bytes, avc.bytes)).toBe(0);
        if (name === 'highB') {
          const file = join(tmp.dir, `annexb-${fragmented}.mp4`);
          writeBytes(file, annexB.bytes);
          expectValidMp4(file);
        }
      }, 60_000);
    }
  }

  it('refuses a byte-stream without parameter sets before its first picture', async () => {
    const asm = new AccessUnitAssembler();
    const aus = [...asm.push(streams.highB), ...asm.flush()];
    const pictures = aus.filter((a) => a.hasPicture).map((a) => writeAccessUnit(a, 'byte-stream', { drop: (t) => t === 7 || t === 8 }));
    const caps = 'video/x-h264, stream-format=(string)byte-stream, alignment=(string)au, width=(int)320, height=(int)240, framerate=(fraction)30/1';
    const src = bytesSrc(new Uint8Array(0), { packets: pictures, caps, times: (i) => ({ dts: (i * SECOND) / 30 }), flags: (i) => (i === 0 ? PacketFlags.KEYFRAME : 0) });
    await expect(pipe(src, mp4Mux(), collectSink().sink).run()).rejects.toThrow(/without SPS and PPS/);
  });

  it('refuses an SPS that changes mid-stream', async () => {
    const other = readBytes(await encodeH264({ profile: 'high', frames: 10, width: 352, height: 288 }));
    const joined = new Uint8Array(streams.baseline.length + other.length);
    joined.set(streams.baseline);
    joined.set(other, streams.baseline.length);
    await expect(pipe(bytesSrc(joined, { chunk: 8192 }), h264Parse(), mp4Mux(), collectSink().sink).run()).rejects.toThrow(/changed mid-stream/);
  });
});

describe('AvcGatherer and annexBNals', () => {
  it("the parts of every unit concatenate to writeAccessUnit's AVC sample, from the parser's layout or a scan", () => {
    for (const data of Object.values(streams)) {
      const asm = new AccessUnitAssembler();
      const aus = [...asm.push(data), ...asm.flush()];
      const g = new AvcGatherer();
      for (const au of aus) {
        const want = writeAccessUnit(au, 'avc');
        for (const nals of [au.nals, annexBNals(au.data)]) {
          const parts = g.parts(au.data, nals);
          expect(Buffer.concat(parts).equals(Buffer.from(want))).toBe(true);
          // Slices are views of the unit, not copies.
          const big = au.nals.filter((n) => n.size > 1024);
          for (const n of big) expect(parts.some((p) => p.buffer === au.data.buffer && p.byteOffset === au.data.byteOffset + n.offset)).toBe(true);
        }
      }
    }
  });

  it('scans 3- and 4-byte start codes, trailing zeros and a leading junk byte like the parser', () => {
    const data = new Uint8Array([0xff, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 0, 1, 0x68, 3, 0, 0, 1, 0x65, 9, 9, 0, 0]);
    const nals = annexBNals(data);
    expect(nals.map((n) => [n.type, n.offset, n.size])).toEqual([
      [7, 4, 3],
      [8, 12, 2],
      [5, 17, 3],
    ]);
    const parts = new AvcGatherer().parts(data, nals);
    expect([...Buffer.concat(parts)]).toEqual([0, 0, 0, 3, 0x67, 1, 2, 0, 0, 0, 2, 0x68, 3, 0, 0, 0, 3, 0x65, 9, 9]);
  });

  it('Mp4Muxer takes a sample as parts and writes them in place, or copied when contiguous', () => {
    const asm = new AccessUnitAssembler();
    const aus = [...asm.push(streams.highB), ...asm.flush()];
    const key = aus.find((a) => a.keyframe)!;
    const track = { codec: 'avc1' as const, codecPrivate: new Uint8Array([1, 0x64, 0, 0x1f, 0xff, 0xe0, 0]), width: 320, height: 240, timescale: 15360 };
    const parts = new AvcGatherer().parts(key.data, key.nals);
    expect(parts.length).toBeGreaterThan(1);
    const views = new Mp4Muxer(track, { fragmented: false });
    views.addSample({ data: parts, dts: 0, keyframe: true });
    const out = views.finish();
    expect(out.slice(1).map((c) => c.data)).toEqual(parts);
    expect(out.at(-1)!.last).toBe(true);
    const whole = new Mp4Muxer(track, { fragmented: false, contiguous: true });
    whole.addSample({ data: parts, dts: 0, keyframe: true });
    const [file] = whole.finish();
    expect(Buffer.from(file.data.subarray(file.data.length - file.copied)).equals(Buffer.concat(parts))).toBe(true);
    expect(() => new Mp4Muxer(track).addSample({ data: [new Uint8Array(1), 'x' as unknown as Uint8Array], dts: 0, keyframe: true })).toThrow(/Uint8Array/);
  });
});
