import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElementError, pipe } from '../../src';
import { boxSize, Mp4Demuxer, Mp4Error, parseBoxes, type Mp4DemuxEvent } from '../../src/formats/mp4';
import { mp4Demux } from '../../operators/mp4-demux';
import {
  AV_LAYOUTS,
  chunkSource,
  collectSink,
  demuxAll,
  LAYOUTS,
  makeAvFixtures,
  makeFixtures,
  type AvLayout,
  probePackets,
  readBytes,
  sameBytes,
  samplesOf,
  tempDir,
  type Layout,
  type SourceName,
} from './helpers';
import { requirePeer } from '../peers';

requirePeer('ffmpeg', 'ffprobe');

let tmp: ReturnType<typeof tempDir>;
let files: Record<SourceName, Record<Layout, string>>;
let av: Record<AvLayout, string>;

beforeAll(() => {
  tmp = tempDir();
  files = makeFixtures(tmp.dir);
  av = makeAvFixtures(tmp.dir);
});
afterAll(() => tmp.cleanup());

const kinds = (events: Mp4DemuxEvent[]): string[] => [...new Set(events.map((e) => e.kind))];
const errorOf = (events: Mp4DemuxEvent[]): Mp4Error | undefined => events.find((e) => e.kind === 'error')?.error as Mp4Error | undefined;

describe('mp4 demuxer against ffprobe', () => {
  const cases = (['baseline', 'high', 'ntsc'] as const).flatMap((s) => LAYOUTS.map((l) => [s, l] as const));

  it.each(cases)('%s %s: same samples as ffprobe -show_packets (count, sizes, pts, dts, keyframes)', (source, layout) => {
    const file = files[source][layout];
    const events = demuxAll(readBytes(file));
    expect(errorOf(events)).toBeUndefined();
    expect(events[0].kind).toBe('track');
    expect(events[events.length - 1].kind).toBe('end');
    const got = samplesOf(events);
    const want = probePackets(file);
    expect(got.length).toBe(want.length);
    expect(got.map((s) => s.size)).toEqual(want.map((p) => p.size));
    expect(got.map((s) => s.pts)).toEqual(want.map((p) => p.ptsNs));
    expect(got.map((s) => s.dts)).toEqual(want.map((p) => p.dtsNs));
    expect(got.map((s) => s.key)).toEqual(want.map((p) => p.key));
  });

  it.each(Object.keys(AV_LAYOUTS) as AvLayout[])('video + interleaved AAC, %s: the video samples, as ffprobe reports them', (layout) => {
    const file = av[layout];
    for (const chunk of [1 << 20, 1000]) {
      const events = demuxAll(readBytes(file), chunk);
      expect(errorOf(events)).toBeUndefined();
      const got = samplesOf(events);
      const want = probePackets(file);
      expect(got.length).toBe(60);
      expect(got.map((s) => [s.size, s.pts, s.dts, s.key])).toEqual(want.map((p) => [p.size, p.ptsNs, p.dtsNs, p.key]));
    }
  });

  it.each(LAYOUTS)('baseline %s: byte-at-a-time feeding equals whole-buffer feeding', (layout) => {
    const bytes = readBytes(files.baseline[layout]);
    const whole = samplesOf(demuxAll(bytes));
    const bytewise = demuxAll(bytes, 1);
    expect(errorOf(bytewise)).toBeUndefined();
    const got = samplesOf(bytewise);
    expect(got.map(({ data: _d, ...s }) => s)).toEqual(whole.map(({ data: _d, ...s }) => s));
    got.forEach((s, i) => expect(sameBytes(s.data, whole[i].data)).toBe(true));
  });

  it.each(LAYOUTS)('high %s: any chunking gives the same samples', (layout) => {
    const bytes = readBytes(files.high[layout]);
    const whole = samplesOf(demuxAll(bytes));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70000 }), (chunk) => {
        const got = samplesOf(demuxAll(bytes, chunk));
        expect(got.length).toBe(whole.length);
        got.forEach((s, i) => {
          expect(s.pts).toBe(whole[i].pts);
          expect(sameBytes(s.data, whole[i].data)).toBe(true);
        });
      }),
      { numRuns: 12 }
    );
  });

  it('reports the track: avcC, size, framerate as a fraction, timescale', () => {
    const events = demuxAll(readBytes(files.ntsc.fragmented));
    const t = events[0].kind === 'track' ? events[0].track : undefined;
    expect(t).toMatchObject({
      trackId: 1,
      codec: 'avc1',
      width: 160,
      height: 120,
      timescale: 30000,
      fragmented: true,
      framerate: { num: 30000, den: 1001 },
    });
    expect(t!.kind === 'video' && t!.config.sps.length).toBe(1);
    const p = demuxAll(readBytes(files.high.faststart));
    expect(p[0]).toMatchObject({
      kind: 'track',
      track: {
        width: 640,
        height: 360,
        timescale: 15360,
        fragmented: false,
        framerate: { num: 30, den: 1 },
        duration: 2_000_000_000,
      },
    });
  });

  it('holds a moov-at-end stream only within maxBufferBytes, and says why', () => {
    const events = demuxAll(readBytes(files.high['moov-at-end']), 4096, {
      maxBufferBytes: 50_000,
    });
    const e = errorOf(events);
    expect(e?.code).toBe('too-large');
    expect(e?.message).toMatch(/moov comes after the mdat/);
    // Faststart and fragmented files never need to hold more than a sample or a fragment.
    expect(
      errorOf(
        demuxAll(readBytes(files.high.faststart), 4096, {
          maxBufferBytes: 50_000,
        })
      )
    ).toBeUndefined();
    expect(
      errorOf(
        demuxAll(readBytes(files.high.fragmented), 4096, {
          maxBufferBytes: 50_000,
        })
      )
    ).toBeUndefined();
  });

  it('validates its options with typed errors', () => {
    expect(() => new Mp4Demuxer({ maxBufferBytes: 0 })).toThrow(Mp4Error);
    expect(() => new Mp4Demuxer({ trackId: 1.5 })).toThrow(/trackId/);
    expect(() => mp4Demux({ onTruncated: 'ignore' as 'eos' })).toThrow(/invalid value 'ignore' for mp4Demux on-truncated: expected one of error, eos/);
  });

  it('names the tracks it found when there is no H.264 track', () => {
    const e = errorOf(demuxAll(readBytes(files.high.faststart), 1 << 20, { trackId: 9 }));
    expect(e?.code).toBe('unsupported');
    expect(e?.message).toMatch(/no H.264, AAC or Opus track with id 9 \(found: track 1 'vide' avc1\)/);
  });
});

