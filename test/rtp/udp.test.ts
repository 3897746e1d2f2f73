import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeSink, identity } from '../../operators';
import { fileSrc } from '../../operators/file-src';
import { h264Parse } from '../../operators/h264-parse';
import { rtpH264Depay } from '../../operators/rtp-h264-depay';
import { rtpH264Pay } from '../../operators/rtp-h264-pay';
import { rtpJitterBuffer } from '../../operators/rtp-jitter-buffer';
import { udpSink } from '../../node/elements/udp-sink';
import { udpSrc } from '../../node/elements/udp-src';
import { pipe } from '../../src';
import { PacketFlags, type CpuPacket } from '../../src/packet';
import { parseRtcp, type SenderReport } from '../../src/rtp/rtcp';
import { serializeRtp } from '../../src/rtp/rtp-packet';
import { SdpError } from '../../src/rtp/sdp';
import { SECOND } from '../../src/time';
import { collectUdp, encodedAus, freePortPair, hex, nalHex, parsed, settledUdpHandles, reassemble } from './helpers';

const sender = (bytes: Uint8Array, sink: ReturnType<typeof udpSink>, pay = rtpH264Pay({ mtu: 1200, seqStart: 65500, ssrc: 0xabcdef })) =>
  pipe(fileSrc({ source: bytes, blocksize: 4096 }), h264Parse(), pay, sink);

