import { describe, expect, it } from 'vitest';
import { fakeSink } from '../../operators';
import { fileSrc } from '../../operators/file-src';
import { nodeFileSrc } from '../../node/drivers/fs';
import { h264Parse, type H264ParseOptions } from '../../operators/h264-parse';
import { Caps, EOS, NegotiationError, pipe, type DropReason, type PipelineStats } from '../../src';
import { harness, type HarnessPacketInit } from '../../marbles';
import {
  AccessUnitAssembler,
  buildAvcC,
  joinAnnexB,
  parseSps,
  splitAnnexB,
  splitAvc,
  toHex,
  writeAccessUnit,
  type AccessUnit,
} from '../../src/codecs/h264';
import type { Source } from '../../src/operator';
import { PacketFlags, type CpuPacket } from '../../src/packet';
import { SECOND } from '../../src/time';
import { concatFiles, encodeH264, ffprobePackets, ffprobeStream, mp4ToAnnexB, readBytes, type EncodeOptions } from '../fixtures/h264';
import { equalBytes, prng, spsWithoutVui } from './helpers';
import { requirePeer } from '../peers';

requirePeer('ffmpeg', 'ffprobe');

interface Out {
  packets: CpuPacket[];
  /** h264Parse's drops by reason. */
  drops: Readonly<Partial<Record<DropReason, number>>>;
  /** CPU copies of the whole run. */
  copies: number;
}

const outOf = (packets: CpuPacket[], stats: PipelineStats): Out => ({
  packets,
  drops: stats.elements.find((e) => e.factory === 'h264Parse')!.drops,
  copies: stats.copies.count,
});

/** h264Parse behind a real source (file sources), in a pipeline. */
async function parse(src: Source<CpuPacket>, options: H264ParseOptions = {}): Promise<Out> {
  const packets: CpuPacket[] = [];
  const stats = await pipe(src, h264Parse(options), fakeSink<CpuPacket>({ onPacket: (p) => void packets.push(p) })).run();
  return outOf(packets, stats);
}

interface Input {
  /** Chunk sizes: a number (fixed), or a function of the chunk index; default: one chunk. */
  chunk?: number | ((i: number) => number);
  /** Input caps; default application/octet-stream (bytes of a file). */
  caps?: string;
  /** Give each packet these times (default none, as a file source). */
  times?: (i: number) => { pts?: number; dts?: number };
  /** Prebuilt payloads (AU- or NAL-aligned input); overrides `chunk`. */
  packets?: readonly Uint8Array[];
}

