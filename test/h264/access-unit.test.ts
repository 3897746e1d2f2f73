import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AccessUnitAssembler,
  H264Timestamper,
  nalsOf,
  writeAccessUnit,
  type AccessUnit,
  type AssemblerDropReason,
  type AssemblerOptions,
} from '../../src/codecs/h264';
import { encodeH264, ffprobePackets, mp4ToAnnexB, readBytes, type EncodeOptions } from '../fixtures/h264';
import { prng } from './helpers';
import { requirePeer } from '../peers';

requirePeer('ffmpeg', 'ffprobe');

interface Run {
  aus: AccessUnit[];
  drops: { reason: AssemblerDropReason; bytes: number }[];
}

/** Feeds `data` in chunks of the given sizes (cycled); 0 or none: whole. */
function assemble(data: Uint8Array, sizes: readonly number[] = [], options: AssemblerOptions = {}): Run {
  const drops: Run['drops'] = [];
  const asm = new AccessUnitAssembler({ ...options, onDrop: (reason, bytes) => drops.push({ reason, bytes }) });
  const aus: AccessUnit[] = [];
  if (sizes.length === 0) aus.push(...asm.push(data));
  else {
    let pos = 0;
    for (let i = 0; pos < data.length; i++) {
      const n = Math.max(1, sizes[i % sizes.length]);
      aus.push(...asm.push(data.subarray(pos, pos + n)));
      pos += n;
    }
  }
  aus.push(...asm.flush());
  return { aus, drops };
}

/** What must not depend on chunking: bytes, NALs, flags, picture order. */
function summary(aus: readonly AccessUnit[]): unknown[] {
  return aus.map((a) => ({
    data: Buffer.from(a.data).toString('base64'),
    nals: a.nals.map((n) => `${n.type}@${n.offset}+${n.size}`).join(','),
    key: a.keyframe,
    corrupt: a.corrupt,
    errors: a.errors.join('|'),
    discont: a.discont,
    poc: a.order?.poc,
    header: !a.hasPicture,
  }));
}

const STREAMS: { name: string; opts: EncodeOptions }[] = [
  { name: 'baseline', opts: { profile: 'baseline', frames: 45, gop: 15 } },
  { name: 'main with B-frames', opts: { profile: 'main', frames: 45, bframes: 1, gop: 20 } },
  { name: 'high with B-frames (-bf 2, pyramid)', opts: { profile: 'high', frames: 60, bframes: 2, gop: 25 } },
  { name: '4 slices per frame with AUD', opts: { profile: 'high', frames: 30, bframes: 2, slices: 4, aud: true, gop: 12 } },
  { name: 'open GOP (recovery point SEI)', opts: { profile: 'high', frames: 60, bframes: 2, gop: 12, x264Params: 'keyint-min=12:scenecut=0', openGop: true } },
  { name: '4K', opts: { profile: 'high', width: 3840, height: 2160, frames: 4, preset: 'ultrafast', gop: 2 } },
];

describe('access units against ffprobe -show_packets', () => {
  for (const s of STREAMS) {
    it(`${s.name}: same count, keyframe positions and sizes`, async () => {
      const path = await encodeH264(s.opts);
      const ref = await ffprobePackets(path);
      const { aus, drops } = assemble(readBytes(path));
      expect(drops).toEqual([]);
      expect(aus.length).toBe(ref.length);
      expect(aus.map((a, i) => (a.keyframe ? i : -1)).filter((i) => i >= 0)).toEqual(ref.map((p, i) => (p.keyframe ? i : -1)).filter((i) => i >= 0));
      expect(aus.map((a) => a.data.length)).toEqual(ref.map((p) => p.size));
      expect(aus.every((a) => a.hasPicture && !a.corrupt)).toBe(true);
      if (s.opts.slices) expect(aus.every((a) => a.sliceCount === s.opts.slices && a.nals[0].type === 9)).toBe(true);
      // A single input chunk: every unit is a view of it, no copies.
      expect(aus.every((a) => a.data.buffer === aus[0].data.buffer)).toBe(true);
    });
  }

  it('open GOP keyframes are non-IDR I-frames with a recovery point', async () => {
    const { aus } = assemble(readBytes(await encodeH264(STREAMS[4].opts)));
    const keys = aus.filter((a) => a.keyframe);
    expect(keys[0].idr).toBe(true);
    expect(keys.length).toBeGreaterThan(2);
    expect(keys.slice(1).every((a) => !a.idr && a.recoveryPoint?.recoveryFrameCnt === 0)).toBe(true);
  });
});

