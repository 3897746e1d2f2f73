import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Caps } from '../../src/caps';
import { decodeBase64, encodeBase64 } from '../../src/rtp/base64';
import { buildBye, buildSdesCname, buildSenderReport, compound, looksLikeRtcp, ntpFromUnixMs, parseRtcp, type SenderReport } from '../../src/rtp/rtcp';
import { RtcpSender } from '../../src/rtp/rtcp-sender';
import { parseRtp, RtpError, serializeRtp, type RtpHeader } from '../../src/rtp/rtp-packet';
import { h264Sdp, parseSdp, sdpStream, SdpError } from '../../src/rtp/sdp';
import { SeqExtender, seqDiff, TimestampExtender, tsAdd, tsDiff } from '../../src/rtp/seq';
import { SECOND } from '../../src/time';

const header = fc.record({
  marker: fc.boolean(),
  payloadType: fc.integer({ min: 0, max: 127 }),
  sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
  timestamp: fc.integer({ min: 0, max: 0xffffffff }),
  ssrc: fc.integer({ min: 0, max: 0xffffffff }),
  csrc: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }),
  extension: fc.option(
    fc.record({ profile: fc.integer({ min: 0, max: 0xffff }), data: fc.integer({ min: 0, max: 8 }).chain((w) => fc.uint8Array({ minLength: 4 * w, maxLength: 4 * w })) }),
    { nil: undefined },
  ),
});

describe('RTP packets (RFC 3550 5.1)', () => {
  it('serialise → parse is the identity, CSRCs, extension and padding included', () => {
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 255 }), (h, payload, padding) => {
        const d = serializeRtp(h as RtpHeader, payload, padding);
        const p = parseRtp(d);
        if (p instanceof RtpError) throw p;
        expect({ ...p, payload: [...p.payload], extension: p.extension && { ...p.extension, data: [...p.extension.data] } }).toEqual({
          ...h,
          payload: [...payload],
          extension: h.extension && { ...h.extension, data: [...h.extension.data] },
          paddingSize: padding,
          headerSize: 12 + 4 * h.csrc.length + (h.extension ? 4 + h.extension.data.length : 0),
        });
      }),
    );
  });

  it('known bytes: a packet as RFC 3550 lays it out', () => {
    const d = serializeRtp({ marker: true, payloadType: 96, sequenceNumber: 0x1234, timestamp: 0xdeadbeef, ssrc: 0x01020304, csrc: [0xaabbccdd] }, Uint8Array.of(9, 8));
    expect([...d]).toEqual([0x81, 0xe0, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 0xaa, 0xbb, 0xcc, 0xdd, 9, 8]);
  });

  it('malformed packets are RtpError values, never exceptions', () => {
    expect((parseRtp(new Uint8Array(11)) as RtpError).kind).toBe('truncated');
    expect((parseRtp(new Uint8Array(12)) as RtpError).kind).toBe('version');
    expect((parseRtp(Uint8Array.of(0x8f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)) as RtpError).kind).toBe('truncated');
    expect((parseRtp(Uint8Array.of(0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)) as RtpError).kind).toBe('truncated');
    expect((parseRtp(Uint8Array.of(0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)) as RtpError).kind).toBe('padding');
    expect((parseRtp(Uint8Array.of(0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9)) as RtpError).kind).toBe('padding');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (d) => {
        const p = parseRtp(d);
        if (!(p instanceof RtpError)) expect(p.headerSize + p.payload.length + p.paddingSize).toBe(d.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('every truncation of a valid packet with extension and padding parses or is an error', () => {
    const d = serializeRtp({ marker: false, payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3, csrc: [4, 5], extension: { profile: 0xbede, data: new Uint8Array(8) } }, new Uint8Array(20), 4);
    for (let n = 0; n < d.length; n++) {
      const p = parseRtp(d.subarray(0, n));
      expect(p instanceof RtpError || p.payload.length <= 20).toBe(true);
    }
  });

  it('rejects bad fields when serialising', () => {
    const h: RtpHeader = { marker: false, payloadType: 96, sequenceNumber: 0, timestamp: 0, ssrc: 0 };
    expect(() => serializeRtp({ ...h, payloadType: 128 }, new Uint8Array(0))).toThrow(RtpError);
    expect(() => serializeRtp({ ...h, sequenceNumber: 70000 }, new Uint8Array(0))).toThrow(/sequence/);
    expect(() => serializeRtp({ ...h, csrc: new Array(16).fill(0) }, new Uint8Array(0))).toThrow(/15 CSRCs/);
    expect(() => serializeRtp({ ...h, extension: { profile: 1, data: new Uint8Array(3) } }, new Uint8Array(0))).toThrow(/multiple of 4/);
    expect(() => serializeRtp(h, new Uint8Array(0), 256)).toThrow(/padding/);
  });
});

describe('wrap-aware sequence numbers and timestamps', () => {
  it('seqDiff and tsDiff are the signed distance modulo 2^16 / 2^32', () => {
    expect(seqDiff(65535, 0)).toBe(1);
    expect(seqDiff(0, 65535)).toBe(-1);
    expect(seqDiff(100, 32867)).toBe(32767);
    expect(seqDiff(100, 32868)).toBe(-32768);
    expect(tsDiff(0xffffffff, 5)).toBe(6);
    expect(tsDiff(5, 0xffffffff)).toBe(-6);
    expect(tsAdd(0xffffffff, 2)).toBe(1);
    expect(tsAdd(1, -2)).toBe(0xffffffff);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: -32768, max: 32767 }), (a, d) => {
        expect(seqDiff(a, (a + d + 65536) & 0xffff)).toBe(d);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (a, d) => {
        expect(tsDiff(a, tsAdd(a, d))).toBe(d);
      }),
    );
  });

  it('SeqExtender: any walk of steps below 2^15 is followed through any number of wraps; reordering within it too', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.array(fc.integer({ min: -3000, max: 30000 }), { maxLength: 200 }), (start, steps) => {
        const x = new SeqExtender();
        let ext = start;
        let max = start;
        expect(x.extend(start)).toBe(start);
        for (const s of steps) {
          // Keep each value within 2^15 of the highest seen: what the extender can tell apart.
          const next = Math.max(ext + s, max - 30000);
          ext = next;
          expect(x.extend(((ext % 65536) + 65536) % 65536)).toBe(ext);
          max = Math.max(max, ext);
          expect(x.highest).toBe(max);
        }
      }),
    );
  });

  it('TimestampExtender follows steps of either sign below 2^31 across wraps', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.array(fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }), { maxLength: 100 }), (start, steps) => {
        const x = new TimestampExtender();
        let ext = start;
        expect(x.extend(start)).toBe(start);
        for (const s of steps) {
          ext += s;
          expect(x.extend(((ext % 2 ** 32) + 2 ** 32) % 2 ** 32)).toBe(ext);
        }
      }),
    );
  });
});

