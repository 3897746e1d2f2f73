/** RTCP receiver reports (RFC 3550 6.4.2, A.1, A.3, A.7, A.8): byte layout and the RFC's formulas. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ntpFromUnixMs, parseRtcp, type ReceiverReport } from '../../src/rtp/rtcp';
import { buildReceiverReport, MAX_DROPOUT, rtcpInterval, RtcpReceiver, RtpSourceStats } from '../../src/rtp/rtcp-receiver';
import { serializeRtp } from '../../src/rtp/rtp-packet';
import { MILLISECOND, SECOND } from '../../src/time';

const rtp = (seq: number, ts: number, ssrc = 0x11223344, size = 100) => serializeRtp({ marker: false, payloadType: 96, sequenceNumber: seq & 0xffff, timestamp: ts >>> 0, ssrc }, new Uint8Array(size - 12));

describe('buildReceiverReport', () => {
  it('lays out header and block bytes as 6.4.2 draws them, negative loss in 24-bit two’s complement', () => {
    const d = buildReceiverReport(0xdeadbeef, [{ ssrc: 0x01020304, fractionLost: 0x40, packetsLost: -2, highestSeq: 0x0001fffe, jitter: 0x123, lastSr: 0xaabbccdd, delaySinceLastSr: 0x10000 }]);
    expect([...d]).toEqual([
      0x81, 201, 0x00, 0x07, 0xde, 0xad, 0xbe, 0xef, // V=2 RC=1, PT=RR, length 7 words − 1
      0x01, 0x02, 0x03, 0x04, 0x40, 0xff, 0xff, 0xfe, // SSRC_1, fraction, cumulative lost −2
      0x00, 0x01, 0xff, 0xfe, 0x00, 0x00, 0x01, 0x23, // extended highest seq, jitter
      0xaa, 0xbb, 0xcc, 0xdd, 0x00, 0x01, 0x00, 0x00, // LSR, DLSR (1 s)
    ]);
    const p = parseRtcp(d).packets[0] as ReceiverReport;
    expect(p.reports[0].packetsLost).toBe(-2);
  });

  it('an empty RR is 8 bytes; more than 31 blocks and bad SSRCs are refused', () => {
    expect([...buildReceiverReport(1, [])]).toEqual([0x80, 201, 0, 1, 0, 0, 0, 1]);
    const b = { ssrc: 1, fractionLost: 0, packetsLost: 0, highestSeq: 0, jitter: 0, lastSr: 0, delaySinceLastSr: 0 };
    expect(() => buildReceiverReport(1, Array(32).fill(b))).toThrow(RangeError);
    expect(() => buildReceiverReport(-1, [])).toThrow(RangeError);
  });
});

describe('RtpSourceStats: A.1 and A.3 loss accounting', () => {
  const feed = (seqs: number[]) => {
    const s = new RtpSourceStats(7, 90000);
    seqs.forEach((q, i) => s.packet(q & 0xffff, 0, 100, i * MILLISECOND));
    return s;
  };

  it('probation: the first packet is not counted, the second validates the source and is its base', () => {
    const s = new RtpSourceStats(7, 90000);
    expect(s.packet(100, 0, 100, 0)).toBe(false);
    expect(s.valid).toBe(false);
    expect(s.packet(101, 0, 100, 1)).toBe(true);
    expect(s.valid).toBe(true);
    expect([s.received, s.expected, s.lost]).toEqual([1, 1, 0]);
  });

  it('a gap of 3 is 3 lost; fraction lost is (lost_interval << 8) / expected_interval per report', () => {
    const s = feed([10, 11, 12, 13, 17, 18, 19, 20]);
    // base 11; highest 20; expected 10; received 7 (11,12,13,17..20).
    expect([s.expected, s.received, s.lost]).toEqual([10, 7, 3]);
    const b = s.reportBlock(0);
    expect(b.packetsLost).toBe(3);
    expect(b.fractionLost).toBe(Math.floor((3 << 8) / 10));
    expect(b.highestSeq).toBe(20);
    // The next interval lost nothing: fraction 0, cumulative unchanged.
    s.packet(21, 0, 100, 0);
    const b2 = s.reportBlock(0);
    expect([b2.fractionLost, b2.packetsLost]).toEqual([0, 3]);
  });

  it('the extended highest sequence number counts wraps in the high 16 bits', () => {
    const s = feed([65533, 65534, 65535, 0, 1, 2]);
    expect(s.extendedMax).toBe(0x10000 + 2);
    expect(s.reportBlock(0).highestSeq).toBe(0x10002);
    expect(s.lost).toBe(0);
  });

  it('duplicates count as received (loss may go negative, clamped at the 24-bit field)', () => {
    const s = feed([1, 2, 3, 3, 3, 4]);
    expect(s.lost).toBe(-2);
    expect(s.reportBlock(0).fractionLost).toBe(0);
  });

  it('a jump beyond MAX_DROPOUT is ignored once, then taken as a restart when the next follows it', () => {
    const s = feed([1, 2, 3]);
    expect(s.updateSeq(3 + MAX_DROPOUT + 10)).toBe(false);
    expect(s.extendedMax).toBe(3);
    expect(s.updateSeq(3 + MAX_DROPOUT + 11)).toBe(true);
    expect([s.extendedMax, s.expected, s.received]).toEqual([3 + MAX_DROPOUT + 11, 1, 1]);
  });

  it('property: with a random subset of a wrapping sequence delivered in order, lost = skipped packets', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), fc.array(fc.boolean(), { minLength: 3, maxLength: 400 }), (start, keep) => {
        // The first two are always delivered (probation), and the last one (it bounds `expected`).
        const seqs = [start, start + 1];
        keep.forEach((k, i) => (k || i === keep.length - 1) && seqs.push(start + 2 + i));
        const s = feed(seqs);
        const skipped = keep.length - seqs.length + 2;
        expect(s.lost).toBe(skipped);
        expect(s.expected).toBe(keep.length + 1);
      }),
    );
  });
});

describe('RtpSourceStats: A.8 interarrival jitter', () => {
  it('matches the RFC recurrence J += (|D| − J)/16 (integer form) on random arrivals', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 * MILLISECOND }), { minLength: 2, maxLength: 200 }), fc.integer({ min: 0, max: 0xffffffff }), (jitters, ts0) => {
        const s = new RtpSourceStats(1, 90000);
        let j16 = 0;
        let prevTransit: number | undefined;
        jitters.forEach((extra, i) => {
          // Frames every 1/30 s (3000 ticks, wrapping), arriving `extra` ns late; arrivals in exact ticks.
          const ts = (ts0 + 3000 * i) % 0x1_0000_0000;
          const arrivalTicks = 3000 * i + Math.round((extra * 90000) / SECOND);
          s.packet(i & 0xffff, ts, 100, (arrivalTicks * SECOND) / 90000);
          const transit = arrivalTicks - 3000 * i; // the reference ignores the wrap: transit relative to ts0
          if (prevTransit !== undefined) j16 += Math.abs(transit - prevTransit) - ((j16 + 8) >> 4);
          prevTransit = transit;
        });
        expect(s.jitter).toBe(j16 >> 4);
      }),
    );
  });

  it('a steady stream has zero jitter; alternating 10 ms lateness converges to ≈ 900 ticks (10 ms at 90 kHz)', () => {
    const steady = new RtpSourceStats(1, 90000);
    for (let i = 0; i < 100; i++) steady.packet(i, 3000 * i, 100, (i * SECOND) / 30);
    expect(steady.jitter).toBe(0);
    const alt = new RtpSourceStats(1, 90000);
    for (let i = 0; i < 500; i++) alt.packet(i, 3000 * i, 100, (i * SECOND) / 30 + (i % 2) * 10 * MILLISECOND);
    expect(alt.jitter).toBeGreaterThan(880);
    expect(alt.jitter).toBeLessThanOrEqual(900);
  });
});

describe('RtcpReceiver', () => {
  it('reports LSR = middle 32 bits of the last SR NTP time and DLSR in 1/65536 s since it arrived', () => {
    const r = new RtcpReceiver({ cname: 'me@host', clockRate: 90000, ssrc: 0xcafe, random: () => 0.5 });
    r.rtp(rtp(1, 1000), 0);
    r.rtp(rtp(2, 1000), 1 * MILLISECOND);
    const ntp = ntpFromUnixMs(1_700_000_000_123);
    const sr = { type: 'sr' as const, ssrc: 0x11223344, ntpSeconds: ntp.seconds, ntpFraction: ntp.fraction, rtpTimestamp: 0, packetCount: 2, octetCount: 176, reports: [] };
    r.rtcp([sr], 52, 100 * MILLISECOND);
    const d = r.report(100 * MILLISECOND + SECOND / 4);
    const parsed = parseRtcp(d);
    expect(parsed.error).toBeUndefined();
    expect(parsed.packets.map((p) => p.type)).toEqual(['rr', 'sdes']);
    const rr = parsed.packets[0] as ReceiverReport;
    expect(rr.ssrc).toBe(0xcafe);
    expect(rr.reports[0]).toMatchObject({ ssrc: 0x11223344, lastSr: (((ntp.seconds & 0xffff) << 16) | (ntp.fraction >>> 16)) >>> 0, delaySinceLastSr: 16384, highestSeq: 2, packetsLost: 0 });
    expect(parsed.packets[1]).toMatchObject({ type: 'sdes', chunks: [{ ssrc: 0xcafe, cname: 'me@host' }] });
  });

  it('no SR yet: LSR and DLSR are 0; leaving adds a BYE with our SSRC and stops the schedule', () => {
    const r = new RtcpReceiver({ cname: 'x', clockRate: 90000, ssrc: 5 });
    r.rtp(rtp(1, 0), 0);
    const parsed = parseRtcp(r.report(SECOND, true));
    expect(parsed.packets.map((p) => p.type)).toEqual(['rr', 'sdes', 'bye']);
    expect((parsed.packets[0] as ReceiverReport).reports[0]).toMatchObject({ lastSr: 0, delaySinceLastSr: 0 });
    expect(parsed.packets[2]).toMatchObject({ ssrcs: [5] });
    expect(r.pollTimeout()).toBeUndefined();
  });

  it('schedules the first report after the first RTP at the initial interval (2.5 s × [0.5, 1.5) / (e − 1.5)), then 5 s ones', () => {
    const lo = new RtcpReceiver({ cname: 'x', clockRate: 90000, random: () => 0 });
    expect(lo.pollTimeout()).toBeUndefined();
    lo.rtp(rtp(1, 0), 10 * SECOND);
    expect(lo.pollTimeout()).toBe(10 * SECOND + Math.round((2.5 * 0.5 * SECOND) / 1.21828));
    expect(lo.due(10 * SECOND)).toBe(false);
    const t = lo.pollTimeout()!;
    expect(lo.due(t)).toBe(true);
    lo.report(t);
    expect(lo.pollTimeout()).toBe(t + Math.round((5 * 0.5 * SECOND) / 1.21828));
  });

  it('moves its SSRC when a sender uses the same one (8.2)', () => {
    const r = new RtcpReceiver({ cname: 'x', clockRate: 90000, ssrc: 0x11223344 });
    r.rtp(rtp(1, 0), 0);
    expect(r.ssrc).not.toBe(0x11223344);
  });
});

describe('rtcpInterval (A.7)', () => {
  it('is the 5 s minimum for small sessions, randomised and compensated', () => {
    const base = { members: 2, senders: 1, rtcpBandwidth: 5000, weSent: false, avgRtcpSize: 100, initial: false };
    expect(rtcpInterval(base, 0.5)).toBe(Math.round((5 / 1.21828) * SECOND));
    expect(rtcpInterval({ ...base, initial: true }, 0)).toBe(Math.round((1.25 / 1.21828) * SECOND));
  });

  it('grows with members beyond the minimum: receivers share 75 % of the RTCP bandwidth when senders are few', () => {
    // 1000 members, 1 sender: n = 999 receivers, bw = 0.75 × 1000 B/s, size 100 B: t = 133.2 s.
    const t = rtcpInterval({ members: 1000, senders: 1, rtcpBandwidth: 1000, weSent: false, avgRtcpSize: 100, initial: false }, 0.5);
    expect(t).toBe(Math.round(((100 * 999) / 750 / 1.21828) * SECOND));
  });
});
