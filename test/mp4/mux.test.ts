import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElementError, pipe, PacketFlags, SECOND, type CpuPacket } from '../../src';
import { harness, type HarnessPacketInit } from '../../marbles';
import { mp4Demux } from '../../operators/mp4-demux';
import { mp4Mux, type Mp4MuxOptions } from '../../operators/mp4-mux';
import { boxSize, child, hexToBytes, Mp4Error, Mp4Muxer, parseBox, parseBoxes, path, type Box, type ContainerBox } from '../../src/formats/mp4';
import {
  chunkSource,
  collectSink,
  demuxAll,
  encodeMp4,
  expectValidMp4,
  makeFixtures,
  probeFramePts,
  probePackets,
  readBytes,
  remux,
  sameBytes,
  samplesOf,
  tempDir,
  timeBase,
  tool,
  writeBytes,
  type Layout,
  type SourceName,
} from './helpers';
import { requirePeer } from '../peers';

requirePeer('ffmpeg', 'ffprobe', 'gstreamer');

let tmp: ReturnType<typeof tempDir>;
let files: Record<SourceName, Record<Layout, string>>;
let uhd: string;

beforeAll(() => {
  tmp = tempDir();
  files = makeFixtures(tmp.dir);
  // The one large case: 4K, a few frames, B-frames.
  const src = join(tmp.dir, 'uhd-src.mp4');
  encodeMp4(src, { size: '3840x2160', frames: 6, profile: 'high', bframes: 2, gop: 6, preset: 'ultrafast' });
  uhd = join(tmp.dir, 'uhd.mp4');
  remux(src, uhd, 'faststart');
}, 120_000);
afterAll(() => tmp.cleanup());

let written = 0;

/**
 * ffmpeg MP4 → mp4Demux → mp4Mux → file; returns the output path and packets. Every file written passes the
 * three tools' checks (`expectValidMp4`) before anything else looks at it.
 */
async function remuxWithUs(input: string, options: Mp4MuxOptions, chunk = 4096, h264parse = false): Promise<{ file: string; packets: CpuPacket[] }> {
  const c = collectSink<CpuPacket>();
  await pipe(chunkSource(readBytes(input), chunk), mp4Demux(), mp4Mux(options), c.sink).run();
  const file = join(tmp.dir, `out-${written++}.mp4`);
  writeBytes(file, c.bytes());
  expectValidMp4(file, { h264parse });
  return { file, packets: c.packets };
}

/**
 * Same frames as the reference: count, sizes, keyframes, pts and dts of every packet, and decoded frame
 * pts — in ns (exact whatever the time bases), or in ticks less `shiftTicks` for a shifted timeline.
 */
function expectSameTimeline(file: string, reference: string, shiftTicks?: number): void {
  const got = probePackets(file);
  const want = probePackets(reference);
  expect(got.length).toBe(want.length);
  expect(got.map((p) => p.size)).toEqual(want.map((p) => p.size));
  expect(got.map((p) => p.key)).toEqual(want.map((p) => p.key));
  if (shiftTicks === undefined) {
    expect(got.map((p) => p.ptsNs)).toEqual(want.map((p) => p.ptsNs));
    expect(got.map((p) => p.dtsNs)).toEqual(want.map((p) => p.dtsNs));
    expect(probeFramePts(file)).toEqual(probeFramePts(reference));
  } else {
    expect(timeBase(file)).toBe(timeBase(reference));
    expect(got.map((p) => p.pts)).toEqual(want.map((p) => p.pts - shiftTicks));
    expect(got.map((p) => p.dts)).toEqual(want.map((p) => p.dts - shiftTicks));
    expect(probeFramePts(file, 'ticks')).toEqual(probeFramePts(reference, 'ticks').map((t) => t - shiftTicks));
  }
}

/** Our demuxer reads back exactly the samples that went in. */
function expectRoundTrip(file: string, reference: string): void {
  const a = samplesOf(demuxAll(readBytes(file)));
  const b = samplesOf(demuxAll(readBytes(reference)));
  expect(a.length).toBe(b.length);
  a.forEach((s, i) => {
    expect([s.pts, s.dts, s.key]).toEqual([b[i].pts, b[i].dts, b[i].key]);
    expect(sameBytes(s.data, b[i].data)).toBe(true);
  });
}

