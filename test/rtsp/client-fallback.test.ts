/**
 * UDP → TCP fall-back of rtspSrc against GStreamer's RTSP server: a TCP proxy in front of it rewrites the
 * client_port of UDP SETUPs to a closed port pair, so the server plays UDP into the void (as behind a
 * firewall). The client must notice no RTP within udp-timeout, TEARDOWN, SETUP again over TCP interleaved
 * (through the same proxy, which leaves those alone) and deliver frames.
 */
import { createSocket } from 'node:dgram';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rtspSrc, type RtspSrcOptions } from '../../node/elements/rtsp-src';
import { fakeSink } from '../../operators/fake-sink';
import { PacketFlags, type Packet } from '../../src/packet';
import { pipe } from '../../src/pipeline';
import { MILLISECOND, SECOND } from '../../src/time';
import { killAllServers, startServer, type RtspTestServer } from './helpers';

let server: RtspTestServer;
let proxy: { port: number; requests: string[]; close(): Promise<void> };

/** A UDP port pair nobody listens on (bound, noted, released). */
async function deadPorts(): Promise<number> {
  for (;;) {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const p = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    if (p % 2 === 0 && p < 65534) return p;
  }
}

async function startProxy(upstream: number, dead: number): Promise<typeof proxy> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const srv: Server = createServer((down) => {
    const up = connect({ host: '127.0.0.1', port: upstream });
    sockets.add(down).add(up);
    down.on('data', (b: Buffer) => {
      // Requests start with a method; interleaved RTCP ('$' frames) passes untouched.
      if (/^[A-Z_]+ rtsp:\/\//.test(b.subarray(0, 64).toString('latin1'))) {
        const text = b.toString('latin1');
        requests.push(`${text.split(' ')[0]} ${/Transport: (\S+)/i.exec(text)?.[1] ?? ''}`.trim());
        b = Buffer.from(text.replace(/client_port=\d+-\d+/i, `client_port=${dead}-${dead + 1}`), 'latin1');
      }
      up.write(b);
    });
    up.on('data', (b: Buffer) => down.write(b));
    const end = () => (down.destroy(), up.destroy());
    down.on('close', end).on('error', end);
    up.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    port: (srv.address() as { port: number }).port,
    requests,
    close: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), srv.close(() => r()))),
  };
}

beforeAll(async () => {
  server = await startServer({ fps: 30 });
  proxy = await startProxy(server.port, await deadPorts());
}, 30_000);
afterAll(async () => {
  await proxy?.close();
  await killAllServers();
});

async function play(options: RtspSrcOptions) {
  const packets: Packet[] = [];
  const logs: string[] = [];
  const src = rtspSrc(options);
  await pipe(src, fakeSink({ onPacket: (p) => void packets.push(p) })).run({ profile: 'live', log: (level, _e, m) => void logs.push(`${level} ${m}`) });
  return { packets, logs, counters: src.counters };
}

describe('rtspSrc udp+tcp fall-back through a proxy that blackholes UDP', () => {
  it('no RTP within udp-timeout: TEARDOWN, SETUP over TCP, frames delivered, the fall-back counted and logged', async () => {
    proxy.requests.length = 0;
    const t0 = performance.now();
    const { packets, logs, counters } = await play({
      location: `rtsp://127.0.0.1:${proxy.port}/live`,
      protocols: 'udp+tcp',
      udpTimeout: 700 * MILLISECOND,
      numBuffers: 30,
    });
    const ms = performance.now() - t0;
    expect(packets).toHaveLength(30);
    expect(packets[0].flags & PacketFlags.KEYFRAME).toBeTruthy();
    expect(packets.every((p) => !(p.flags & PacketFlags.CORRUPT))).toBe(true);
    expect(counters).toMatchObject({ fallbacks: 1, sessions: 2, reconnects: 0 });
    expect(logs.some((l) => /^warn no RTP over UDP \d+ ms after PLAY; tearing down to play over TCP/.test(l))).toBe(true);
    // The UDP session was set up, played and torn down before the TCP one.
    const methods = proxy.requests.map((r) => r.replace(/;.*/, ''));
    const udpSetup = methods.indexOf('SETUP RTP/AVP');
    const teardown = methods.indexOf('TEARDOWN');
    const tcpSetup = methods.indexOf('SETUP RTP/AVP/TCP');
    expect(udpSetup).toBeGreaterThanOrEqual(0);
    expect(methods[udpSetup + 1]).toBe('PLAY');
    expect(teardown).toBeGreaterThan(udpSetup);
    expect(tcpSetup).toBeGreaterThan(teardown);
    // 0.7 s of waiting, then a TCP session's start-up and 1 s of frames: well under the 5 s default timeout.
    expect(ms).toBeLessThan(4000);
  }, 30_000);

  it("'udp' alone never falls back: the session fails on the data timeout", async () => {
    await expect(play({ location: `rtsp://127.0.0.1:${proxy.port}/live`, protocols: 'udp', timeout: 1 * SECOND, numBuffers: 5 })).rejects.toThrow(
      /no media from rtsp:\/\/127\.0\.0\.1:\d+\/live for 1000 ms/
    );
  }, 30_000);

  it('direct to the server (UDP gets through), udp+tcp stays on UDP', async () => {
    const { packets, counters } = await play({
      location: `rtsp://127.0.0.1:${server.port}/live`,
      protocols: 'udp+tcp',
      udpTimeout: 700 * MILLISECOND,
      numBuffers: 15,
    });
    expect(packets).toHaveLength(15);
    expect(counters).toMatchObject({ fallbacks: 0, sessions: 1 });
  }, 30_000);
});
