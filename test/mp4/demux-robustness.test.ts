/**
 * The demuxer on inputs that broke it (issue 15): a movie timescale of 1 GHz, a moov-less file pushed a byte
 * at a time, CMAF's negative composition offsets, damage confined to one track, and a graceful early stop.
 * Inputs are made by ffmpeg here; references come from ffprobe.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipe } from '../../src';
import { Mp4Demuxer, Mp4Error, parseBoxes, type Box, type Mp4DemuxEvent } from '../../src/formats/mp4';
import { fakeSink } from '../../operators/fake-sink';
import { fileSrc } from '../../operators/file-src';
import { mp4Demux } from '../../operators/mp4-demux';
import { installNodeFileOpener } from '../../node/drivers/fs';
import { demuxAll, encodeMp4, makeAvFixtures, probePackets, readBytes, sameBytes, samplesOf, tempDir, tool, type AvLayout } from './helpers';
import { requirePeer } from '../peers';

requirePeer('ffmpeg', 'ffprobe');

let tmp: ReturnType<typeof tempDir>;
/** 640x360, 2 B-frames, moov at the end (ffmpeg's default), about 2 MB. */
let big: string;
/** 320x240, 60 frames, 2 B-frames. */
let small: string;
let av: Record<AvLayout, string>;

function ffmpeg(...args: string[]): void {
  const r = tool('ffmpeg', ['-v', 'error', '-y', ...args]);
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
}

beforeAll(() => {
  tmp = tempDir();
  big = join(tmp.dir, 'big.mp4');
  encodeMp4(big, {
    size: '640x360',
    frames: 300,
    bframes: 2,
    gop: 30,
    preset: 'ultrafast',
  });
  small = join(tmp.dir, 'small.mp4');
  encodeMp4(small, { size: '320x240', frames: 60, bframes: 2, gop: 30 });
  av = makeAvFixtures(tmp.dir);
});
afterAll(() => tmp.cleanup());

const errorOf = (events: Mp4DemuxEvent[]): Mp4Error | undefined => events.find((e) => e.kind === 'error')?.error as Mp4Error | undefined;
const warningsOf = (events: Mp4DemuxEvent[]) => events.flatMap((e) => (e.kind === 'warning' ? [e] : []));
const timesOf = (events: Mp4DemuxEvent[]) => samplesOf(events).map((s) => [s.pts, s.dts, s.duration, s.size, s.key]);

/** Offsets of the boxes at a path of types, walking containers from the top level (children at +8). */
function boxesAt(bytes: Uint8Array, types: readonly string[], from = 0, to = bytes.length): number[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let o = from; o + 8 <= to; ) {
    const size = dv.getUint32(o);
    if (size < 8) break;
    if (String.fromCharCode(...bytes.subarray(o + 4, o + 8)) === types[0]) {
      if (types.length === 1) out.push(o);
      else out.push(...boxesAt(bytes, types.slice(1), o + 8, o + size));
    }
    o += size;
  }
  return out;
}

/** The stsd box of the track with this handler ('vide', 'soun'). */
function stsdOf(bytes: Uint8Array, handler: string): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const trak of boxesAt(bytes, ['moov', 'trak'])) {
    const end = trak + dv.getUint32(trak);
    const [hdlr] = boxesAt(bytes, ['mdia', 'hdlr'], trak + 8, end);
    // hdlr: header 8, version/flags 4, pre_defined 4, handler_type.
    if (String.fromCharCode(...bytes.subarray(hdlr + 16, hdlr + 20)) === handler) return boxesAt(bytes, ['mdia', 'minf', 'stbl', 'stsd'], trak + 8, end)[0];
  }
  throw new Error(`no '${handler}' track`);
}