function topLevel(file: string): Box[] {
  const boxes = parseBoxes(readBytes(file));
  if (boxes instanceof Mp4Error) throw boxes;
  return boxes;
}

const typesOf = (boxes: Box[]): string[] => boxes.map((b) => (b.type === 'raw' ? b.fourcc : b.type));

describe('mp4Mux: ffmpeg MP4 → mp4Demux → mp4Mux → file, checked by ffprobe, ffmpeg and GStreamer', () => {
  const cases = (['baseline', 'high', 'ntsc'] as const).flatMap((s) => [true, false].map((f) => [s, f ? 'fragmented' : 'progressive', f] as const));

  it.each(cases)('%s %s', async (source, _mode, fragmented) => {
    const reference = files[source].faststart;
    const { file, packets } = await remuxWithUs(reference, { fragmented });
    expect(packets[0].caps.toString()).toBe(`video/quicktime, variant=(string)${fragmented ? 'iso-fragmented' : 'iso'}`);
    expectSameTimeline(file, reference);
    expectRoundTrip(file, reference);
    const tops = typesOf(topLevel(file));
    if (fragmented) {
      expect(tops.slice(0, 3)).toEqual(['ftyp', 'moov', 'moof']);
      expect(tops.filter((t) => t === 'moof').length).toBe(tops.filter((t) => t === 'mdat').length);
    } else {
      expect(tops).toEqual(['ftyp', 'moov', 'mdat']);
    }
  });

  it('4K with B-frames, both modes', async () => {
    for (const fragmented of [true, false]) {
      const { file } = await remuxWithUs(uhd, { fragmented }, 1 << 16);
      expectSameTimeline(file, uhd);
      expectRoundTrip(file, uhd);
    }
  });

  it('reads every ffmpeg layout as input (moov at end, fragmented without edit list)', async () => {
    const ref = files.high.faststart;
    const end = await remuxWithUs(files.high['moov-at-end'], {});
    expectSameTimeline(end.file, ref);
    // ffmpeg's fragmented file has no edit list, so its pts start at 2 frames; ours start at 0 (the edit
    // list maps the first pts to 0, as for progressive files): the same timeline, shifted.
    const frag = await remuxWithUs(files.high.fragmented, { fragmented: false });
    const first = probePackets(files.high.fragmented)[0].pts;
    expect(first).toBe(1024);
    expectSameTimeline(frag.file, files.high.fragmented, first);
  });

  it('progressive: moov first with stts/ctts/stss/stsc/stco, an edit list for B-frames, exact durations', async () => {
    const { file } = await remuxWithUs(files.high.faststart, { fragmented: false });
    const moov = topLevel(file)[1] as ContainerBox;
    const trak = child(moov, 'trak') as ContainerBox;
    const stbl = path(trak, 'mdia', 'minf', 'stbl')!;
    expect(typesOf(stbl.children as Box[])).toEqual(['stsd', 'stts', 'ctts', 'stss', 'stsc', 'stsz', 'stco']);
    expect(child(stbl, 'stss')!.sampleNumbers).toEqual(Uint32Array.of(1, 31));
    expect(child(stbl, 'stco')!.chunkOffsets.length).toBe(2); // a chunk a second
    expect(child(path(trak, 'edts'), 'elst')!.entries).toEqual([{ segmentDuration: 30720, mediaTime: 1024, mediaRate: 1 }]);
    expect(child(path(trak, 'mdia'), 'mdhd')).toMatchObject({ timescale: 15360, duration: 30720 });
    expect(child(moov, 'mvhd')).toMatchObject({ timescale: 15360, duration: 30720 });
    // Baseline (no B-frames): no ctts, no edit list.
    const base = await remuxWithUs(files.baseline.faststart, { fragmented: false });
    const bt = child(topLevel(base.file)[1] as ContainerBox, 'trak') as ContainerBox;
    expect(path(bt, 'edts')).toBeUndefined();
    expect(child(path(bt, 'mdia', 'minf', 'stbl'), 'ctts')).toBeUndefined();
  });

  it('avc3 (in-band parameter sets allowed) passes through as stream-format=avc3', async () => {
    const a3 = join(tmp.dir, 'avc3.mp4');
    tool('ffmpeg', ['-v', 'error', '-y', '-i', files.high.faststart, '-c', 'copy', '-tag:v', 'avc3', a3]);
    const c = collectSink<CpuPacket>();
    await pipe(chunkSource(readBytes(a3), 4096), mp4Demux(), c.sink).run();
    expect(c.packets[0].caps.get('stream-format')).toBe('avc3');
    for (const fragmented of [true, false]) {
      const { file } = await remuxWithUs(a3, { fragmented }, 4096, true);
      expectSameTimeline(file, files.high.faststart);
      const stbl = path(child(topLevel(file)[1] as ContainerBox, 'trak') as ContainerBox, 'mdia', 'minf', 'stbl')!;
      expect(child(stbl, 'stsd')!.entries[0].type).toBe('avc3');
    }
  });

  it('timescale: from the framerate (30000/1001 → 30000), or as asked', async () => {
    const ntsc = await remuxWithUs(files.ntsc.faststart, { fragmented: false });
    expect(child(path(child(topLevel(ntsc.file)[1] as ContainerBox, 'trak') as ContainerBox, 'mdia'), 'mdhd')!.timescale).toBe(30000);
    const t90 = await remuxWithUs(files.high.faststart, { timescale: 90000 });
    expectSameTimeline(t90.file, files.high.faststart);
  });
});