describe('presentation times from POC', () => {
  const cases: EncodeOptions[] = [
    { profile: 'baseline', frames: 30, gop: 10 },
    { profile: 'main', frames: 40, bframes: 1, gop: 16 },
    { profile: 'high', frames: 60, bframes: 2, gop: 25 },
    { profile: 'high', frames: 60, bframes: 3, gop: 30, x264Params: 'b-pyramid=strict' },
    { profile: 'high', frames: 48, bframes: 3, gop: 12, openGop: true, x264Params: 'keyint-min=12:scenecut=0:b-pyramid=none' },
    { profile: 'high', frames: 45, bframes: 2, gop: 15, fps: '30000/1001' },
  ];
  for (const opts of cases) {
    it(`equal the encoder's (MP4) times: ${JSON.stringify(opts)}`, async () => {
      const mp4 = await encodeH264({ ...opts, container: 'mp4' });
      const ref = await ffprobePackets(mp4);
      const { aus } = assemble(readBytes(await mp4ToAnnexB(mp4)));
      expect(aus.length).toBe(ref.length);
      const clock = new H264Timestamper();
      const rate = aus[0].sps!.framerate!;
      const frame = (1e9 * rate.den) / rate.num;
      const ours = aus.map((a) => clock.stamp(a, rate));
      // The MP4 starts dts at -delay frames; ours at 0. Compare both on a frame grid relative to dts[0].
      const grid = (t: number | undefined, t0: number | undefined) => Math.round((t! - t0!) / frame);
      expect(ours.map((t) => grid(t.pts, ours[0].dts))).toEqual(ref.map((p) => grid(p.pts, ref[0].dts)));
      expect(ours.map((t) => grid(t.dts, ours[0].dts))).toEqual(ref.map((p) => grid(p.dts, ref[0].dts)));
      // And to the nanosecond, up to rounding of the MP4 timescale.
      ours.forEach((t, i) => expect(Math.abs(t.pts! - ours[0].dts! - (ref[i].pts! - ref[0].dts!))).toBeLessThanOrEqual(1e9 / 15360));
      for (const t of ours) expect(t.pts!).toBeGreaterThanOrEqual(t.dts!);
    });
  }

  it('keeps upstream times and re-anchors on them', () => {
    const clock = new H264Timestamper();
    const au = { hasPicture: true, order: { poc: 0, reset: true, topFieldOrderCnt: 0, bottomFieldOrderCnt: 0 }, slice: undefined, sps: undefined };
    expect(clock.stamp(au, { num: 25, den: 1 }, { pts: 5, dts: 3 })).toEqual({ pts: 5, dts: 3, duration: 40_000_000 });
    const next = { ...au, order: { ...au.order, poc: 2, reset: false } };
    expect(clock.stamp(next, { num: 25, den: 1 })).toEqual({ pts: 40_000_003, dts: 40_000_003, duration: 40_000_000 });
    expect(() => clock.stamp(next, { num: 0, den: 1 })).toThrowError(/frame rate/);
  });
});