describe('movie timescale (mvhd) of 1 GHz and more', () => {
  it('next() never throws: durations and empty edits are converted exactly, samples as before', () => {
    // A 0.5 s empty edit in front: ffmpeg writes it for a stream that starts late.
    const src = join(tmp.dir, 'late.mp4');
    ffmpeg('-i', small, '-c', 'copy', '-output_ts_offset', '0.5', '-movflags', '+faststart', src);
    const bytes = readBytes(src);
    const plain = demuxAll(bytes);
    expect(errorOf(plain)).toBeUndefined();
    expect(samplesOf(plain)[0].dts).toBeGreaterThanOrEqual(400_000_000); // the empty edit is applied

    // The same file with the movie timescale 1000 → 1e9 (every movie-scale value × 1e6): the same movie.
    const ns = bytes.slice();
    const dv = new DataView(ns.buffer);
    const [mvhd] = boxesAt(ns, ['moov', 'mvhd']);
    expect(dv.getUint32(mvhd + 20)).toBe(1000); // version 0: header 8, version/flags 4, times 8, timescale
    dv.setUint32(mvhd + 20, 1e9);
    dv.setUint32(mvhd + 24, dv.getUint32(mvhd + 24) * 1e6);
    const [elst] = boxesAt(ns, ['moov', 'trak', 'edts', 'elst']);
    for (let i = 0, n = dv.getUint32(elst + 12); i < n; i++) dv.setUint32(elst + 16 + 12 * i, dv.getUint32(elst + 16 + 12 * i) * 1e6);
    const scaled = demuxAll(ns);
    expect(errorOf(scaled)).toBeUndefined();
    expect(scaled[0]).toMatchObject({
      kind: 'track',
      track: { duration: 2_500_000_000 },
    });
    expect(timesOf(scaled)).toEqual(timesOf(plain));
    expect(timesOf(scaled).map(([pts, dts]) => [pts, dts])).toEqual(probePackets(src).map((p) => [p.ptsNs, p.dtsNs]));

    // The largest timescale there is: still no exception, every sample.
    dv.setUint32(mvhd + 20, 0xffffffff);
    const widest = demuxAll(ns, 4096);
    expect(errorOf(widest)).toBeUndefined();
    expect(samplesOf(widest)).toHaveLength(60);
  });
});

describe('memory is bounded by bytes buffered, not by chunks', () => {
  /** `big` cut before its moov: a recording that never finished. */
  const moovless = (): Uint8Array => {
    const bytes = readBytes(big);
    const [moov] = boxesAt(bytes, ['moov']);
    return bytes.subarray(0, moov);
  };

  it('a moov-less file pushed a byte at a time holds about its size (coalesced), and says what is missing', () => {
    const cut = moovless();
    expect(cut.length).toBeGreaterThan(1_500_000);
    const d = new Mp4Demuxer();
    let peak = 0;
    let early: Mp4DemuxEvent | undefined;
    for (let i = 0; i < cut.length; i++) {
      d.push(cut.subarray(i, i + 1));
      early ??= d.next();
      if (d.bufferedBytes > peak) peak = d.bufferedBytes;
    }
    expect(early).toBeUndefined();
    // Everything from the mdat on is held (the moov could still come), in 64 KiB slabs: one slab of slack.
    // One view object per byte would be about 100 times this.
    expect(peak).toBeGreaterThan(cut.length - 100_000);
    expect(peak).toBeLessThan(cut.length * 1.01 + 65_536);
    d.end();
    const e = d.next();
    expect(e).toMatchObject({ kind: 'error', error: { code: 'truncated' } });
    expect((e as { error: Mp4Error }).error.message).toMatch(/^no moov box in \d+ bytes \(the file ends before its moov/);
    expect(d.next()).toEqual({ kind: 'end' });
    expect(d.bufferedBytes).toBe(0);
  });

  it('waiting for a moov is capped by maxBufferBytes: a clear error naming the limit, and the memory goes', () => {
    const cut = moovless();
    const limit = 500_000;
    const d = new Mp4Demuxer({ maxBufferBytes: limit });
    let error: Mp4Error | undefined;
    let pushed = 0;
    let peak = 0;
    while (pushed < cut.length && !error) {
      d.push(cut.subarray(pushed, pushed + 1));
      pushed++;
      peak = Math.max(peak, d.bufferedBytes);
      const e = d.next();
      if (e?.kind === 'error') error = e.error;
    }
    expect(error?.code).toBe('too-large');
    expect(error?.message).toMatch(/waiting for the moov, more than maxBufferBytes \(500000\).*faststart.*max-buffer-bytes/);
    // It stopped as soon as it passed the limit, not at the end of the input.
    expect(peak).toBeLessThan(limit + 65_536 + 200);
    expect(pushed).toBeLessThan(limit + 65_536);
    expect(d.bufferedBytes).toBe(0);
    expect(d.next()).toEqual({ kind: 'end' });
  });

  it('a progressive file pushed a byte at a time gives the same samples, copied once each, in little memory', () => {
    const fast = join(tmp.dir, 'small-fast.mp4');
    ffmpeg('-i', small, '-c', 'copy', '-movflags', '+faststart', fast);
    const bytes = readBytes(fast);
    const whole = samplesOf(demuxAll(bytes));
    const d = new Mp4Demuxer();
    const events: Mp4DemuxEvent[] = [];
    let peak = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i < bytes.length) d.push(bytes.subarray(i, i + 1));
      else d.end();
      for (let e = d.next(); e && e.kind !== 'end'; e = d.next()) events.push(e);
      peak = Math.max(peak, d.bufferedBytes);
    }
    const got = samplesOf(events);
    expect(got.length).toBe(60);
    got.forEach((s, i) => expect(sameBytes(s.data, whole[i].data)).toBe(true));
    expect(events.filter((e) => e.kind === 'sample').every((e) => e.kind === 'sample' && e.sample.copied)).toBe(true);
    // The moov, a sample and two slabs at most: never the file.
    expect(peak).toBeLessThan(Math.max(...got.map((s) => s.size)) + 4 * 65_536);
  });
});

