import { describe, expect, it } from 'vitest';
import { fakeSink } from '../../operators';
import { rtpH264Depay } from '../../operators/rtp-h264-depay';
import { rtpH264Pay } from '../../operators/rtp-h264-pay';
import { LIVE_JITTER_LATENCY, rtpJitterBuffer, THROUGHPUT_JITTER_LATENCY } from '../../operators/rtp-jitter-buffer';
import { pipe, VirtualClock, type PipelineStats } from '../../src';
import { Caps } from '../../src/caps';
import { PacketFlags, type CpuPacket, type Packet } from '../../src/packet';
import { buildSenderReport } from '../../src/rtp/rtcp';
import { parseSpropParameterSets } from '../../src/rtp/sdp';
import { MILLISECOND, nsToTicks } from '../../src/time';
import { harness, type HarnessPacketInit } from '../../marbles';
import { auSource, encodedAus, FRAME, H264_AU_CAPS, hex, nalHex, netem, packetise, parsed, rtpSource, type NetemOptions, type TestAu } from './helpers';
import { requirePeer } from '../peers';

requirePeer('ffmpeg');

const RTP_CAPS = 'application/x-rtp, media=(string)video, clock-rate=(int)90000, encoding-name=(string)H264';

/** What auSource emits for AU i (pts = dts = i × frame, KEYFRAME on IDRs), as a packet to push. */
const auInit = (au: TestAu, i: number): HarnessPacketInit => ({ data: au.data, pts: i * FRAME, dts: i * FRAME, duration: FRAME, flags: au.idr ? PacketFlags.KEYFRAME : 0 });

interface Received {
  packets: CpuPacket[];
  stats: PipelineStats;
}

const statsOf = (stats: PipelineStats, factory: string) => stats.elements.find((e) => e.factory === factory)!;

/** Source AUs → pay → netem → jitter buffer → depay → sink, all on a VirtualClock. */
async function loop(aus: readonly TestAu[], net: Partial<NetemOptions> = {}, opts: { latency?: number; onLoss?: 'drop-until-idr' | 'mark-corrupt'; profile?: 'live' | 'throughput'; mtu?: number } = {}) {
  const packets: CpuPacket[] = [];
  const shim = netem({ seed: 7, ...net });
  const jb = rtpJitterBuffer({ latency: opts.latency });
  const depay = rtpH264Depay({ onLoss: opts.onLoss });
  const sender = pipe(auSource(aus, { live: true }), rtpH264Pay({ mtu: opts.mtu ?? 400, seqStart: 65000, timestampOffset: 0xffff0000 }), shim);
  const stats = await pipe(sender, jb, depay, fakeSink<CpuPacket>({ onPacket: (p) => void packets.push(p) })).run({ clock: new VirtualClock(), profile: opts.profile ?? 'live' });
  return { packets, stats, shim, jb, depay };
}

/** Source AU index of an output packet (pts is the source's index × frame, relative to the first). */
const indexOf = (p: Packet, first: number) => Math.round(p.pts! / FRAME) + first;