describe('base64 (sprop-parameter-sets)', () => {
  it('round-trips and agrees with Node', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (d) => {
        const b = encodeBase64(d);
        expect(b).toBe(Buffer.from(d).toString('base64'));
        expect([...decodeBase64(b)!]).toEqual([...d]);
        expect([...decodeBase64(b.replace(/=+$/, ''))!]).toEqual([...d]);
      }),
    );
    expect(decodeBase64('a$bc')).toBeUndefined();
    expect(decodeBase64('abcde')).toBeUndefined();
  });
});

describe('RTCP (RFC 3550 6.4, 6.5, 6.6)', () => {
  it('SR + SDES + BYE compound round-trips', () => {
    const sr = { ssrc: 0xcafebabe, ntpSeconds: 3_900_000_000, ntpFraction: 0x80000000, rtpTimestamp: 123456, packetCount: 42, octetCount: 42000 };
    const block = { ssrc: 7, fractionLost: 25, packetsLost: -3, highestSeq: 70000, jitter: 12, lastSr: 5, delaySinceLastSr: 6 };
    const d = compound([buildSenderReport({ ...sr, reports: [block] }), buildSdesCname(sr.ssrc, 'g2g@host'), buildBye([sr.ssrc], 'done')]);
    expect(d.length % 4).toBe(0);
    expect(looksLikeRtcp(d)).toBe(true);
    const r = parseRtcp(d);
    expect(r.error).toBeUndefined();
    expect(r.packets).toEqual([
      { type: 'sr', ...sr, reports: [block] },
      { type: 'sdes', chunks: [{ ssrc: sr.ssrc, cname: 'g2g@host' }] },
      { type: 'bye', ssrcs: [sr.ssrc], reason: 'done' },
    ]);
  });

  it('NTP time from Unix time', () => {
    expect(ntpFromUnixMs(0)).toEqual({ seconds: 2_208_988_800, fraction: 0 });
    expect(ntpFromUnixMs(1500)).toEqual({ seconds: 2_208_988_801, fraction: 0x80000000 });
  });

  it('RtcpSender: a report right after the first packet, then per interval; counts and the RTP time of the report', () => {
    const s = new RtcpSender({ cname: 'x', interval: SECOND, clockRate: 90000 });
    expect(s.report(0, 0)).toBeUndefined();
    const rtp = serializeRtp({ marker: false, payloadType: 96, sequenceNumber: 0, timestamp: 0xffffff00, ssrc: 77 }, new Uint8Array(100));
    s.sent(rtp, 0);
    expect(s.due(0)).toBe(true);
    s.sent(rtp, 10);
    const r = parseRtcp(s.report(SECOND / 2 + 10, 1000)!);
    const sr = r.packets[0] as SenderReport;
    expect(sr).toMatchObject({ type: 'sr', ssrc: 77, packetCount: 2, octetCount: 200, rtpTimestamp: (0xffffff00 + 45000) % 2 ** 32 });
    expect(s.due(SECOND)).toBe(false);
    expect(s.due(SECOND * 1.5 + 10)).toBe(true);
    expect(parseRtcp(s.report(2 * SECOND, 0, true)!).packets.map((p) => p.type)).toEqual(['sr', 'sdes', 'bye']);
  });

  it('never throws on random or truncated datagrams', () => {
    const good = compound([buildSenderReport({ ssrc: 1, ntpSeconds: 2, ntpFraction: 3, rtpTimestamp: 4, packetCount: 5, octetCount: 6 }), buildSdesCname(1, 'abc'), buildBye([1, 2], 'x')]);
    for (let n = 0; n <= good.length; n++) parseRtcp(good.subarray(0, n));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (d) => {
        if (d.length) d[0] = 0x80 | (d[0] & 0x3f);
        const r = parseRtcp(d);
        expect(Array.isArray(r.packets)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('SDP (RFC 8866, RFC 6184 8.2)', () => {
  const sps = Uint8Array.of(0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9);
  const pps = Uint8Array.of(0x68, 0xeb, 0xe3, 0xcb);

  it('generates what ffmpeg and GStreamer read, and parses it back into RTP caps', () => {
    const text = h264Sdp({ address: '127.0.0.1', port: 5004, payloadType: 96, sps, pps });
    expect(text).toContain('m=video 5004 RTP/AVP 96\r\n');
    expect(text).toContain('a=rtpmap:96 H264/90000\r\n');
    expect(text).toContain(`a=fmtp:96 packetization-mode=1;profile-level-id=64001f;sprop-parameter-sets=${Buffer.from(sps).toString('base64')},${Buffer.from(pps).toString('base64')}\r\n`);
    const s = sdpStream(parseSdp(text));
    expect(s).toMatchObject({ address: '127.0.0.1', port: 5004, rtcpPort: 5005, payloadType: 96 });
    expect(s.parameterSets.map((x) => [...x])).toEqual([[...sps], [...pps]]);
    expect(s.caps.get('encoding-name')).toBe('H264');
    expect(s.caps.get('clock-rate')).toBe(90000);
    expect(s.caps.get('sprop-parameter-sets')).toBe(`${Buffer.from(sps).toString('base64')},${Buffer.from(pps).toString('base64')}`);
    // The caps print and parse as GStreamer caps (udpsrc caps=...).
    expect(s.caps.toString()).toMatch(/^application\/x-rtp, /);
    expect(Caps.parse(s.caps.toString()).equals(s.caps)).toBe(true);
  });

  it('multicast: c= carries the TTL, the group is the address', () => {
    const text = h264Sdp({ address: '239.1.2.3', port: 6000, payloadType: 97, ttl: 4 });
    expect(text).toContain('c=IN IP4 239.1.2.3/4\r\n');
    const sd = parseSdp(text);
    expect(sd.connection).toEqual({ addressType: 'IP4', address: '239.1.2.3', ttl: 4 });
    expect(sdpStream(sd).payloadType).toBe(97);
  });

  it('tolerates what other tools write (LF endings, unknown lines, a=rtcp, several media)', () => {
    const text = ['v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=x', 'c=IN IP4 10.0.0.2', 't=0 0', 'm=audio 4000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'm=video 4002 RTP/AVP 100', 'c=IN IP4 10.0.0.3', 'a=rtpmap:100 h264/90000', 'a=rtcp:4010', 'a=fmtp:100 Packetization-Mode=1', 'b=AS:500', 'garbage'].join('\n');
    const sd = parseSdp(text);
    expect(sd.errors).toEqual(['line 14: not a type=value line']);
    expect(sdpStream(sd)).toMatchObject({ address: '10.0.0.3', port: 4002, rtcpPort: 4010, payloadType: 100 });
    expect(sdpStream(sd).caps.get('packetization-mode')).toBe('1');
    expect(() => parseSdp('hello')).toThrow(SdpError);
    expect(() => sdpStream(parseSdp('v=0\r\nm=audio 1 RTP/AVP 0\r\n'))).toThrow(/no RTP video stream/);
  });

  it('fuzzed SDP never throws anything but SdpError, and finishes', () => {
    const base = h264Sdp({ address: '127.0.0.1', port: 5004, payloadType: 96, sps, pps });
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.integer({ min: 0, max: base.length }), fc.boolean(), (junk, at, prefix) => {
        const text = prefix ? base.slice(0, at) + junk + base.slice(at) : junk;
        try {
          const sd = parseSdp(text);
          try {
            sdpStream(sd);
          } catch (e) {
            expect(e).toBeInstanceOf(SdpError);
          }
        } catch (e) {
          expect(e).toBeInstanceOf(SdpError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