describe('negative composition offsets (trun/ctts version 1)', () => {
  /** A trun of version 1 with a negative offset somewhere: the premise of the CMAF test. */
  const hasNegativeTrun = (boxes: Box[]): boolean =>
    boxes.some(
      (b) =>
        b.type === 'moof' &&
        b.children.some(
          (t) => t.type === 'traf' && t.children.some((r) => r.type === 'trun' && r.version === 1 && (r.compositionOffsets ?? []).some((c) => c < 0))
        )
    );

  it('ffmpeg -movflags cmaf with B-frames: pts and dts as ffprobe reports them, pts ≥ dts', () => {
    const cmaf = join(tmp.dir, 'cmaf.mp4');
    ffmpeg('-i', small, '-c', 'copy', '-movflags', 'cmaf', cmaf);
    const bytes = readBytes(cmaf);
    const boxes = parseBoxes(bytes);
    if (boxes instanceof Mp4Error) throw boxes;
    expect(hasNegativeTrun(boxes)).toBe(true);
    const want = probePackets(cmaf);
    for (const chunk of [bytes.length, 1000]) {
      const events = demuxAll(bytes, chunk);
      expect(errorOf(events)).toBeUndefined();
      const got = samplesOf(events);
      expect(got.map((s) => [s.pts, s.dts, s.size, s.key])).toEqual(want.map((p) => [p.ptsNs, p.dtsNs, p.size, p.key]));
      expect(got.every((s) => s.pts >= s.dts)).toBe(true);
    }
  });

  it('a progressive file with ctts version 1 (ffmpeg negative_cts_offsets): as ffprobe, pts ≥ dts', () => {
    const neg = join(tmp.dir, 'neg-cts.mp4');
    ffmpeg('-i', small, '-c', 'copy', '-movflags', 'negative_cts_offsets+faststart', neg);
    const events = demuxAll(readBytes(neg));
    expect(errorOf(events)).toBeUndefined();
    const got = samplesOf(events);
    expect(got.map((s) => [s.pts, s.dts])).toEqual(probePackets(neg).map((p) => [p.ptsNs, p.dtsNs]));
    expect(got.some((s, i) => i > 0 && s.dts === got[i - 1].dts)).toBe(false);
    expect(got.every((s) => s.pts >= s.dts)).toBe(true);
  });
});