/** `data` as a file source would read it: views of it, in chunks. */
function chunksOf(data: Uint8Array, chunk: Input['chunk']): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let pos = 0, i = 0; pos < data.length; i++) {
    const size = chunk === undefined ? data.length : typeof chunk === 'number' ? chunk : Math.max(1, chunk(i));
    out.push(data.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}

/**
 * h264Parse alone in the element harness: the input pushed, end-of-stream, every output pulled, then
 * teardown checked (opened and closed once). `downstream` is what the harness sink accepts.
 */
async function parseBytes(data: Uint8Array, input: Input = {}, options: H264ParseOptions = {}, downstream?: string): Promise<Out> {
  const h = harness(h264Parse(options), { inputCaps: input.caps ?? 'application/octet-stream', outputCaps: downstream });
  h.pushAll((input.packets ?? chunksOf(data, input.chunk)).map((d, i): HarnessPacketInit => ({ data: d, ...input.times?.(i) })));
  const packets = await h.drain();
  const out = outOf(packets, h.pipelineStats());
  await h.close();
  return out;
}

/** Prebuilt payloads (one packet each) with `caps`. */
const parsePackets = (packets: readonly Uint8Array[], input: Omit<Input, 'packets' | 'chunk'> = {}, options: H264ParseOptions = {}) =>
  parseBytes(new Uint8Array(0), { ...input, packets }, options);

const nalTypes = (p: CpuPacket, format: 'byte-stream' | 'avc' = 'byte-stream') =>
  (format === 'avc' ? splitAvc(p.memory.data) : splitAnnexB(p.memory.data)).map((n) => n[0] & 0x1f);

function assembled(data: Uint8Array): AccessUnit[] {
  const asm = new AccessUnitAssembler();
  return [...asm.push(data), ...asm.flush()];
}

/** Everything of a packet that must not depend on how the input was chunked. */
const fingerprint = (ps: readonly CpuPacket[]) =>
  ps.map((p) => [Buffer.from(p.memory.data).toString('base64'), p.pts, p.dts, p.duration, p.flags, p.caps.toString()]);

const HIGH_B: EncodeOptions = { profile: 'high', frames: 60, bframes: 2, gop: 25 };

describe('h264Parse in a pipeline', () => {
  it('file-like chunks in, one access unit per packet out, as ffprobe counts them; bytes unchanged', async () => {
    const path = await encodeH264(HIGH_B);
    const data = readBytes(path);
    const ref = await ffprobePackets(path);
    const { packets, drops, copies } = await parseBytes(data, { chunk: 4096 });
    expect(packets.length).toBe(ref.length);
    expect(packets.map((p) => (p.flags & PacketFlags.KEYFRAME) !== 0)).toEqual(ref.map((r) => r.keyframe));
    expect(packets.map((p) => p.memory.data.length)).toEqual(ref.map((r) => r.size));
    // Byte-stream in, byte-stream out: the concatenated output is the input.
    expect(equalBytes(Buffer.concat(packets.map((p) => p.memory.data)), data)).toBe(true);
    expect(drops).toEqual({});
    expect(copies).toBe(0);
    // Chunks that are adjacent views of one buffer: even units spanning them are views, not copies.
    expect(packets.every((p) => p.memory.data.buffer === data.buffer)).toBe(true);
    // Chunks in separate buffers (a file source reading into fresh ones): spanning units are joined.
    const fresh: Uint8Array[] = [];
    for (let i = 0; i < data.length; i += 4096) fresh.push(data.slice(i, i + 4096));
    const joined = await parsePackets(fresh);
    expect(joined.packets.map((p) => toHex(p.memory.data))).toEqual(packets.map((p) => toHex(p.memory.data)));
    expect(joined.packets.some((p) => fresh.every((f) => f.buffer !== p.memory.data.buffer))).toBe(true);
  });

  it('behind the real fileSrc (64 KiB reads, no timestamps): the same units as ffprobe', async () => {
    const path = await encodeH264({ profile: 'high', frames: 30, bframes: 2, width: 640, height: 360 });
    const ref = await ffprobePackets(path);
    const { packets } = await parse(fileSrc({ source: readBytes(path) }));
    expect(packets.map((p) => [p.memory.data.length, (p.flags & PacketFlags.KEYFRAME) !== 0])).toEqual(ref.map((r) => [r.size, r.keyframe]));
    expect(packets.every((p, i) => p.dts === Math.round((i * SECOND) / 30))).toBe(true);
  });

  it('behind the Node file opener (read-ahead views), any blocksize gives the same packets', async () => {
    const path = await encodeH264({ profile: 'high', frames: 30, bframes: 2, width: 640, height: 360 });
    const runs = await Promise.all([1 << 20, 65536, 4096, 1000].map((blocksize) => parse(nodeFileSrc(path, { blocksize }))));
    const summary = (o: Out) => o.packets.map((p) => [toHex(p.memory.data), p.flags, p.pts, p.dts]);
    expect(runs[0].packets.length).toBe(30);
    for (const r of runs.slice(1)) expect(summary(r)).toEqual(summary(runs[0]));
  });

  it('caps from the SPS, one Caps object for the whole stream', async () => {
    const { packets } = await parseBytes(readBytes(await encodeH264(HIGH_B)), { chunk: 1000 });
    const c = packets[0].caps;
    expect(packets.every((p) => p.caps === c)).toBe(true);
    expect(c.isFixed()).toBe(true);
    expect(c.toString()).toContain('video/x-h264');
    expect(c.get('stream-format')).toBe('byte-stream');
    expect(c.get('alignment')).toBe('au');
    expect([c.get('width'), c.get('height')]).toEqual([320, 240]);
    expect(c.get('framerate')).toEqual({ kind: 'fraction', num: 30, den: 1 });
    expect([c.get('profile'), c.get('level')]).toEqual(['high', '1.3']);
    expect(c.get('codec_data')).toBeUndefined();
  });

  it('timestamps a raw stream: dts by frame, pts from POC as the encoder set them (MP4 reference)', async () => {
    const mp4 = await encodeH264({ ...HIGH_B, container: 'mp4' });
    const ref = await ffprobePackets(mp4);
    const { packets } = await parseBytes(readBytes(await mp4ToAnnexB(mp4)), { chunk: 3000 });
    expect(packets.length).toBe(ref.length);
    const frame = SECOND / 30;
    packets.forEach((p, i) => {
      expect(p.dts).toBe(Math.round(i * frame));
      expect(p.duration).toBe(Math.round((i + 1) * frame) - Math.round(i * frame));
      // the MP4 starts dts at -2 frames (has_b_frames = 2), ours at 0
      expect(Math.abs(p.pts! - (ref[i].pts! - ref[0].dts!))).toBeLessThanOrEqual(SECOND / 15360);
    });
    expect(packets[0].pts).toBe(Math.round(2 * frame));
  });

  it('a pts on the first chunk only anchors the derived times consistently', async () => {
    const mp4 = await encodeH264({ ...HIGH_B, container: 'mp4' });
    const ref = await ffprobePackets(mp4);
    const start = 10 * SECOND;
    const { packets } = await parseBytes(readBytes(await mp4ToAnnexB(mp4)), { chunk: 5000, times: (i) => (i === 0 ? { pts: start } : {}) });
    expect(packets[0].pts).toBe(start);
    packets.forEach((p, i) => expect(Math.abs(p.pts! - start - (ref[i].pts! - ref[0].pts!))).toBeLessThanOrEqual(SECOND / 15360));
    expect(packets[0].dts).toBe(start - Math.round((2 * SECOND) / 30));
  });

  it('byte-at-a-time feeding gives exactly the packets of whole-buffer feeding (with trailing garbage, and truncated)', async () => {
    const data = readBytes(await encodeH264({ profile: 'high', frames: 16, bframes: 2, slices: 4, aud: true, gop: 8 }));
    const tail = Uint8Array.from({ length: 200 }, (_, i) => (i * 73 + 5) & 0xff);
    for (const input of [data, new Uint8Array([...data, ...tail]), data.subarray(0, data.length - 777)]) {
      const whole = await parseBytes(input);
      const bytes = await parseBytes(input, { chunk: 1 });
      expect(fingerprint(bytes.packets)).toEqual(fingerprint(whole.packets));
      expect(bytes.drops).toEqual(whole.drops);
    }
    const random = prng(3);
    const ragged = await parseBytes(data, { chunk: () => 1 + Math.floor(random() * 2000) });
    expect(fingerprint(ragged.packets)).toEqual(fingerprint((await parseBytes(data)).packets));
  });

  it('a new SPS with another size makes new caps (a new object) from its first unit on', async () => {
    const a = await encodeH264({ profile: 'high', frames: 10, bframes: 2 });
    const b = await encodeH264({ profile: 'high', frames: 8, width: 640, height: 360, bframes: 2 });
    const { packets } = await parseBytes(readBytes(await concatFiles([a, b])), { chunk: 5000 });
    expect(packets.length).toBe(18);
    const first = packets[0].caps;
    const second = packets[10].caps;
    expect(second).not.toBe(first);
    expect(packets.slice(0, 10).every((p) => p.caps === first)).toBe(true);
    expect(packets.slice(10).every((p) => p.caps === second)).toBe(true);
    expect([first.get('width'), first.get('height')]).toEqual([320, 240]);
    expect([second.get('width'), second.get('height')]).toEqual([640, 360]);
    expect(packets[10].flags & PacketFlags.KEYFRAME).toBeTruthy();
    // The dts timeline runs on across the change.
    expect(packets[10].dts).toBe(Math.round((10 * SECOND) / 30));
  });

  it('skipToKeyframe drops units before the first IDR (counted in stats), the first packet is DISCONT', async () => {
    const data = readBytes(await encodeH264({ profile: 'main', frames: 30, bframes: 1, gop: 10 }));
    const aus = assembled(data);
    const midGop = data.subarray(aus[0].data.length + aus[1].data.length + aus[2].data.length);
    const { packets, drops } = await parseBytes(midGop, { chunk: 700 });
    expect(packets.length).toBe(20);
    expect(packets[0].flags & PacketFlags.KEYFRAME).toBeTruthy();
    expect(packets[0].flags & PacketFlags.DISCONT).toBeTruthy();
    expect(packets.slice(1).every((p) => !(p.flags & PacketFlags.DISCONT))).toBe(true);
    expect(drops).toEqual({ policy: 7 });
    const kept = await parseBytes(midGop, { chunk: 700 }, { skipToKeyframe: false });
    expect(kept.packets.length).toBe(27);
    expect(kept.packets.slice(0, 7).every((p) => p.flags & PacketFlags.CORRUPT)).toBe(true);
  });

  it('flags: DROPPABLE on non-reference pictures, HEADER on a parameter-set-only unit', async () => {
    const data = readBytes(await encodeH264({ profile: 'high', frames: 9, bframes: 2, x264Params: 'b-pyramid=none' }));
    const { packets } = await parseBytes(data);
    expect(packets.filter((p) => p.flags & PacketFlags.DROPPABLE).length).toBeGreaterThan(0);
    expect(packets.filter((p) => p.flags & PacketFlags.DROPPABLE).every((p) => !(p.flags & PacketFlags.KEYFRAME))).toBe(true);
    const nals = splitAnnexB(data).filter((n) => (n[0] & 0x1f) === 7 || (n[0] & 0x1f) === 8);
    const header = await parseBytes(joinAnnexB(nals.slice(0, 2)));
    expect(header.packets.length).toBe(1);
    expect(header.packets[0].flags).toBe(PacketFlags.HEADER | PacketFlags.DISCONT);
  });

  it('dropAud / dropSei / dropFiller remove those NAL units', async () => {
    // Hard CBR on a still picture: x264 pads every frame with filler data NAL units.
    const x264Params = 'bitrate=2000:vbv-maxrate=2000:vbv-bufsize=1000:nal-hrd=cbr:filler=1';
    const data = readBytes(await encodeH264({ profile: 'high', frames: 8, aud: true, source: 'smptebars', x264Params }));
    const plain = await parseBytes(data);
    const types = new Set(plain.packets.flatMap((p) => nalTypes(p)));
    expect([types.has(9), types.has(6), types.has(12)]).toEqual([true, true, true]);
    const { packets } = await parseBytes(data, {}, { dropAud: true, dropSei: true, dropFiller: true });
    const left = new Set(packets.flatMap((p) => nalTypes(p)));
    expect([left.has(9), left.has(6), left.has(12)]).toEqual([false, false, false]);
    expect(packets.length).toBe(plain.packets.length);
  });

  it('framerate option and the 25/1 default time a stream without VUI timing', async () => {
    const data = readBytes(await encodeH264({ profile: 'baseline', frames: 10 }));
    const nals = splitAnnexB(data).map((n) => ((n[0] & 0x1f) === 7 ? spsWithoutVui(parseSps(n)) : n));
    const noVui = joinAnnexB(nals);
    const def = await parseBytes(noVui, { chunk: 999 });
    expect(def.packets[0].caps.get('framerate')).toEqual({ kind: 'fraction', num: 25, den: 1 });
    expect(def.packets.map((p) => p.dts)).toEqual(def.packets.map((_, i) => i * 40_000_000));
    expect(def.packets.map((p) => p.pts)).toEqual(def.packets.map((p) => p.dts)); // Baseline: no reordering
    const opt = await parseBytes(noVui, {}, { framerate: '30000/1001' });
    expect(opt.packets[0].caps.get('framerate')).toEqual({ kind: 'fraction', num: 30000, den: 1001 });
    expect(opt.packets[3].dts).toBe(Math.round((3 * SECOND * 1001) / 30000));
    // The option also overrides VUI timing.
    const over = await parseBytes(data, {}, { framerate: 50 });
    expect(over.packets[1].dts).toBe(20_000_000);
    expect(() => h264Parse({ framerate: '0/1' })).toThrowError(/invalid value '0\/1' for h264Parse framerate/);
  });
});

describe('h264Parse demand (element harness)', () => {
  it('an access unit comes out once the next one starts; the parser pulls only as much input as that takes', async () => {
    const aus = assembled(readBytes(await encodeH264({ profile: 'baseline', frames: 4, gop: 2 })));
    const h = harness(h264Parse(), { inputCaps: 'application/octet-stream' });
    h.push({ data: aus[0].data });
    // The last NAL unit of AU 0 ends only where the next start code is: nothing yet, the parser waits for input.
    expect(await h.tryPull()).toBeUndefined();
    expect(h.starved).toBe(true);
    // It took AU 0 and asked for more.
    expect(h.inputPulls).toBe(2);
    expect(h.inputQueued).toBe(0);
    h.push({ data: aus[1].data });
    h.push({ data: aus[2].data });
    const first = (await h.pull()) as CpuPacket;
    expect(toHex(first.memory.data)).toBe(toHex(aus[0].data));
    expect(first.flags & PacketFlags.KEYFRAME).toBeTruthy();
    // AU 1 (answering the waiting pull) was enough to end AU 0: AU 2 is still queued, unpulled.
    expect(h.inputPulls).toBe(2);
    expect(h.inputQueued).toBe(1);
    h.push({ data: aus[3].data });
    h.pushEos();
    const rest = await h.pullAll();
    expect(rest.map((p) => toHex(p.memory.data))).toEqual(aus.slice(1).map((a) => toHex(a.data)));
    expect(await h.pull()).toBe(EOS);
    expect(h.drops()).toEqual({});
    const teardown = await h.close();
    expect(teardown.outcome).toBe('eos');
    expect(teardown.elements).toEqual([{ name: 'h264Parse0', factory: 'h264Parse', opens: 1, closes: 1 }]);
  });
});

describe('stream formats', () => {
  async function avcInput(opts: EncodeOptions) {
    const mp4 = await encodeH264({ ...opts, container: 'mp4' });
    const probe = await ffprobeStream(mp4);
    const ref = await ffprobePackets(mp4);
    const annexb = readBytes(await mp4ToAnnexB(mp4));
    // What an MP4 demuxer gives: samples without in-band parameter sets, times, codec_data in caps.
    const samples = assembled(annexb).map((a) => writeAccessUnit(a, 'avc', { drop: (t) => t === 7 || t === 8 }));
    const caps = `video/x-h264, stream-format=avc, alignment=au, codec_data=(string)${probe.extradata}`;
    return { annexb, samples, caps, ref, extradata: probe.extradata! };
  }

  it('byte-stream → avc: length-prefixed units, codec_data equal to the MP4 avcC', async () => {
    const { annexb, extradata } = await avcInput(HIGH_B);
    const { packets } = await parseBytes(annexb, { chunk: 4096 }, { streamFormat: 'avc' });
    expect(packets[0].caps.get('stream-format')).toBe('avc');
    expect(packets[0].caps.get('codec_data')).toBe(extradata);
    expect(packets.every((p) => p.caps === packets[0].caps)).toBe(true);
    const units = assembled(annexb);
    packets.forEach((p, i) => expect(splitAvc(p.memory.data).map(toHex)).toEqual(splitAnnexB(units[i].data).map(toHex)));
  });

  it('avc → byte-stream → avc round trip keeps every NAL, times and flags; SPS/PPS put before the first IDR', async () => {
    const { samples, caps, ref } = await avcInput(HIGH_B);
    const times = (i: number) => ({ pts: ref[i].pts! + 100_000_000, dts: ref[i].dts! + 100_000_000 });
    const toAnnexB = await parsePackets(samples, { caps, times }, { streamFormat: 'byte-stream' });
    expect(toAnnexB.packets.length).toBe(samples.length);
    // Upstream times are kept.
    expect(toAnnexB.packets.map((p) => [p.pts, p.dts])).toEqual(samples.map((_, i) => [times(i).pts, times(i).dts]));
    expect(nalTypes(toAnnexB.packets[0]).slice(0, 2)).toEqual([7, 8]);
    // Only the first IDR gets them (config-interval 0).
    const later = toAnnexB.packets.filter((p, i) => i > 0 && p.flags & PacketFlags.KEYFRAME);
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((p) => !nalTypes(p).includes(7))).toBe(true);
    const back = await parsePackets(
      toAnnexB.packets.map((p) => p.memory.data),
      { caps: 'video/x-h264, stream-format=byte-stream, alignment=au', times },
      { streamFormat: 'avc' },
    );
    expect(back.packets.length).toBe(samples.length);
    back.packets.forEach((p, i) => {
      const nals = splitAvc(p.memory.data).filter((n) => i > 0 || ((n[0] & 0x1f) !== 7 && (n[0] & 0x1f) !== 8));
      expect(nals.map(toHex)).toEqual(splitAvc(samples[i]).map(toHex));
      expect(p.flags & PacketFlags.KEYFRAME).toBe(toAnnexB.packets[i].flags & PacketFlags.KEYFRAME);
    });
    expect(back.packets[0].caps.get('codec_data')).toBe(toHex(buildAvcC({ sps: [splitAnnexB(toAnnexB.packets[0].memory.data)[0]], pps: [splitAnnexB(toAnnexB.packets[0].memory.data)[1]] })));
  });

  it('avc in NAL units (alignment=nal) gives the units of the AU-aligned samples', async () => {
    const { samples, caps } = await avcInput({ profile: 'high', frames: 20, bframes: 2, slices: 2 });
    const nalPackets = samples.flatMap((s) => splitAvc(s).map((n) => writeAccessUnit({ format: 'annexb', lengthSize: 0, data: n, nals: [{ type: n[0] & 31, refIdc: 0, offset: 0, size: n.length }] }, 'avc')));
    const aligned = await parsePackets(samples, { caps });
    const byNal = await parsePackets(nalPackets, { caps: caps.replace('alignment=au', 'alignment=nal') });
    expect(byNal.packets.map((p) => toHex(p.memory.data))).toEqual(aligned.packets.map((p) => toHex(p.memory.data)));
    expect(byNal.packets.map((p) => p.flags)).toEqual(aligned.packets.map((p) => p.flags));
  });

  it('avc in, unconstrained downstream: byte-stream out (the elementary-stream form a .h264 file needs)', async () => {
    const { samples, caps } = await avcInput({ profile: 'main', frames: 20, bframes: 1 });
    const { packets } = await parsePackets(samples, { caps });
    expect(packets[0].caps.get('stream-format')).toBe('byte-stream');
    expect([...packets[0].memory.data.subarray(0, 4)]).toEqual([0, 0, 0, 1]);
  });

  it('avc in and out: samples pass untouched (views, no copy)', async () => {
    const { samples, caps } = await avcInput({ profile: 'main', frames: 20, bframes: 1 });
    const { packets } = await parsePackets(samples, { caps }, { streamFormat: 'avc' });
    expect(packets[0].caps.get('stream-format')).toBe('avc');
    packets.forEach((p, i) => expect(p.memory.data.buffer).toBe(samples[i].buffer));
  });

  it('config-interval -1 puts SPS/PPS before every IDR; N seconds, at most every N s; after an AUD', async () => {
    const data = readBytes(await encodeH264({ profile: 'high', frames: 90, gop: 10, aud: true }));
    // Keep the parameter sets only before the first IDR.
    let seen = 0;
    const stripped = joinAnnexB(splitAnnexB(data).filter((n) => ((n[0] & 0x1f) !== 7 && (n[0] & 0x1f) !== 8) || seen++ < 2));
    const keyIdx = (ps: CpuPacket[]) => ps.map((p, i) => (p.flags & PacketFlags.KEYFRAME ? i : -1)).filter((i) => i >= 0);
    const withSps = (ps: CpuPacket[]) => ps.map((p, i) => (nalTypes(p).includes(7) ? i : -1)).filter((i) => i >= 0);
    const none = await parseBytes(stripped, { chunk: 2048 });
    expect(withSps(none.packets)).toEqual([0]);
    const every = await parseBytes(stripped, { chunk: 2048 }, { configInterval: -1 });
    expect(withSps(every.packets)).toEqual(keyIdx(every.packets));
    expect(every.packets.every((p) => !(p.flags & PacketFlags.KEYFRAME) || nalTypes(p).slice(0, 3).join() === '9,7,8')).toBe(true);
    const oneSecond = await parseBytes(stripped, { chunk: 2048 }, { configInterval: 1 });
    expect(withSps(oneSecond.packets)).toEqual([0, 30, 60]); // IDRs every 10 frames at 30 fps
    expect(() => h264Parse({ configInterval: -2 })).toThrowError(/invalid value '-2' for h264Parse config-interval: expected an integer ≥ -1/);
  });
});