describe('chunking independence', () => {
  it('byte-at-a-time gives exactly what the whole buffer gives (multi-slice, AUD, B-frames)', async () => {
    const data = readBytes(await encodeH264(STREAMS[3].opts));
    const whole = assemble(data);
    const bytes = assemble(data, [1]);
    expect(summary(bytes.aus)).toEqual(summary(whole.aus));
    expect(bytes.drops).toEqual(whole.drops);
  });

  it('any random chunking gives the same units, with trailing garbage or truncation too (property)', async () => {
    const clean = readBytes(await encodeH264({ profile: 'high', frames: 12, bframes: 2, gop: 6, slices: 2 }));
    const garbage = Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff);
    const variants = [clean, new Uint8Array([...clean, ...garbage]), new Uint8Array([...garbage.subarray(0, 50), ...clean])];
    const expected = variants.map((v) => assemble(v));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: variants.length - 1 }),
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 20 }),
        fc.option(fc.integer({ min: 0, max: clean.length }), { nil: undefined }),
        (v, sizes, cut) => {
          const data = cut === undefined ? variants[v] : variants[v].subarray(0, cut);
          const want = cut === undefined ? expected[v] : assemble(data);
          const got = assemble(data, sizes);
          expect(summary(got.aus)).toEqual(summary(want.aus));
          expect(got.drops).toEqual(want.drops);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('unit-aligned input (endAccessUnit per unit) gives the same units, handed out at once', async () => {
    const data = readBytes(await encodeH264(STREAMS[2].opts));
    const whole = assemble(data).aus;
    const asm = new AccessUnitAssembler();
    const got: AccessUnit[] = [];
    for (const au of whole) {
      const pushed = asm.push(au.data);
      const ended = asm.endAccessUnit();
      expect(ended.length + pushed.length).toBe(1); // no latency: each unit comes out with its packet
      got.push(...pushed, ...ended);
    }
    got.push(...asm.flush());
    expect(summary(got)).toEqual(summary(whole));
  });

  it('a parameter-set-only packet of aligned input joins the next unit', async () => {
    const data = readBytes(await encodeH264({ profile: 'baseline', frames: 3 }));
    const first = assemble(data).aus[0];
    const nals = nalsOf(first);
    const asm = new AccessUnitAssembler();
    const headerPacket = writeAccessUnit(first, 'byte-stream', { drop: (t) => t !== 7 && t !== 8 });
    const restPacket = writeAccessUnit(first, 'byte-stream', { drop: (t) => t === 7 || t === 8 });
    expect([...asm.push(headerPacket), ...asm.endAccessUnit()]).toEqual([]);
    const out = [...asm.push(restPacket), ...asm.endAccessUnit()];
    expect(out.length).toBe(1);
    expect(out[0].nals.map((n) => n.type)).toEqual(first.nals.map((n) => n.type));
    expect(nalsOf(out[0]).map((n) => Buffer.from(n).toString('hex'))).toEqual(nals.map((n) => Buffer.from(n).toString('hex')));
    expect(out[0].keyframe).toBe(true);
  });
});

describe('AVC samples', () => {
  it('pushAvc gives the units of the Annex B stream (length-prefixed, views of the samples)', async () => {
    const data = readBytes(await encodeH264(STREAMS[2].opts));
    const annexb = assemble(data).aus;
    const asm = new AccessUnitAssembler();
    const got: AccessUnit[] = [];
    for (const au of annexb) {
      const sample = writeAccessUnit(au, 'avc');
      const out = asm.pushAvc(sample, 4);
      expect(out.length).toBe(1);
      expect(out[0].data.buffer).toBe(sample.buffer); // a view of the sample
      expect(out[0].data.length).toBe(sample.length);
      got.push(...out);
    }
    expect(got.map((a) => [a.keyframe, a.order?.poc, a.format, a.lengthSize])).toEqual(annexb.map((a) => [a.keyframe, a.order?.poc, 'avc', 4]));
    expect(got.map((a) => writeAccessUnit(a, 'byte-stream'))).toEqual(annexb.map((a) => writeAccessUnit({ ...a, format: 'avc' as const, lengthSize: 0 }, 'byte-stream')));
  });

  it('a length running past the sample flags the unit corrupt', () => {
    const asm = new AccessUnitAssembler({ skipToKeyframe: false });
    const out = asm.pushAvc(new Uint8Array([0, 0, 0, 9, 0x09, 0xf0]), 4);
    expect(out).toEqual([]); // only an AUD: no picture, dropped
    expect(() => asm.pushAvc(new Uint8Array(4), 3)).toThrowError(/lengthSize/);
  });
});

describe('streams starting mid-GOP', () => {
  it('skipToKeyframe drops units before the first keyframe and reports them; off, it flags them corrupt', async () => {
    const data = readBytes(await encodeH264({ profile: 'high', frames: 40, bframes: 2, gop: 20 }));
    const all = assemble(data).aus;
    // Start at the third unit: its parameter sets are gone too.
    const offset = all[0].data.length + all[1].data.length;
    const tail = data.subarray(offset);
    const skipped = assemble(tail);
    const nextKey = all.findIndex((a, i) => i > 2 && a.keyframe);
    expect(skipped.aus.length).toBe(all.length - nextKey);
    expect(skipped.aus[0].keyframe).toBe(true);
    expect(skipped.aus[0].discont).toBe(true);
    expect(skipped.drops.map((d) => d.reason)).toEqual(Array(nextKey - 2).fill('before-keyframe'));
    const kept = assemble(tail, [], { skipToKeyframe: false });
    expect(kept.aus.length).toBe(all.length - 2);
    expect(kept.aus.slice(0, nextKey - 2).every((a) => a.corrupt)).toBe(true);
    expect(kept.aus[0].errors.join()).toMatch(/unknown PPS/);
    expect(kept.aus.slice(nextKey - 2).every((a) => !a.corrupt)).toBe(true);
  });
});