describe('damage confined to one track', () => {
  it("a broken audio stsd: the video is read whole and the audio track is reported, not the file's failure", () => {
    const intact = readBytes(av.faststart);
    const want = timesOf(demuxAll(intact));
    expect(want).toHaveLength(60);
    const broken = intact.slice();
    // stsd: header 8, version/flags 4, entry_count: an impossible count.
    new DataView(broken.buffer).setUint32(stsdOf(broken, 'soun') + 12, 0x7fffffff);
    for (const chunk of [broken.length, 999]) {
      const events = demuxAll(broken, chunk);
      expect(errorOf(events)).toBeUndefined();
      expect(timesOf(events)).toEqual(want);
      const w = warningsOf(events);
      expect(w).toHaveLength(1);
      expect(w[0].trackId).toBe(2);
      expect(w[0].error.message).toMatch(/^track 2 'soun': damaged 'stsd' box makes the track unreadable; track skipped: stsd: 2147483647 entries do not fit/);
    }
  });

  it('damage to a box the video track does not need (btrt) is reported and skipped', () => {
    const broken = readBytes(av.faststart).slice();
    const avc1 = stsdOf(broken, 'vide') + 16;
    // avc1: header 8 and 78 bytes of fields, then its children: avcC, pasp, btrt.
    const [btrt] = boxesAt(broken, ['btrt'], avc1 + 86, avc1 + new DataView(broken.buffer).getUint32(avc1));
    new DataView(broken.buffer).setUint32(btrt, 0xffff);
    const events = demuxAll(broken);
    expect(errorOf(events)).toBeUndefined();
    expect(timesOf(events)).toEqual(timesOf(demuxAll(readBytes(av.faststart))));
    expect(warningsOf(events).map((w) => w.error.message)).toEqual([
      expect.stringMatching(/^track 1 'vide': damaged 'btrt' box skipped: 'btrt' box \(65535 bytes\) overruns/),
    ]);
  });

  it('a broken video stsd: the error names the damaged track and the others', () => {
    const broken = readBytes(av.faststart).slice();
    new DataView(broken.buffer).setUint32(stsdOf(broken, 'vide') + 12, 0x7fffffff);
    const e = errorOf(demuxAll(broken));
    expect(e?.code).toBe('unsupported');
    expect(e?.message).toMatch(/^no H\.264 video track \(found: track 1 'vide' damaged \(stsd: stsd: 2147483647 entries .*\), track 2 'soun' mp4a\)$/);
  });

  it.each(['fragmented default-base-is-moof', 'fragmented explicit base offsets'] as const)(
    '%s: a broken audio trun in every fragment is skipped, said once',
    (layout) => {
      const intact = readBytes(av[layout]);
      const want = timesOf(demuxAll(intact));
      expect(want).toHaveLength(60);
      const broken = intact.slice();
      const dv = new DataView(broken.buffer);
      let damaged = 0;
      for (const traf of boxesAt(broken, ['moof', 'traf'])) {
        const end = traf + dv.getUint32(traf);
        const [tfhd] = boxesAt(broken, ['tfhd'], traf + 8, end);
        if (dv.getUint32(tfhd + 12) !== 2) continue;
        for (const trun of boxesAt(broken, ['trun'], traf + 8, end)) dv.setUint32(trun + 12, 0x7fffffff); // sample_count
        damaged++;
      }
      expect(damaged).toBeGreaterThan(1);
      const events = demuxAll(broken, 4096);
      expect(errorOf(events)).toBeUndefined();
      expect(timesOf(events)).toEqual(want);
      const w = warningsOf(events);
      expect(w).toHaveLength(1);
      expect(w[0]).toMatchObject({ trackId: 2 });
      expect(w[0].error.message).toMatch(/^movie fragment: damaged 'trun' box of track 2 skipped \(said once\): trun: 2147483647 samples do not fit/);
    }
  );
});

describe('a graceful early stop is not truncation', () => {
  it('stop() ends after the samples read, without an error; end() at the same byte reports the cut', () => {
    for (const layout of ['+faststart', 'frag_keyframe+empty_moov+default_base_moof']) {
      const f = join(tmp.dir, `stop-${layout.replace(/\W/g, '')}.mp4`);
      ffmpeg('-i', big, '-c', 'copy', '-movflags', layout, f);
      const bytes = readBytes(f).subarray(0, 400_000);
      const run = (finish: (d: Mp4Demuxer) => void): Mp4DemuxEvent[] => {
        const d = new Mp4Demuxer();
        const events: Mp4DemuxEvent[] = [];
        for (let i = 0; i < bytes.length; i += 65_536) {
          d.push(bytes.subarray(i, i + 65_536));
          for (let e = d.next(); e; e = d.next()) events.push(e);
        }
        finish(d);
        for (let e = d.next(); e; e = d.next()) {
          events.push(e);
          if (e.kind === 'end') break;
        }
        return events;
      };
      const stopped = run((d) => d.stop());
      expect(errorOf(stopped), layout).toBeUndefined();
      expect(stopped.at(-1)).toEqual({ kind: 'end' });
      expect(samplesOf(stopped).length).toBeGreaterThan(10);
      expect(errorOf(run((d) => d.end()))?.code).toBe('truncated');
    }
  });

  it('fileSrc ! mp4Demux with a frame limit (g2g ocr --frames 3): the run ends cleanly, soon after the limit', async () => {
    installNodeFileOpener(); // as g2g ocr reads its input
    for (const layout of ['+faststart', 'frag_keyframe+empty_moov+default_base_moof']) {
      const f = join(tmp.dir, `limit-${layout.replace(/\W/g, '')}.mp4`);
      ffmpeg('-i', big, '-c', 'copy', '-movflags', layout, f);
      let n = 0;
      const running = pipe(
        fileSrc({ location: f }),
        mp4Demux(),
        fakeSink({
          onPacket: () => {
            if (++n === 3) running.eos();
          },
        })
      ).start();
      // Before the fix: "mp4Demux0 failed: file truncated at byte 65536".
      await expect(running.done, layout).resolves.toBeDefined();
      // The demuxer stops at its next pull instead of handing out the rest of what it holds.
      expect(n, layout).toBe(3);
    }
  });
});
