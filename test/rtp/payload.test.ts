import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { H264Depayloader, type DepayedAccessUnit } from '../../src/rtp/h264-depayloader';
import { H264Payloader } from '../../src/rtp/h264-payloader';
import { RtpError } from '../../src/rtp/rtp-packet';
import { accessUnits, encodedAus, hex, nalHex, packetise, parsed, prng, reassemble, type TestAu } from './helpers';
import { requirePeer } from '../peers';

requirePeer('ffmpeg');

const depayAll = (packets: readonly Uint8Array[], options = {}) => {
  const d = new H264Depayloader(options);
  const out: DepayedAccessUnit[] = [];
  for (const p of packets) d.push(p, out);
  d.flush(out);
  return { out, counters: d.counters };
};

const nalsHex = (au: TestAu) => au.nals.map(hex);

describe('H264Payloader', () => {
  it('single NAL, STAP-A and FU-A at the MTU; marker on the last packet of each AU; consecutive sequence numbers', async () => {
    const { aus } = await encodedAus({ profile: 'high', frames: 30, bframes: 2, gop: 10 });
    for (const mtu of [200, 600, 1400]) {
      const { packets, auOf } = packetise(aus, { mtu });
      const hs = packets.map(parsed);
      expect(packets.every((p) => p.length <= mtu)).toBe(true);
      hs.forEach((h, i) => expect(h.sequenceNumber).toBe(i & 0xffff));
      // The marker is set exactly on the last packet of each access unit.
      hs.forEach((h, i) => expect(h.marker).toBe(i === packets.length - 1 || auOf[i + 1] !== auOf[i]));
      const types = new Set(hs.map((h) => h.payload[0] & 0x1f));
      expect(types.has(24)).toBe(true); // SPS+PPS(+SEI) aggregated
      expect(types.has(28)).toBe(true); // IDR slices fragmented
      expect(reassemble(packets).map((nals) => nals.map(hex))).toEqual(aus.map(nalsHex));
    }
  });

  it("aggregate 'none' sends each NAL unit alone; STAP-A NRI is the maximum and F the OR of its units", async () => {
    const { aus } = await encodedAus({ profile: 'baseline', frames: 5 });
    const { packets } = packetise(aus, { aggregate: 'none' });
    expect(packets.map(parsed).some((h) => (h.payload[0] & 0x1f) === 24)).toBe(false);
    expect(reassemble(packets).map((n) => n.map(hex))).toEqual(aus.map(nalsHex));
    const pay = new H264Payloader({ ssrc: 1, seqStart: 0, timestampOffset: 0 });
    const out: Uint8Array[] = [];
    pay.push([Uint8Array.of(0x06, 1, 2), Uint8Array.of(0x41 | 0x80, 9), Uint8Array.of(0x68, 7)], 0, 0, out);
    expect(out).toHaveLength(1);
    expect(parsed(out[0]).payload[0]).toBe(0x80 | 0x60 | 24);
  });

  it('puts SPS/PPS before IDRs that lack them (config-interval -1), not with 0; after an AUD', () => {
    const sps = Uint8Array.of(0x67, 0x42, 0xc0, 0x1e, 0xaa);
    const pps = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);
    const aud = Uint8Array.of(0x09, 0xf0);
    const idr = Uint8Array.of(0x65, 0x88, 0x84);
    const types = (out: Uint8Array[]) => reassemble(out).map((au) => au.map((n) => n[0] & 0x1f));
    const run = (configInterval: number) => {
      const pay = new H264Payloader({ configInterval, ssrc: 1, seqStart: 0, timestampOffset: 0 });
      const out: Uint8Array[] = [];
      pay.push([sps, pps, idr], 0, 0, out);
      pay.push([Uint8Array.of(0x41, 1)], 3000, 33e6, out);
      pay.push([aud, idr], 6000, 66e6, out);
      return out;
    };
    expect(types(run(-1))).toEqual([[7, 8, 5], [1], [9, 7, 8, 5]]);
    expect(types(run(0))).toEqual([[7, 8, 5], [1], [9, 5]]);
    // 1 s interval: not due 66 ms after the last.
    expect(types(run(1))).toEqual([[7, 8, 5], [1], [9, 5]]);
  });

  it('validates options with RtpError', () => {
    expect(() => new H264Payloader({ mtu: 20 })).toThrow(RtpError);
    expect(() => new H264Payloader({ pt: 128 })).toThrow(/payload type/);
    expect(() => new H264Payloader({ ssrc: -1 })).toThrow(/ssrc/);
    expect(() => new H264Payloader({ seqStart: 65536 })).toThrow(/seqStart/);
    expect(() => new H264Payloader({ configInterval: -2 })).toThrow(/configInterval/);
    expect(() => new H264Payloader({ aggregate: 'max' as never })).toThrow(/aggregate/);
  });

  it('datagrams kept across pushes stay intact, each unit in a buffer of its own; NAL units may be views of a Node Buffer', () => {
    const rnd = prng(7);
    const body = (n: number) => Uint8Array.from({ length: n }, () => 1 + Math.floor(rnd() * 255));
    const sizes = [5000, 90_000, 300_000, 40, 120_000, 3, 70_000];
    const backing = Buffer.alloc(sizes.reduce((a, b) => a + b + 8, 0));
    let at = 3;
    // NAL units as views at odd offsets of one Node Buffer, as a file read gives them.
    const aus: TestAu[] = sizes.map((n, i) => {
      const nal = backing.subarray(at, at + n);
      nal.set(body(n));
      nal[0] = i === 0 ? 0x65 : 0x41;
      at += n + 5;
      return { data: new Uint8Array(0), nals: [nal, Uint8Array.of(0x06, 5, 1, 9)], idr: i === 0 };
    });
    const { packets, auOf } = packetise(aus, { mtu: 1400 });
    expect(reassemble(packets).map((nals) => nals.map(hex))).toEqual(aus.map(nalsHex));
    // A unit's datagrams are consecutive views of one buffer, which holds nothing else.
    for (let i = 0; i < packets.length; i++) {
      const first = auOf.indexOf(auOf[i]);
      const size = packets.filter((_, k) => auOf[k] === auOf[i]).reduce((a, p) => a + p.length, 0);
      expect(packets[i].buffer).toBe(packets[first].buffer);
      expect(packets[i].buffer.byteLength).toBe(size);
      if (i > first) expect(packets[i].byteOffset).toBe(packets[i - 1].byteOffset + packets[i - 1].length);
    }
  });

  it('property: any NAL sizes and MTU round-trip through the depayloader', () => {
    // Bodies without zero bytes, as escaped NAL units are for Annex B purposes (no start code inside, no trailing zero).
    const nal = fc.integer({ min: 1, max: 3000 }).chain((n) => fc.tuple(fc.constantFrom(0x65, 0x41, 0x06, 0x67, 0x68, 0x01), fc.uint8Array({ min: 1, minLength: n - 1, maxLength: n - 1 })));
    fc.assert(
      fc.property(fc.array(fc.array(nal, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 28, max: 1500 }), fc.constantFrom('none', 'stap-a'), (units, mtu, aggregate) => {
        // The first unit starts with an IDR's first slice (first_mb_in_slice 0: the bit 1) so that the depayloader starts at once.
        const aus: TestAu[] = units.map((u, i) => {
          const nals = u.map(([h, body], k) => Uint8Array.from(i === 0 && k === 0 ? [0x65, 0x88, ...body] : [i === 0 ? 0x65 : h, ...body]));
          return { data: new Uint8Array(0), nals, idr: i === 0 };
        });
        const { packets } = packetise(aus, { mtu, aggregate: aggregate as 'none' | 'stap-a', configInterval: 0 });
        expect(packets.every((p) => p.length <= mtu)).toBe(true);
        const { out } = depayAll(packets);
        expect(out.map((o) => nalHex(o.data))).toEqual(aus.map(nalsHex));
      }),
      { numRuns: 150 },
    );
  });
});