describe('negotiation', () => {
  it('downstream that takes only avc gets avc without the option; octet-stream input defaults to byte-stream', async () => {
    const data = readBytes(await encodeH264({ profile: 'baseline', frames: 4 }));
    const avc = await parseBytes(data, {}, {}, 'video/x-h264, stream-format=avc');
    expect(avc.packets[0].caps.get('stream-format')).toBe('avc');
    expect(typeof avc.packets[0].caps.get('codec_data')).toBe('string');
    const def = await parseBytes(data);
    expect(def.packets[0].caps.get('stream-format')).toBe('byte-stream');
  });

  it('an option downstream cannot take fails negotiation before data flows', () => {
    const bytes = { inputCaps: 'application/octet-stream' };
    expect(() => harness(h264Parse({ streamFormat: 'byte-stream' }), { ...bytes, outputCaps: 'video/x-h264, stream-format=avc' })).toThrow(NegotiationError);
    expect(() => harness(h264Parse(), { ...bytes, outputCaps: 'video/x-raw' })).toThrow(NegotiationError);
    expect(() => harness(h264Parse(), { ...bytes, outputCaps: 'video/x-raw' })).toThrow(/h264Parse0 and harnessGate0/);
  });

  it('the negotiated output is the format downstream takes; the SPS then fixes the rest', async () => {
    const h = harness(h264Parse(), { inputCaps: 'application/octet-stream', outputCaps: 'video/x-h264, stream-format=avc' });
    expect(h.negotiatedCaps.get('stream-format')).toBe('avc');
    expect(h.negotiatedCaps.get('width')).toBeUndefined();
    h.push({ data: readBytes(await encodeH264({ profile: 'baseline', frames: 2 })) });
    const [first] = await h.drain();
    expect(h.outputCaps).toBe(first.caps);
    expect([first.caps.get('stream-format'), first.caps.get('width'), first.caps.get('height')]).toEqual(['avc', 320, 240]);
    await h.close();
  });

  it('templates: accepts H.264 in both formats and raw bytes; offers alignment=au', () => {
    const el = h264Parse().elements[0];
    if (el.kind !== 'transform') throw new Error('expected a transform');
    expect(Caps.parse('application/octet-stream').isSubset(el.sinkCaps)).toBe(true);
    expect(Caps.parse('video/x-h264, stream-format=avc, alignment=au').isSubset(el.sinkCaps)).toBe(true);
    expect(Caps.parse('video/x-raw').intersect(el.sinkCaps).isEmpty()).toBe(true);
    expect(el.srcCaps.toString()).toContain('alignment=(string)au');
  });
});