describe('truncated and garbage input', () => {
  it('fragmented: every sample before the cut is read, then the truncation is reported', () => {
    const bytes = readBytes(files.high.fragmented);
    const full = samplesOf(demuxAll(bytes));
    // Top-level box boundaries: a cut there leaves a shorter but valid file.
    const tops = parseBoxes(bytes);
    if (tops instanceof Mp4Error) throw tops;
    const boundaries = tops.reduce<number[]>((acc, b) => [...acc, acc[acc.length - 1] + boxSize(b)], [0]);
    // Valid shorter files end after the moov or after an mdat (not between a moof and its mdat).
    const clean = new Set(boundaries.filter((_, i) => i >= 2 && tops[i - 1].type !== 'moof'));
    const cuts = [...boundaries.slice(1, -1), bytes.length - 1, Math.floor(bytes.length * 0.75), Math.floor(bytes.length / 2), 2000, 100];
    for (let k = 0; k < 40; k++) cuts.push(Math.floor(((k + 0.5) / 40) * bytes.length));
    for (const cut of cuts) {
      for (const chunk of [cut, 997]) {
        const events = demuxAll(bytes.subarray(0, cut), chunk);
        const got = samplesOf(events);
        // Eager emission: exactly the samples whose bytes are all before the cut (their moof precedes them).
        const complete = full.filter((s) => s.offset + s.size <= cut);
        expect(got.length).toBe(complete.length);
        got.forEach((s, i) => expect(sameBytes(s.data, complete[i].data)).toBe(true));
        expect(events[events.length - 1].kind).toBe('end');
        const e = errorOf(events);
        if (clean.has(cut)) {
          expect(e, `cut at box boundary ${cut}`).toBeUndefined();
        } else {
          expect(e, `cut at ${cut}`).toBeDefined();
          // Before the moov is complete the file is no MP4 yet (only ftyp: 'invalid-data').
          expect(e!.code).toBe(cut === boundaries[1] ? 'invalid-data' : 'truncated');
        }
      }
    }
  });

  it('the message says where the file ends and what is lost', () => {
    const bytes = readBytes(files.high.fragmented);
    const full = samplesOf(demuxAll(bytes));
    const cut = full[45].offset + 10;
    const e = errorOf(demuxAll(bytes.subarray(0, cut)));
    expect(e?.code).toBe('truncated');
    expect(e?.message).toMatch(
      new RegExp(
        `file truncated at byte ${cut}: it ends inside the 'mdat' box at byte \\d+ \\(\\d+ bytes\\); 15 samples announced after the cut are lost; 45 samples were read`
      )
    );
  });

  it('progressive: a cut moov-at-end file has no moov; a cut faststart file keeps its complete samples', () => {
    const end = readBytes(files.high['moov-at-end']);
    const e1 = errorOf(demuxAll(end.subarray(0, end.length - 100)));
    expect(e1?.code).toBe('truncated');
    expect(e1?.message).toMatch(/no moov box/);
    const fast = readBytes(files.high.faststart);
    const full = samplesOf(demuxAll(fast));
    const cut = full[20].offset + 1;
    const ev = demuxAll(fast.subarray(0, cut), 333);
    expect(samplesOf(ev).length).toBe(20);
    expect(errorOf(ev)?.message).toMatch(/40 samples announced after the cut are lost/);
  });

  it('garbage: random bytes end in an error event, never an exception or a hang', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4000 }), fc.integer({ min: 1, max: 64 }), (bytes, chunk) => {
        const events = demuxAll(bytes, chunk);
        expect(events[events.length - 1].kind).toBe('end');
        expect(samplesOf(events)).toEqual([]);
        expect(errorOf(events)).toBeInstanceOf(Mp4Error);
      }),
      { numRuns: 500 }
    );
  });

  it('damaged files: flipped bytes and spliced garbage never throw or hang', () => {
    const sources = [readBytes(files.baseline.fragmented), readBytes(files.baseline.faststart), readBytes(files.baseline['moov-at-end'])];
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1, 2),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.uint8Array({ maxLength: 64 }),
        fc.nat(),
        (which, flips, junk, at) => {
          const src = sources[which];
          // Damage the first 4 KiB (the boxes) more often than the payload.
          const damaged = src.slice();
          for (const [pos, v] of flips) damaged[pos % Math.min(damaged.length, pos % 2 ? 4096 : damaged.length)] = v;
          const p = at % damaged.length;
          const spliced = new Uint8Array(damaged.length + junk.length);
          spliced.set(damaged.subarray(0, p));
          spliced.set(junk, p);
          spliced.set(damaged.subarray(p), p + junk.length);
          for (const input of [damaged, spliced]) {
            const events = demuxAll(input, 1500);
            expect(events[events.length - 1].kind).toBe('end');
            expect(kinds(events).every((k) => ['track', 'sample', 'warning', 'error', 'end'].includes(k))).toBe(true);
          }
        }
      ),
      { numRuns: 300 }
    );
  });
});