describe('damaged input', () => {
  it('random bytes: no exception, bounded time, everything reported as dropped or flagged', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 20000 }), fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 5 }), (bytes, sizes) => {
        const t0 = performance.now();
        const { aus } = assemble(bytes, sizes, { skipToKeyframe: false });
        expect(performance.now() - t0).toBeLessThan(2000);
        for (const a of aus) expect(a.data.length).toBeGreaterThan(0);
      }),
      { numRuns: 100 },
    );
  });

  it('random start codes and NAL headers: no exception, damaged units flagged', () => {
    const rnd = prng(7);
    for (let run = 0; run < 200; run++) {
      const parts: number[] = [];
      for (let k = 0; k < 30; k++) {
        parts.push(0, 0, 1, Math.floor(rnd() * 256));
        const n = Math.floor(rnd() * 40);
        for (let j = 0; j < n; j++) parts.push(Math.floor(rnd() * 256));
      }
      const { aus } = assemble(new Uint8Array(parts), [Math.ceil(rnd() * 50)], { skipToKeyframe: false });
      for (const a of aus) if (a.hasPicture && !a.sps) expect(a.corrupt).toBe(true);
    }
  });

  it('bit flips in a real stream: no exception, bounded time, damaged units flagged, same result in any chunking', async () => {
    const clean = readBytes(await encodeH264({ profile: 'high', frames: 20, bframes: 2, gop: 10, slices: 2 }));
    const good = assemble(clean).aus.length;
    const rnd = prng(42);
    let flagged = 0;
    for (let run = 0; run < 60; run++) {
      const data = clean.slice();
      const flips = 1 + Math.floor(rnd() * 20);
      // Flip bits mostly in headers (the first bytes of NALs), where they change parsing.
      for (let f = 0; f < flips; f++) data[Math.floor(rnd() * Math.min(data.length, 3000 + rnd() * data.length))] ^= 1 << Math.floor(rnd() * 8);
      const t0 = performance.now();
      const whole = assemble(data, [], { skipToKeyframe: false });
      const chunked = assemble(data, [1 + Math.floor(rnd() * 700)], { skipToKeyframe: false });
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(summary(chunked.aus)).toEqual(summary(whole.aus));
      expect(whole.aus.length).toBeLessThan(good * 3);
      flagged += whole.aus.filter((a) => a.corrupt).length;
    }
    expect(flagged).toBeGreaterThan(0);
  });

  it('truncation anywhere: the last unit is handed out at flush, nothing throws', async () => {
    const clean = readBytes(await encodeH264({ profile: 'main', frames: 6, bframes: 1 }));
    const full = assemble(clean).aus;
    for (let cut = 0; cut < clean.length; cut += 97) {
      const { aus } = assemble(clean.subarray(0, cut));
      expect(aus.length).toBeLessThanOrEqual(full.length);
      aus.slice(0, -1).forEach((a, i) => expect(a.data).toEqual(full[i].data));
    }
  });

  it('garbage before the stream is reported once, with its size, and flags the first unit discont', async () => {
    const clean = readBytes(await encodeH264({ profile: 'baseline', frames: 3 }));
    const junk = new Uint8Array([5, 6, 7, 8, 9]);
    const r = assemble(new Uint8Array([...junk, ...clean]), [2]);
    expect(r.drops).toEqual([{ reason: 'garbage', bytes: 5 }]);
    expect(r.aus[0].discont).toBe(true);
    // Leading zeros (leading_zero_8bits) are padding, not garbage.
    expect(assemble(new Uint8Array([0, 0, 0, 0, ...clean]), [1]).drops).toEqual([]);
  });

  it('an oversized unit is cut, flagged, and the rest of it skipped', async () => {
    const clean = readBytes(await encodeH264({ profile: 'baseline', frames: 4 }));
    const { aus, drops } = assemble(clean, [512], { maxAccessUnitBytes: 1024, skipToKeyframe: false });
    expect(aus.some((a) => a.corrupt && /exceeds/.test(a.errors.join()))).toBe(true);
    expect(drops.some((d) => d.reason === 'garbage')).toBe(true);
    expect(() => new AccessUnitAssembler({ maxAccessUnitBytes: 0 })).toThrowError(/maxAccessUnitBytes/);
  });
});