describe('RTP elements in a pipeline (VirtualClock)', () => {
  it('rtpH264Pay: caps with sprop-parameter-sets and profile-level-id, marker at AU ends, timestamps = pts at 90 kHz + offset', async () => {
    const { aus } = await encodedAus({ profile: 'main', frames: 10, gop: 5 });
    const h = harness(rtpH264Pay({ mtu: 300, seqStart: 100, ssrc: 5, timestampOffset: 1000 }), { inputCaps: H264_AU_CAPS });
    h.pushAll(aus.map(auInit));
    const out = await h.drain();
    await h.close();
    const c = out[0].caps;
    expect(out.every((p) => p.caps === c)).toBe(true);
    expect(h.outputCaps).toBe(c);
    expect(c.get('encoding-name')).toBe('H264');
    expect(c.get('clock-rate')).toBe(90000);
    expect(c.get('packetization-mode')).toBe('1');
    expect(c.get('payload')).toBe(96);
    const sps = aus[0].nals.find((n) => (n[0] & 0x1f) === 7)!;
    const pps = aus[0].nals.find((n) => (n[0] & 0x1f) === 8)!;
    expect(parseSpropParameterSets(c.get('sprop-parameter-sets') as string).map(hex)).toEqual([hex(sps), hex(pps)]);
    expect(c.get('profile-level-id')).toBe(hex(sps.subarray(1, 4)));
    expect(Caps.parse(c.toString()).equals(c)).toBe(true);
    const hs = out.map((p) => parsed(p.memory.data));
    hs.forEach((h, i) => {
      expect(h.sequenceNumber).toBe(100 + i);
      expect(h.ssrc).toBe(5);
      expect(h.timestamp).toBe(1000 + nsToTicks(out[i].pts!, 90000));
      expect(h.marker).toBe((out[i].flags & PacketFlags.MARKER) !== 0);
    });
    expect(hs.filter((h) => h.marker)).toHaveLength(10);
    expect(hs[hs.length - 1].marker).toBe(true);
  });

  it('rtpH264Pay demand: one access unit pulled per AU, its datagrams handed out one per pull', async () => {
    const { aus } = await encodedAus({ profile: 'main', frames: 2, gop: 5 });
    const h = harness(rtpH264Pay({ mtu: 300 }), { inputCaps: H264_AU_CAPS });
    h.pushAll(aus.map(auInit));
    const expected = packetise(aus, { mtu: 300 }).auOf;
    const first = expected.filter((a) => a === 0).length;
    expect(first).toBeGreaterThan(2);
    for (let k = 0; k < first; k++) {
      const p = (await h.pull()) as CpuPacket;
      expect(h.inputPulls).toBe(1);
      expect((p.flags & PacketFlags.MARKER) !== 0).toBe(k === first - 1);
    }
    // The next pull needs the next AU.
    expect((await h.pull()) as CpuPacket).toMatchObject({ pts: FRAME });
    expect(h.inputPulls).toBe(2);
    h.pushEos();
    expect((await h.pullAll()).length).toBe(expected.length - first - 1);
    expect(h.inputPulls).toBe(3);
    await h.close();
  });

  it('rtpH264Depay: an access unit comes out when its last (marker) packet is in; demand follows', async () => {
    const { aus } = await encodedAus({ profile: 'baseline', frames: 3, gop: 10 });
    const { packets: rtp, auOf } = packetise(aus, { mtu: 400 });
    const h = harness(rtpH264Depay(), { inputCaps: RTP_CAPS });
    const firstCount = auOf.filter((a) => a === 0).length;
    expect(firstCount).toBeGreaterThan(1);
    // All but the marker packet of AU 0: nothing yet, the depayloader waits for more.
    h.pushAll(rtp.slice(0, firstCount - 1).map((data) => ({ data })));
    expect(await h.tryPull()).toBeUndefined();
    expect(h.starved).toBe(true);
    expect(h.inputPulls).toBe(firstCount);
    h.push({ data: rtp[firstCount - 1] });
    const au0 = (await h.pull()) as CpuPacket;
    expect(nalHex(au0.memory.data)).toEqual(aus[0].nals.map(hex));
    expect(au0.flags & PacketFlags.KEYFRAME).toBeTruthy();
    expect(au0.caps).toBe(h.outputCaps);
    h.pushAll(rtp.slice(firstCount).map((data) => ({ data })));
    const rest = await h.drain();
    expect(rest.map((p) => nalHex(p.memory.data))).toEqual(aus.slice(1).map((a) => a.nals.map(hex)));
    expect(h.drops()).toEqual({});
    expect((await h.close()).elements).toEqual([{ name: 'rtpH264Depay0', factory: 'rtpH264Depay', opens: 1, closes: 1 }]);
  });

  it('round trip without loss: every AU, in order, pts from the RTP timestamps, keyframes flagged', async () => {
    const { aus } = await encodedAus({ profile: 'high', frames: 40, gop: 10 });
    const { packets, stats, depay, jb } = await loop(aus);
    expect(packets.map((p) => nalHex(p.memory.data))).toEqual(aus.map((a) => a.nals.map(hex)));
    expect(packets.map((p) => p.pts)).toEqual(aus.map((_, i) => nsToTicks(i * FRAME, 90000) * (1e9 / 90000)).map(Math.round));
    expect(packets.map((p) => (p.flags & PacketFlags.KEYFRAME) !== 0)).toEqual(aus.map((a) => a.idr));
    expect(packets.map((p) => p.flags & (PacketFlags.CORRUPT | PacketFlags.DISCONT))).toEqual(aus.map((_, i) => (i === 0 ? PacketFlags.DISCONT : 0)));
    expect(depay.counters).toMatchObject({ lost: 0, late: 0, damaged: 0, dropped: 0, accessUnits: 40 });
    expect(jb.counters).toMatchObject({ lost: 0, late: 0, duplicates: 0 });
    expect(statsOf(stats, 'rtpH264Depay').drops).toEqual({});
    expect(packets[0].caps.toString()).toBe('video/x-h264, stream-format=(string)byte-stream, alignment=(string)au');
  });

  it('loss: the depayloader reports it, recovers at the next IDR, and never emits a damaged AU unflagged', async () => {
    const { aus } = await encodedAus({ profile: 'baseline', frames: 60, gop: 15 });
    for (const onLoss of ['drop-until-idr', 'mark-corrupt'] as const) {
      const { packets, stats, depay, shim } = await loop(aus, { drop: 0.03, seed: 11 }, { onLoss });
      expect(shim.log.dropped.length).toBeGreaterThan(3);
      expect(depay.counters.lost).toBe(shim.log.dropped.length);
      expect(statsOf(stats, 'rtpH264Depay').drops.corrupt).toBe(shim.log.dropped.length);
      expect(depay.counters.damaged).toBeGreaterThan(0);
      const first = 0;
      let sawDamage = false;
      for (const p of packets) {
        const i = indexOf(p, first);
        const exact = JSON.stringify(nalHex(p.memory.data)) === JSON.stringify(aus[i].nals.map(hex));
        if (!exact) {
          sawDamage = true;
          expect(p.flags & PacketFlags.CORRUPT).toBe(PacketFlags.CORRUPT);
        }
      }
      if (onLoss === 'drop-until-idr') {
        expect(packets.every((p) => !(p.flags & PacketFlags.CORRUPT))).toBe(true);
        expect(sawDamage).toBe(false);
        expect(depay.counters.dropped).toBeGreaterThan(0);
        // Recovery: every GOP that lost nothing before its AU comes through; the first AU after a drop is an IDR, DISCONT.
        const idx = packets.map((p) => indexOf(p, first));
        for (let k = 1; k < idx.length; k++) {
          if (idx[k] !== idx[k - 1] + 1) {
            expect(aus[idx[k]].idr).toBe(true);
            expect(packets[k].flags & PacketFlags.DISCONT).toBe(PacketFlags.DISCONT);
          }
        }
        expect(idx.length + depay.counters.dropped).toBe(60);
      } else {
        // Everything but the AUs of which no whole NAL unit came comes out, damaged ones flagged.
        expect(packets.length).toBeGreaterThanOrEqual(60 - shim.log.dropped.length);
        expect(sawDamage).toBe(true);
      }
    }
  });

  it('reordering within the latency budget is undone; beyond it, late packets are dropped and counted', async () => {
    const { aus } = await encodedAus({ profile: 'baseline', frames: 30, gop: 10 });
    const within = await loop(aus, { reorder: 0.1, reorderDelay: 20 * MILLISECOND, seed: 3 }, { latency: 50 * MILLISECOND });
    expect(within.shim.log.delayed.length).toBeGreaterThan(5);
    expect(within.jb.counters.reordered).toBeGreaterThan(0);
    expect(within.jb.counters).toMatchObject({ lost: 0, late: 0 });
    expect(within.packets.map((p) => nalHex(p.memory.data))).toEqual(aus.map((a) => a.nals.map(hex)));

    const beyond = await loop(aus, { reorder: 0.05, reorderDelay: 120 * MILLISECOND, seed: 3 }, { latency: 50 * MILLISECOND });
    expect(beyond.jb.counters.late).toBeGreaterThan(0);
    expect(beyond.jb.counters.lost).toBe(beyond.jb.counters.late);
    expect(statsOf(beyond.stats, 'rtpJitterBuffer').drops.late).toBe(beyond.jb.counters.late);
    expect(beyond.depay.counters.lost).toBe(beyond.jb.counters.lost);
  });

  it('duplicates are dropped by the jitter buffer and counted', async () => {
    const { aus } = await encodedAus({ profile: 'baseline', frames: 20, gop: 10 });
    const { packets, jb, shim } = await loop(aus, { duplicate: 0.2, seed: 5, jitter: 5 * MILLISECOND });
    expect(shim.log.duplicated.length).toBeGreaterThan(3);
    expect(jb.counters.duplicates).toBe(shim.log.duplicated.length);
    expect(packets.map((p) => nalHex(p.memory.data))).toEqual(aus.map((a) => a.nals.map(hex)));
  });

  it('the jitter buffer waits its latency for a gap: by default 50 ms live, 200 ms throughput', async () => {
    const { aus } = await encodedAus({ profile: 'baseline', frames: 3, gop: 10 });
    const { packets: rtp } = packetise(aus, { mtu: 1400 });
    expect(rtp.length).toBeGreaterThan(3);
    const times = async (profile: 'live' | 'throughput') => {
      const clock = new VirtualClock();
      const seen: number[] = [];
      // Packet 1 never comes; the rest arrive 1 ms apart, the last much later (the stream's end would release all).
      const items = rtp.map((data, i) => ({ data, at: i === rtp.length - 1 ? 500 * MILLISECOND : i * MILLISECOND })).filter((_, i) => i !== 1);
      await pipe(rtpSource(items), rtpJitterBuffer(), fakeSink({ onPacket: () => void seen.push(clock.now()) })).run({ clock, profile });
      return seen;
    };
    const live = await times('live');
    expect(live[0]).toBe(LIVE_JITTER_LATENCY);
    expect(live[1]).toBe(2 * MILLISECOND + LIVE_JITTER_LATENCY);
    const thr = await times('throughput');
    expect(thr[1]).toBe(2 * MILLISECOND + THROUGHPUT_JITTER_LATENCY);
  });

  it('garbage datagrams never fail the pipeline: counted as corrupt drops', async () => {
    const { aus } = await encodedAus({ profile: 'baseline', frames: 5 });
    const { packets: rtp } = packetise(aus, { mtu: 600 });
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const junk = Array.from({ length: 200 }, () => Uint8Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256)));
    const items = [...rtp.slice(0, 3), ...junk, ...rtp.slice(3)].map((data) => ({ data }));
    const out: CpuPacket[] = [];
    const depay = rtpH264Depay({ onLoss: 'mark-corrupt' });
    const stats = await pipe(rtpSource(items), rtpJitterBuffer({ latency: 0 }), depay, fakeSink<CpuPacket>({ onPacket: (p) => void out.push(p) })).run({ clock: new VirtualClock() });
    expect(statsOf(stats, 'rtpJitterBuffer').drops.corrupt ?? 0).toBeGreaterThan(0);
    for (const p of out) {
      const i = Math.round(p.pts! / FRAME);
      if (JSON.stringify(nalHex(p.memory.data)) !== JSON.stringify(aus[i]?.nals.map(hex))) expect(p.flags & PacketFlags.CORRUPT).toBeTruthy();
    }
  });

  it('the depayloader ignores packets of another payload type than its caps say (RTCP multiplexed on the port)', async () => {
    const { aus } = await encodedAus({ profile: 'baseline', frames: 6 });
    const { packets: rtp } = packetise(aus, { mtu: 600, pt: 96 });
    const sr = buildSenderReport({ ssrc: 0x1234, ntpSeconds: 1, ntpFraction: 2, rtpTimestamp: 3, packetCount: 4, octetCount: 5 });
    const other = packetise(aus, { mtu: 600, pt: 97, ssrc: 0x1234, seqStart: 500 }).packets;
    const items = rtp.flatMap((data, i) => [{ data }, { data: i % 3 ? sr : other[i % other.length] }]);
    const depay = rtpH264Depay();
    const h = harness(depay, { inputCaps: `${RTP_CAPS}, payload=(int)96` });
    h.pushAll(items);
    const out = await h.drain();
    expect(out.map((p) => nalHex(p.memory.data))).toEqual(aus.map((a) => a.nals.map(hex)));
    expect(depay.counters).toMatchObject({ ignored: rtp.length, lost: 0, damaged: 0 });
    expect(h.drops()).toEqual({ policy: rtp.length });
    await h.close();
  });

  it('validates element options', () => {
    expect(() => rtpH264Pay({ mtu: 10 })).toThrow(/mtu/);
    expect(() => rtpH264Depay({ onLoss: 'ignore' as never })).toThrow(/invalid value 'ignore' for rtpH264Depay on-loss: expected one of drop-until-idr, mark-corrupt/);
    expect(() => rtpJitterBuffer({ latency: -5 })).toThrow(/latency/);
  });
});