describe('udpSink / udpSrc (127.0.0.1)', () => {
  it('m47_udp_egress: a real x264 stream leaves as RTP datagrams that parse back byte-exactly', async () => {
    const { bytes, aus } = await encodedAus({ profile: 'high', frames: 30, bframes: 2, gop: 15 });
    const rx = await collectUdp();
    try {
      await sender(bytes, udpSink({ host: '127.0.0.1', port: rx.port, sync: false, rtcp: false })).run();
      await rx.waitFor(aus.length);
      const d = rx.datagrams;
      const hs = d.map(parsed);
      // Byte-exact: every datagram re-serialises from its parsed fields to the same bytes.
      d.forEach((g, i) => expect(hex(serializeRtp(hs[i], hs[i].payload))).toBe(hex(g)));
      expect(d.every((g) => g.length <= 1200)).toBe(true);
      hs.forEach((h, i) => {
        expect(h.sequenceNumber).toBe((65500 + i) & 0xffff);
        expect(h.ssrc).toBe(0xabcdef);
        expect(h.payloadType).toBe(96);
      });
      // Marker bits exactly at AU ends: one AU per timestamp run, the marker on its last packet.
      for (let i = 0; i < hs.length; i++) {
        const last = i === hs.length - 1 || hs[i + 1].timestamp !== hs[i].timestamp;
        expect(hs[i].marker).toBe(last);
      }
      // FU-A/STAP-A reassembly equals the original access units.
      expect(reassemble(d).map((n) => n.map(hex))).toEqual(aus.map((a) => a.nals.map(hex)));
    } finally {
      await rx.close();
    }
  });

  it('sync=true paces datagrams in real time by timestamp; RTCP SRs count them and a BYE ends the stream', async () => {
    const { bytes, aus } = await encodedAus({ profile: 'baseline', frames: 15, gop: 15 });
    const port = await freePortPair();
    const rx = await collectUdp(port);
    const rtcp = await collectUdp(port + 1);
    try {
      const t0 = performance.now();
      await sender(bytes, udpSink({ port, rtcpInterval: 0.2 * SECOND })).run();
      const elapsed = performance.now() - t0;
      // 15 frames at 30 fps: the last leaves 14/30 s after the first.
      expect(elapsed).toBeGreaterThan(14 * (1000 / 30) - 20);
      await rx.waitFor(aus.length);
      await new Promise((r) => setTimeout(r, 50));
      const reports = rtcp.datagrams.map((g) => parseRtcp(g));
      expect(reports.length).toBeGreaterThanOrEqual(3);
      expect(reports.every((r) => r.error === undefined && r.packets[0].type === 'sr' && r.packets[1].type === 'sdes')).toBe(true);
      const last = reports[reports.length - 1];
      expect(last.packets.map((p) => p.type)).toEqual(['sr', 'sdes', 'bye']);
      const sr = last.packets[0] as SenderReport;
      expect(sr.packetCount).toBe(rx.datagrams.length);
      expect(sr.octetCount).toBe(rx.datagrams.reduce((a, g) => a + g.length - 12, 0));
      expect(sr.ssrc).toBe(0xabcdef);
      const lastTs = parsed(rx.datagrams[rx.datagrams.length - 1]).timestamp;
      expect(((sr.rtpTimestamp - lastTs) >>> 0) < 90000).toBe(true);
    } finally {
      await rx.close();
      await rtcp.close();
    }
  });

  it('udpSink ! udpSrc: our sender to our receiver through jitter buffer and depayloader; the BYE ends the receiver', async () => {
    const { bytes, aus } = await encodedAus({ profile: 'high', frames: 30, bframes: 2, gop: 10 });
    const port = await freePortPair();
    const got: CpuPacket[] = [];
    let listening!: () => void;
    const ready = new Promise<void>((r) => (listening = r));
    const depay = rtpH264Depay();
    const rx = pipe(udpSrc({ port, address: '127.0.0.1', onListening: () => listening() }), rtpJitterBuffer(), depay, fakeSink<CpuPacket>({ onPacket: (p) => void got.push(p) })).start({ profile: 'live' });
    await ready;
    await sender(bytes, udpSink({ port, sync: true })).run();
    await rx.done;
    expect(got.map((p) => nalHex(p.memory.data))).toEqual(aus.map((a) => a.nals.map(hex)));
    expect(got.map((p) => (p.flags & PacketFlags.KEYFRAME) !== 0)).toEqual(aus.map((a) => a.idr));
    expect(depay.counters.lost).toBe(0);
  });

  it('multicast on the loopback interface: TTL 0, group joined on 127.0.0.1', async () => {
    const { bytes, aus } = await encodedAus({ profile: 'baseline', frames: 10, gop: 10 });
    const port = await freePortPair();
    const group = `239.255.${Math.floor(Math.random() * 200) + 1}.${Math.floor(Math.random() * 200) + 1}`;
    const got: CpuPacket[] = [];
    let listening!: () => void;
    const ready = new Promise<void>((r) => (listening = r));
    const rx = pipe(
      udpSrc({ port, address: group, multicastGroup: group, multicastIface: '127.0.0.1', onListening: () => listening() }),
      rtpJitterBuffer(),
      rtpH264Depay(),
      fakeSink<CpuPacket>({ onPacket: (p) => void got.push(p) }),
    ).start();
    await ready;
    await sender(bytes, udpSink({ host: group, port, ttl: 0, multicastIface: '127.0.0.1', sync: false })).run();
    await rx.done;
    expect(got.map((p) => nalHex(p.memory.data))).toEqual(aus.map((a) => a.nals.map(hex)));
  });

  it('udpSrc drops the oldest datagrams when the pipeline lags, counted as overflow', async () => {
    const port = await freePortPair();
    let listening!: () => void;
    const ready = new Promise<void>((r) => (listening = r));
    let seen = 0;
    const rx = pipe(
      udpSrc({ port, address: '127.0.0.1', caps: 'application/octet-stream', maxPackets: 4, onListening: () => listening() }),
      fakeSink({ onPacket: () => new Promise<void>((r) => setTimeout(() => (seen++, r()), 20)) }),
    ).start();
    await ready;
    const s = createSocket('udp4');
    for (let i = 0; i < 50; i++) s.send(Uint8Array.of(i), port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 300));
    s.close();
    rx.eos();
    const stats = await rx.done;
    const drops = stats.elements.find((e) => e.factory === 'udpSrc')!.drops.overflow ?? 0;
    expect(drops).toBeGreaterThan(30);
    expect(seen + drops).toBe(50);
  });

  it('sockets are closed on end of stream, error, abort and failed binds', async () => {
    const { bytes } = await encodedAus({ profile: 'baseline', frames: 10, gop: 10 });
    const port = await freePortPair();
    const base = await settledUdpHandles(0);

    // End of stream (sender) and Ctrl-C style EOS (receiver).
    let listening!: () => void;
    let ready = new Promise<void>((r) => (listening = r));
    const rx = pipe(udpSrc({ port, address: '127.0.0.1', onListening: () => listening() }), rtpJitterBuffer(), rtpH264Depay(), fakeSink()).start();
    await ready;
    expect(await settledUdpHandles(base + 2)).toBe(base + 2);
    await sender(bytes, udpSink({ port, sync: false, rtcp: false })).run();
    rx.eos();
    await rx.done;
    expect(await settledUdpHandles(base)).toBe(base);

    // Error downstream of the payloader, mid-stream.
    await expect(pipe(fileSrc({ source: bytes, blocksize: 1024 }), h264Parse(), rtpH264Pay(), identity({ errorAfter: 5 }), udpSink({ port, sync: false })).run()).rejects.toThrow();
    expect(await settledUdpHandles(base)).toBe(base);

    // Abort while pacing (sender) and while waiting for data (receiver).
    const ac = new AbortController();
    const paced = sender(bytes, udpSink({ port, sync: true })).run({ signal: ac.signal });
    ready = new Promise<void>((r) => (listening = r));
    const ac2 = new AbortController();
    const waiting = pipe(udpSrc({ port: port + 2, rtcp: false, address: '127.0.0.1', onListening: () => listening() }), fakeSink()).run({ signal: ac2.signal });
    await ready;
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    ac2.abort();
    await expect(paced).rejects.toThrow(/abort/i);
    await expect(waiting).rejects.toThrow(/abort/i);
    expect(await settledUdpHandles(base)).toBe(base);

    // A port in use: the bind fails, the RTP socket already open is closed.
    const squatter = createSocket('udp4');
    await new Promise<void>((r) => squatter.bind(port + 1, '127.0.0.1', () => r()));
    await expect(pipe(udpSrc({ port, address: '127.0.0.1' }), fakeSink()).run()).rejects.toThrow(/EADDRINUSE/);
    await new Promise<void>((r) => squatter.close(() => r()));
    expect(await settledUdpHandles(base)).toBe(base);
  });

  it("udpSink({ rtp }) payloads H.264 itself (rtpH264Pay ! udpSink)", async () => {
    const { bytes, aus } = await encodedAus({ profile: 'baseline', frames: 8, gop: 8 });
    const rx = await collectUdp();
    try {
      const sink = udpSink({ port: rx.port, sync: false, rtcp: false, rtp: { pt: 100, ssrc: 42, mtu: 500 } });
      expect(sink.elements.map((e) => e.factory)).toEqual(['rtpH264Pay', 'udpSink']);
      await pipe(fileSrc({ source: bytes }), h264Parse(), sink).run();
      await rx.waitFor(aus.length);
      expect(rx.datagrams.map(parsed).every((h) => h.payloadType === 100 && h.ssrc === 42)).toBe(true);
      expect(reassemble(rx.datagrams).map((n) => n.map(hex))).toEqual(aus.map((a) => a.nals.map(hex)));
    } finally {
      await rx.close();
    }
  });

  it('validates options', () => {
    expect(() => udpSink({ port: 0 })).toThrow(/port/);
    expect(() => udpSink({ port: 5004, ttl: 300 })).toThrow(/ttl/);
    expect(() => udpSrc({ port: 70000 })).toThrow(/port/);
    expect(() => udpSrc({ port: 5004, multicastGroup: '10.0.0.1' })).toThrow(/multicast/);
    expect(() => udpSrc({ sdp: '/nonexistent/x.sdp' })).toThrow(/cannot read SDP/);
    expect(() => udpSrc({ port: 0 })).toThrow(/fixed port/);
    const junk = join(mkdtempSync(join(tmpdir(), 'g2g-sdp-')), 'junk.sdp');
    writeFileSync(junk, 'v=0\r\nm=video oops\r\n\u0000\u00ff');
    expect(() => udpSrc({ sdp: junk })).toThrow(SdpError);
  });
});