describe('fragmented output', () => {
  it('init segment first, then each fragment as moof+mdat header and views of the samples', async () => {
    const bytes = readBytes(files.high.faststart);
    const c = collectSink<CpuPacket>();
    const stats = await pipe(chunkSource(bytes, bytes.length), mp4Demux(), mp4Mux(), c.sink).run();
    const p = c.packets;
    expect(p[0].flags).toBe(PacketFlags.HEADER);
    const moov = parseBoxes(p[0].memory.data);
    if (moov instanceof Mp4Error) throw moov;
    expect(typesOf(moov)).toEqual(['ftyp', 'moov']);
    // 60 frames, a keyframe every 30 and fragments of at least 1 s: two fragments of 30 samples.
    const heads = p.filter((x) => x.flags & PacketFlags.KEYFRAME);
    expect(heads.length).toBe(2);
    expect(p.length).toBe(1 + 2 * 31);
    expect(p.filter((x) => x.flags & PacketFlags.MARKER).length).toBe(2);
    // Zero copy end to end: sample packets are views of the file's own buffer.
    expect(stats.copies.count).toBe(0);
    const views = p.filter((x) => !(x.flags & (PacketFlags.HEADER | PacketFlags.KEYFRAME)));
    expect(views.length).toBe(60);
    for (const v of views) expect(v.memory.data.buffer).toBe(bytes.buffer);
    // trun: version 1 (signed composition offsets), per-sample sizes, first-sample flags.
    const moof = parseBox(p[1].memory.data.subarray(0, p[1].memory.data.length - 8));
    if (moof instanceof Mp4Error) throw moof;
    const traf = child(moof as ContainerBox, 'traf')!;
    expect(child(traf, 'tfhd')).toMatchObject({ trackId: 1, defaultBaseIsMoof: true, defaultSampleDuration: 512, defaultSampleFlags: 0x01010000 });
    expect(child(traf, 'tfdt')).toMatchObject({ version: 1, baseMediaDecodeTime: 0 });
    expect(child(traf, 'trun')).toMatchObject({ version: 1, sampleCount: 30, firstSampleFlags: 0x02000000 });
  });

  it('emits each fragment as soon as the next one starts (low latency), and the init with the first sample', () => {
    const events = demuxAll(readBytes(files.high.faststart));
    const track = events[0].kind === 'track' ? events[0].track : undefined;
    const m = new Mp4Muxer({ codec: 'avc1', codecPrivate: track!.codecPrivate, width: 640, height: 360, timescale: 15360 }, { fragmentDuration: 0 });
    const samples = samplesOf(events);
    const kindsAt: string[][] = samples.map((s) => m.addSample({ data: s.data, pts: s.pts, dts: s.dts, keyframe: s.key }).map((c) => c.kind));
    expect(kindsAt[0]).toEqual(['init']);
    expect(kindsAt.slice(1, 30).every((k) => k.length === 0)).toBe(true);
    // Sample 30 is the second keyframe: the first fragment is complete and goes out before it is stored.
    expect(kindsAt[30]).toEqual(['fragment', ...new Array(30).fill('sample')]);
    expect(m.finish().map((c) => c.kind)).toEqual(['fragment', ...new Array(30).fill('sample')]);
  });

  it('the element too: the init segment with the first sample, a fragment (moof+mdat head, sample views, MARKER) as the next keyframe comes', async () => {
    const samples = await demuxed(files.high.faststart);
    expect(samples.length).toBe(60);
    const h = harness(mp4Mux({ fragmentDuration: 0 }), { inputCaps: samples[0].caps });
    expect(h.negotiatedCaps.get('variant')).toBe('iso-fragmented');
    // What comes out, packet by packet, once each sample is in (tryPull: as far as that sample allows).
    const outAfter: number[][] = [];
    for (const sample of samples) {
      h.push(sample);
      const flags: number[] = [];
      for (let p = await h.tryPull(); p !== undefined; p = await h.tryPull()) flags.push((p as CpuPacket).flags);
      outAfter.push(flags);
    }
    expect(outAfter[0]).toEqual([PacketFlags.HEADER]);
    expect(outAfter.slice(1, 30).every((f) => f.length === 0)).toBe(true);
    // Sample 30 is the second keyframe: the first fragment goes out before it is stored.
    expect(outAfter[30]).toEqual([PacketFlags.KEYFRAME, ...new Array(29).fill(0), PacketFlags.MARKER]);
    expect(outAfter.slice(31).every((f) => f.length === 0)).toBe(true);
    // One pull of its input per sample, and each waited for the next push.
    expect(h.inputPulls).toBe(61);
    expect(h.starved).toBe(true);
    const last = await h.drain();
    expect(last.map((p) => p.flags)).toEqual([PacketFlags.KEYFRAME, ...new Array(29).fill(0), PacketFlags.MARKER]);
    // The sample packets are views of the demuxed samples: no copy.
    expect(last.slice(1).every((p, i) => p.memory.data.buffer === samples[30 + i].memory.data.buffer)).toBe(true);
    expect(h.pipelineStats().copies.count).toBe(0);
    expect((await h.close()).outcome).toBe('eos');
  });

  it('a crash loses at most the fragment being written: every prefix up to a fragment end is a valid file', async () => {
    const { packets } = await remuxWithUs(files.high.faststart, { fragmentDuration: 0 });
    const ends = packets.map((p, i) => (p.flags & PacketFlags.MARKER ? i : -1)).filter((i) => i >= 0);
    expect(ends.length).toBe(2);
    const prefix = packets.slice(0, ends[0] + 1);
    const file = join(tmp.dir, 'crashed.mp4');
    writeBytes(file, concat(prefix.map((p) => p.memory.data)));
    expectValidMp4(file);
    const want = probePackets(files.high.faststart).slice(0, 30);
    const got = probePackets(file);
    expect(got.map((x) => [x.ptsNs, x.dtsNs, x.size, x.key])).toEqual(want.map((x) => [x.ptsNs, x.dtsNs, x.size, x.key]));
    // And the cut-short file (inside the second fragment) still gives every sample of the first.
    const cut = concat(packets.slice(0, ends[0] + 10).map((p) => p.memory.data));
    const ev = demuxAll(cut);
    expect(samplesOf(ev).length).toBe(38);
    expect(ev.find((e) => e.kind === 'error')).toMatchObject({ error: { code: 'truncated' } });
  });

  it('fragments without keyframes (maxFragmentDuration), every-keyframe fragments, mfra index', async () => {
    const { file } = await remuxWithUs(files.high.faststart, { fragmentDuration: 0, maxFragmentDuration: SECOND / 5, mfra: true });
    expectSameTimeline(file, files.high.faststart);
    expectRoundTrip(file, files.high.faststart);
    const tops = topLevel(file);
    expect(tops.filter((b) => b.type === 'moof').length).toBe(10);
    const mfra = tops[tops.length - 1] as ContainerBox;
    expect(mfra.type).toBe('mfra');
    const tfra = child(mfra, 'tfra')!;
    expect(tfra.entries.length).toBe(2); // only fragments that start on a keyframe
    const moofStarts = tops.reduce<number[]>((acc, b, i) => (b.type === 'moof' ? [...acc, offsetOf(tops, i)] : acc), []);
    expect(tfra.entries.map((e) => e.moofOffset)).toEqual([moofStarts[0], moofStarts[5]]);
    expect(child(mfra, 'mfro')!.size).toBe(readBytes(file).length - offsetOf(tops, tops.length - 1));
  });

  it('contiguous: one packet per fragment, the same bytes, the copy recorded as explicit', async () => {
    const a = await remuxWithUs(files.high.faststart, {});
    const c = collectSink<CpuPacket>();
    const bytes = readBytes(files.high.faststart);
    const stats = await pipe(chunkSource(bytes, bytes.length), mp4Demux(), mp4Mux({ contiguous: true }), c.sink).run();
    expect(c.packets.length).toBe(3);
    expect(sameBytes(c.bytes(), readBytes(a.file))).toBe(true);
    expect(stats.copies).toMatchObject({ count: 2, implicit: 0 });
    const p = collectSink<CpuPacket>();
    await pipe(chunkSource(bytes, bytes.length), mp4Demux(), mp4Mux({ contiguous: true, fragmented: false }), p.sink).run();
    expect(p.packets.length).toBe(1);
    const prog = await remuxWithUs(files.high.faststart, { fragmented: false });
    expect(sameBytes(p.bytes(), readBytes(prog.file))).toBe(true);
  });
});