describe('mp4Demux element', () => {
  it('outputs H.264 caps (codec_data, size, framerate, profile, level) and one packet per sample', async () => {
    const c = collectSink();
    const bytes = readBytes(files.high.fragmented);
    const stats = await pipe(chunkSource(bytes, bytes.length), mp4Demux(), c.sink).run();
    expect(c.packets.length).toBe(60);
    const caps = c.packets[0].caps;
    expect(caps.isFixed()).toBe(true);
    expect(caps.toString()).toMatch(
      /^video\/x-h264, stream-format=\(string\)avc, alignment=\(string\)au, width=\(int\)640, height=\(int\)360, framerate=\(fraction\)30\/1, pixel-aspect-ratio=\(fraction\)1\/1, profile=\(string\)high, level=\(string\)3, codec_data=\(string\)01640/
    );
    // One Caps object for the stream: links compare caps by reference.
    expect(c.packets.every((p) => p.caps === caps)).toBe(true);
    expect(c.packets.filter((p) => p.flags & 1).length).toBe(2);
    // A whole-file chunk: every sample is a view of it, nothing copied.
    expect(stats.copies.count).toBe(0);
    for (const p of c.packets) if (p.memory.domain === 'cpu') expect(p.memory.data.buffer).toBe(bytes.buffer);
  });

  it('records the copies of samples that straddle input chunks', async () => {
    const c = collectSink();
    const stats = await pipe(chunkSource(readBytes(files.baseline.faststart), 1000), mp4Demux(), c.sink).run();
    expect(c.packets.length).toBe(60);
    expect(stats.copies.count).toBeGreaterThan(0);
    expect(Object.keys(stats.copies.byElement)).toEqual(['mp4Demux0']);
  });

  it("truncation: 'error' fails the run after the good samples; 'eos' warns and ends normally", async () => {
    const bytes = readBytes(files.high.fragmented);
    const cut = bytes.subarray(0, Math.floor(bytes.length * 0.8));
    const c1 = collectSink();
    const run = pipe(chunkSource(cut, 4096), mp4Demux(), c1.sink).run();
    await expect(run).rejects.toBeInstanceOf(ElementError);
    await expect(run).rejects.toThrow(/mp4Demux0 failed: file truncated at byte/);
    const c2 = collectSink();
    const warnings: string[] = [];
    await pipe(chunkSource(cut, 4096), mp4Demux({ onTruncated: 'eos' }), c2.sink).run({
      log: (level, _el, m) => void (level === 'warn' && warnings.push(m)),
    });
    expect(c2.packets.length).toBe(c1.packets.length);
    expect(c2.packets.length).toBeGreaterThan(30);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/truncated/);
  });

  it('garbage input fails the run with a typed error', async () => {
    const c = collectSink();
    const run = pipe(chunkSource(new TextEncoder().encode('this is not an mp4 file at all'), 7), mp4Demux(), c.sink).run();
    await expect(run).rejects.toThrow(/mp4Demux0 failed: .*not a box|no moov/);
  });
});