describe('damaged input through the element', () => {
  it('bit flips and random garbage: the run completes, damaged units are flagged, never an error', async () => {
    const clean = readBytes(await encodeH264({ profile: 'high', frames: 20, bframes: 2, gop: 10 }));
    const rnd = prng(11);
    const starts: number[] = [];
    for (let i = 3; i < clean.length - 8; i++) if (clean[i - 1] === 1 && clean[i - 2] === 0 && clean[i - 3] === 0) starts.push(i);
    let corrupt = 0;
    for (let run = 0; run < 15; run++) {
      const data = clean.slice();
      // Flips anywhere, and in the first bytes of NAL units, where they change what the parser reads.
      for (let f = 0; f < 10; f++) data[Math.floor(rnd() * data.length)] ^= 1 << Math.floor(rnd() * 8);
      for (let f = 0; f < 3; f++) data[starts[Math.floor(rnd() * starts.length)] + Math.floor(rnd() * 6)] ^= 1 << Math.floor(rnd() * 8);
      const { packets } = await parseBytes(data, { chunk: 1 + Math.floor(rnd() * 3000) }, { skipToKeyframe: false });
      corrupt += packets.filter((p) => p.flags & PacketFlags.CORRUPT).length;
    }
    const noise = Uint8Array.from({ length: 50_000 }, () => Math.floor(rnd() * 256));
    const n = await parseBytes(noise, { chunk: 4096 });
    expect(n.packets.every((p) => p.flags & PacketFlags.CORRUPT || p.flags & PacketFlags.HEADER || p.flags & PacketFlags.KEYFRAME)).toBe(true);
    expect(corrupt).toBeGreaterThan(0);
  });
});