describe('mp4Mux negotiation and errors', () => {
  it('takes the variant downstream asks for', async () => {
    const samples = await demuxed(files.baseline.faststart);
    const h = harness(mp4Mux(), { inputCaps: samples[0].caps, outputCaps: 'video/quicktime, variant=(string)iso' });
    // Negotiated before any data: the element default (fragmented) gives way to what downstream takes.
    expect(h.negotiatedCaps.get('variant')).toBe('iso');
    h.pushAll(samples);
    const out = await h.drain();
    await h.close();
    expect(out[0].caps.get('variant')).toBe('iso');
    const file = join(tmp.dir, 'negotiated.mp4');
    writeBytes(file, concat(out.map((p) => p.memory.data)));
    expectValidMp4(file);
    expect(typesOf(topLevel(file))).toEqual(['ftyp', 'moov', 'mdat']);
  });

  it('refuses caps without codec_data, decreasing dts, pts before dts, and format changes', async () => {
    const noCodecData = harness(mp4Mux(), { inputCaps: 'video/x-h264, stream-format=(string)avc, alignment=(string)au, width=(int)64, height=(int)64' });
    noCodecData.push(keyframe());
    await expect(noCodecData.drain()).rejects.toThrow(/mp4Mux0 failed.*no codec_data/);
    expect((await noCodecData.close()).elements[0]).toMatchObject({ opens: 1, closes: 1 });
    const track = demuxAll(readBytes(files.baseline.faststart))[0];
    const hex = Buffer.from(track.kind === 'track' ? track.track.codecPrivate : []).toString('hex');
    const capsA = `video/x-h264, stream-format=(string)avc, alignment=(string)au, width=(int)320, height=(int)240, codec_data=(string)${hex}`;
    const capsB = capsA.replace('width=(int)320', 'width=(int)640');
    const changed = harness(mp4Mux(), { inputCaps: capsA });
    changed.push(keyframe());
    changed.push(keyframe({ caps: capsB, dts: SECOND }));
    const e = await changed.drain().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ElementError);
    // Named after the muxer and the packet it was working on.
    expect(e).toMatchObject({ element: 'mp4Mux0', pts: SECOND });
    expect((e as Error).message).toMatch(/format changed mid-stream/);
    expect((await changed.close()).outcome).toBe('error');
    const m = new Mp4Muxer({ codec: 'avc1', codecPrivate: hexToBytes(hex)!, width: 320, height: 240, timescale: 90000 });
    m.addSample({ data: new Uint8Array(4), dts: SECOND, keyframe: true });
    expect(() => m.addSample({ data: new Uint8Array(4), dts: 0, keyframe: false })).toThrow(/decreasing dts/);
    // pts only (as from RTP) going back: the error says why.
    expect(() => m.addSample({ data: new Uint8Array(4), pts: SECOND / 2, keyframe: false })).toThrow(/carry no dts and their pts go back: B-frames/);
    expect(() => m.addSample({ data: new Uint8Array(4), dts: 2 * SECOND, pts: SECOND, keyframe: false })).toThrow(/before dts/);
    expect(() => new Mp4Muxer({ codec: 'avc1', codecPrivate: new Uint8Array(3), width: 1, height: 1, timescale: 1 })).toThrow(Mp4Error);
    expect(() => mp4Mux({ timescale: 0 })).toThrow(/timescale/);
  });

  it('switches to co64 and a 64-bit mdat past 4 GiB (sizes only: the payload views are never touched)', () => {
    const track = demuxAll(readBytes(files.baseline.faststart))[0];
    const m = new Mp4Muxer(
      { codec: 'avc1', codecPrivate: track.kind === 'track' ? track.track.codecPrivate : new Uint8Array(), width: 320, height: 240, timescale: 15360 },
      { fragmented: false }
    );
    const big = new Uint8Array(64 * 2 ** 20);
    for (let i = 0; i < 70; i++) m.addSample({ data: big, dts: (i * SECOND) / 30, keyframe: i % 30 === 0 });
    const chunks = m.finish();
    expect(chunks.length).toBe(71);
    expect(chunks.slice(1).every((c) => c.data === big)).toBe(true);
    const head = chunks[0].data;
    const boxes = parseBoxes(head.subarray(0, head.length - 16));
    if (boxes instanceof Mp4Error) throw boxes;
    const stbl = path(child(boxes[1] as ContainerBox, 'trak') as ContainerBox, 'mdia', 'minf', 'stbl')!;
    const co64 = child(stbl, 'co64')!;
    expect(co64.chunkOffsets[0]).toBe(head.length);
    expect(co64.chunkOffsets[co64.chunkOffsets.length - 1]).toBe(head.length + 60 * big.length);
    // mdat header with a 64-bit size.
    const dv = new DataView(head.buffer, head.byteOffset + head.length - 16, 16);
    expect(dv.getUint32(0)).toBe(1);
    expect(Number(dv.getBigUint64(8))).toBe(16 + 70 * big.length);
  });
});

function offsetOf(tops: Box[], index: number): number {
  let o = 0;
  for (let i = 0; i < index; i++) o += boxSize(tops[i]);
  return o;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A tiny H.264 keyframe packet (caps default: the harness's negotiated input caps): for error paths only. */
function keyframe(o: { caps?: string; dts?: number } = {}): HarnessPacketInit {
  return { caps: o.caps, pts: o.dts ?? 0, dts: o.dts ?? 0, flags: PacketFlags.KEYFRAME, data: Uint8Array.of(0, 0, 0, 1, 0x65) };
}

/** The samples mp4Demux gives for a file (the demuxer alone in the element harness): what mp4Mux is fed. */
async function demuxed(file: string): Promise<CpuPacket[]> {
  const h = harness(mp4Demux(), { inputCaps: 'application/octet-stream' });
  h.push({ data: readBytes(file) });
  const samples = await h.drain();
  await h.close();
  return samples;
}