describe('H264Depayloader', () => {
  it('reproduces every access unit of a real stream, keyframes flagged, timestamps from RTP', async () => {
    const { aus } = await encodedAus({ profile: 'high', frames: 30, bframes: 2, gop: 10 });
    const { packets } = packetise(aus, { mtu: 500 });
    const { out, counters } = depayAll(packets);
    expect(out.map((o) => nalHex(o.data))).toEqual(aus.map(nalsHex));
    expect(out.map((o) => o.keyframe)).toEqual(aus.map((a) => a.idr));
    expect(out.every((o) => !o.corrupt)).toBe(true);
    expect(out.map((o) => o.discont)).toEqual(aus.map((_, i) => i === 0));
    expect(out.map((o) => o.timestamp)).toEqual(aus.map((_, i) => 3000 * i));
    expect(counters).toMatchObject({ lost: 0, late: 0, invalid: 0, damaged: 0, dropped: 0, accessUnits: aus.length });
  });

  it('follows sequence numbers and timestamps across their wrap-around', async () => {
    const { aus } = await encodedAus({ profile: 'baseline', frames: 20, gop: 10 });
    const { packets } = packetise(aus, { mtu: 200, seqStart: 65530, timestampOffset: 0xffffffff - 3000 * 5 });
    const hs = packets.map(parsed);
    expect(hs.some((h) => h.sequenceNumber < 10)).toBe(true);
    expect(hs.some((h) => h.timestamp < 3000 * 10)).toBe(true);
    const { out, counters } = depayAll(packets);
    expect(counters.lost).toBe(0);
    expect(out.map((o) => nalHex(o.data))).toEqual(aus.map(nalsHex));
    // Extended timestamps keep increasing through the wrap.
    const ts = out.map((o) => o.timestamp - out[0].timestamp);
    expect(ts).toEqual(aus.map((_, i) => 3000 * i));
  });

  it('drop-until-idr: a loss drops the damaged AU and the rest of the GOP, resumes at the next IDR flagged DISCONT', async () => {
    const { aus } = await encodedAus({ profile: 'baseline', frames: 30, gop: 10 });
    const { packets, auOf } = packetise(aus, { mtu: 300 });
    // Lose the middle of AU 3 (a P frame).
    const victim = auOf.indexOf(3) + 1;
    const kept = packets.filter((_, i) => i !== victim);
    const { out, counters } = depayAll(kept);
    expect(counters.lost).toBe(1);
    const ts = out.map((o) => o.timestamp / 3000);
    expect(ts).toEqual([0, 1, 2, ...Array.from({ length: 20 }, (_, k) => 10 + k)]);
    expect(out.every((o) => !o.corrupt)).toBe(true);
    expect(out.find((o) => o.timestamp === 30000)!.discont).toBe(true);
    expect(counters.dropped).toBe(7);
    expect(counters.damaged).toBe(1);
  });

  it('mark-corrupt: passes every AU, CORRUPT from the damaged one up to the next IDR', async () => {
    const { aus } = await encodedAus({ profile: 'baseline', frames: 30, gop: 10 });
    const { packets, auOf } = packetise(aus, { mtu: 300 });
    const victim = auOf.indexOf(3) + 1;
    const { out } = depayAll(packets.filter((_, i) => i !== victim), { onLoss: 'mark-corrupt' });
    expect(out).toHaveLength(30);
    expect(out.map((o) => o.corrupt)).toEqual(aus.map((_, i) => i >= 3 && i < 10));
    expect(out.map((o) => o.discont)).toEqual(aus.map((_, i) => i === 0 || i === 3));
    // The damaged AU lacks the lost fragment's NAL (partial NALs are removed).
    expect(nalHex(out[3].data).length).toBeLessThan(aus[3].nals.length + 1);
  });

  it('a lost marker packet: the AU ends at the next timestamp, damaged; no AU is ever emitted unflagged with bytes missing', async () => {
    const { aus } = await encodedAus({ profile: 'baseline', frames: 12, gop: 6 });
    const { packets, auOf } = packetise(aus, { mtu: 300 });
    const lastOf2 = auOf.lastIndexOf(2);
    const { out } = depayAll(
      packets.filter((_, i) => i !== lastOf2),
      { onLoss: 'mark-corrupt' },
    );
    for (let i = 0; i < out.length; i++) {
      const exact = JSON.stringify(nalHex(out[i].data)) === JSON.stringify(aus[i].nals.map(hex));
      if (!exact) expect(out[i].corrupt).toBe(true);
    }
    expect(out[2].corrupt).toBe(true);
    expect(out[6].corrupt).toBe(false);
  });

  it('drops reordered and duplicate packets as late; counts invalid ones; a new SSRC restarts', async () => {
    const { aus } = await encodedAus({ profile: 'baseline', frames: 6, gop: 3 });
    const { packets } = packetise(aus, { mtu: 300 });
    const d = new H264Depayloader();
    const out: DepayedAccessUnit[] = [];
    d.push(packets[0], out);
    d.push(packets[0], out);
    d.push(Uint8Array.of(1, 2, 3), out);
    d.push(Uint8Array.of(0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), out);
    expect(d.counters).toMatchObject({ late: 1, invalid: 2 });
    for (const p of packets.slice(1)) d.push(p, out);
    const again = packetise(aus, { mtu: 300, ssrc: 99, seqStart: 5000 }).packets;
    for (const p of again) d.push(p, out);
    d.flush(out);
    expect(d.counters.restarts).toBe(1);
    expect(d.counters.lost).toBe(0);
    expect(out).toHaveLength(12);
    expect(out[6].epoch).toBe(1);
    expect(out[6].discont).toBe(true);
  });

  it('inserts sprop-parameter-sets before the first IDR when the stream has none in band', async () => {
    const { aus } = await encodedAus({ profile: 'baseline', frames: 3 });
    const sps = aus[0].nals.find((n) => (n[0] & 0x1f) === 7)!;
    const pps = aus[0].nals.find((n) => (n[0] & 0x1f) === 8)!;
    const stripped = aus.map((a) => ({ ...a, nals: a.nals.filter((n) => (n[0] & 0x1f) !== 7 && (n[0] & 0x1f) !== 8) }));
    const { packets } = packetise(stripped, { configInterval: 0 });
    const { out } = depayAll(packets, { parameterSets: [sps, pps] });
    expect(nalHex(out[0].data).slice(0, 2)).toEqual([hex(sps), hex(pps)]);
    expect(nalHex(out[1].data)).toEqual(stripped[1].nals.map(hex));
  });

  it('property: under any loss, duplication and reordering, an emitted AU is exact or flagged CORRUPT (never with drop-until-idr)', async () => {
    const { aus } = await encodedAus({ profile: 'main', frames: 24, bframes: 1, gop: 8, slices: 2 });
    const { packets } = packetise(aus, { mtu: 300, seqStart: 65400, timestampOffset: 0xffffffff - 9000 });
    const byTs = new Map(aus.map((a, i) => [3000 * i, JSON.stringify(a.nals.map(hex))]));
    fc.assert(
      fc.property(
        fc.array(fc.record({ drop: fc.integer({ min: 0, max: 19 }), dup: fc.integer({ min: 0, max: 29 }), swap: fc.integer({ min: 0, max: 14 }) }), { minLength: packets.length, maxLength: packets.length }),
        fc.constantFrom('drop-until-idr', 'mark-corrupt'),
        (plan, onLoss) => {
          const wire: Uint8Array[] = [];
          packets.forEach((p, i) => {
            if (plan[i].drop === 0) return;
            wire.push(p);
            if (plan[i].dup === 0) wire.push(p);
            if (plan[i].swap === 0 && wire.length > 1) [wire[wire.length - 1], wire[wire.length - 2]] = [wire[wire.length - 2], wire[wire.length - 1]];
          });
          const { out, counters } = depayAll(wire, { onLoss });
          let prev = -Infinity;
          for (const [k, o] of out.entries()) {
            const source = byTs.get(o.timestamp - (0xffffffff - 9000))!;
            let exact = source === JSON.stringify(nalHex(o.data));
            // A receiver cannot know what was sent before its first packet: the first unit may lack leading
            // non-VCL NAL units (parameter sets, SEI), never picture data.
            if (!exact && k === 0 && counters.restarts === 0) {
              const src = JSON.parse(source) as string[];
              const got = nalHex(o.data);
              const cut = src.length - got.length;
              exact = cut > 0 && JSON.stringify(src.slice(cut)) === JSON.stringify(got) && src.slice(0, cut).every((h) => !['1', '2', '3', '4', '5'].includes(String(parseInt(h.slice(0, 2), 16) & 0x1f)));
            }
            if (!exact) expect(o.corrupt).toBe(true);
            if (onLoss === 'drop-until-idr') expect(o.corrupt).toBe(false);
            expect(o.timestamp).not.toBe(prev);
            prev = o.timestamp;
          }
          if (counters.lost === 0 && counters.late === 0) expect(out).toHaveLength(aus.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never throws on random bytes, truncated packets or mangled payloads', () => {
    const aus = accessUnits(new Uint8Array(0));
    expect(aus).toEqual([]);
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 40 }), fc.constantFrom('drop-until-idr', 'mark-corrupt'), (datagrams, onLoss) => {
        const d = new H264Depayloader({ onLoss: onLoss as 'mark-corrupt' });
        const out: DepayedAccessUnit[] = [];
        for (const g of datagrams) {
          // Half of them made to look like RTP so that payload parsing is reached.
          if (g.length >= 12 && g[0] & 1) g[0] = 0x80 | (g[0] & 0x3f);
          d.push(g, out);
        }
        d.flush(out);
        for (const o of out) expect(o.data).toBeInstanceOf(Uint8Array);
      }),
      { numRuns: 500 },
    );
  });
});
