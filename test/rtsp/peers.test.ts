/** rtspSrc against GStreamer's RTSP server (gst-rtsp-server through Python gi), on 127.0.0.1. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rtspSrc, type RtspSrcOptions } from '../../node/elements/rtsp-src';
import { fakeSink } from '../../operators/fake-sink';
import { PacketFlags, type Packet } from '../../src/packet';
import { pipe } from '../../src/pipeline';
import { MILLISECOND, SECOND } from '../../src/time';
import { killAllServers, startServer, tcpHandles, type RtspTestServer } from './helpers';
import { requirePeer } from '../peers';

requirePeer('ffmpeg', 'gst-rtsp-server');

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'g2g-rtsp-'));
let server: RtspTestServer;
let mp4: string;

beforeAll(async () => {
  mp4 = join(dir, 'in.mp4');
  await run('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x240:rate=30',
    '-frames:v',
    '60',
    '-c:v',
    'libx264',
    '-profile:v',
    'high',
    '-bf',
    '2',
    '-g',
    '15',
    '-pix_fmt',
    'yuv420p',
    '-y',
    mp4,
  ]);
  server = await startServer({ fps: 60, file: mp4 });
}, 30_000);
afterAll(async () => {
  await killAllServers();
  rmSync(dir, { recursive: true, force: true });
});

/** Every log line of every run (debug included), to check that no credential ever reaches one. */
const logs: string[] = [];

async function play(
  options: RtspSrcOptions,
  profile: 'live' | 'throughput' = 'live'
): Promise<{ packets: Packet[]; src: ReturnType<typeof rtspSrc>; stats: string }> {
  const packets: Packet[] = [];
  const src = rtspSrc(options);
  const stats = await pipe(src, fakeSink({ onPacket: (p) => void packets.push(p) })).run({
    profile,
    log: (level, element, message) => void logs.push(`${level} ${element} ${message}`),
  });
  return { packets, src, stats: JSON.stringify(stats) };
}

describe('rtspSrc against gst-rtsp-server', () => {
  it('TCP interleaved, live mount: num-buffers units from a keyframe, pts at the frame rate, capture time set, sockets closed', async () => {
    const base = tcpHandles();
    // The throughput profile keeps the RTP spacing (live stamps a unit that came late at its arrival).
    const { packets, src } = await play({ location: `rtsp://127.0.0.1:${server.port}/live`, protocols: 'tcp', numBuffers: 60 }, 'throughput');
    expect(packets).toHaveLength(60);
    expect(packets[0].flags & PacketFlags.KEYFRAME).toBeTruthy();
    expect(packets.filter((p) => p.flags & PacketFlags.KEYFRAME).length).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < packets.length; i++) {
      const d = packets[i].pts! - packets[i - 1].pts!;
      expect(Math.abs(d - SECOND / 60)).toBeLessThan(MILLISECOND);
    }
    expect(packets.every((p) => !(p.flags & PacketFlags.CORRUPT) && typeof p.meta.captureTime === 'number')).toBe(true);
    expect(src.counters.depay.lost).toBe(0);
    expect(src.counters.sessions).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(tcpHandles()).toBe(base);
  }, 20_000);

  it('TCP, file mount: every frame of the MP4 arrives and the server ends the stream (RTCP BYE)', async () => {
    const { packets } = await play({ location: `rtsp://127.0.0.1:${server.port}/file` });
    expect(packets).toHaveLength(60);
    expect(packets.filter((p) => p.flags & PacketFlags.KEYFRAME)).toHaveLength(4);
    expect(packets[0].flags & PacketFlags.KEYFRAME).toBeTruthy();
  }, 20_000);

  it('UDP transport: units arrive with no loss', async () => {
    const { packets, src } = await play({ location: `rtsp://127.0.0.1:${server.port}/live`, protocols: 'udp', numBuffers: 30, latency: 50 * MILLISECOND });
    expect(packets).toHaveLength(30);
    expect(packets[0].flags & PacketFlags.KEYFRAME).toBeTruthy();
    expect(src.counters.depay.lost).toBe(0);
  }, 20_000);

  it('udp+tcp plays over UDP when it works', async () => {
    const { packets } = await play({ location: `rtsp://127.0.0.1:${server.port}/live`, protocols: 'udp+tcp', numBuffers: 10 });
    expect(packets).toHaveLength(10);
  }, 20_000);

  it('a missing mount is a 404 error naming the URL', async () => {
    await expect(play({ location: `rtsp://127.0.0.1:${server.port}/nothing`, numBuffers: 1 })).rejects.toThrow(
      /DESCRIBE rtsp:\/\/127\.0\.0\.1:\d+\/nothing failed: 404/
    );
  }, 20_000);

  it('a refused connection fails after the retries, with the URL redacted', async () => {
    const s = await startServer();
    const port = s.port;
    await s.kill();
    const src = rtspSrc({ location: `rtsp://bob:hunter2@127.0.0.1:${port}/live`, retry: 2, backoff: 20 * MILLISECOND });
    const err = await pipe(src, fakeSink())
      .run({ profile: 'live' })
      .then(
        () => undefined,
        (e: Error) => e
      );
    expect(err).toBeInstanceOf(Error);
    expect(String(err!.message)).toMatch(/cannot connect to rtsp:\/\/127\.0\.0\.1/);
    expect(String(err!.message) + String(err!.stack)).not.toContain('hunter2');
    expect(src.counters.reconnects).toBe(2);
  }, 20_000);
});

describe.each(['basic', 'digest'] as const)('%s authentication', (method) => {
  let secure: RtspTestServer;
  beforeAll(async () => {
    secure = await startServer({ fps: 60, auth: 'alice:s3cret', authMethod: method });
  }, 20_000);
  afterAll(() => secure.kill());

  it('credentials in the URL; never in logs, stats or the description', async () => {
    logs.length = 0;
    const { packets, src, stats } = await play({ location: `rtsp://alice:s3cret@127.0.0.1:${secure.port}/secure`, numBuffers: 20 });
    expect(packets).toHaveLength(20);
    expect(logs.some((l) => /playing rtsp:\/\/127\.0\.0\.1:\d+\/secure over TCP/.test(l))).toBe(true);
    expect(`${logs.join('\n')} ${stats} ${src.toString()}`).not.toMatch(/s3cret|alice:/);
  }, 20_000);

  it('user-id and user-pw, over UDP', async () => {
    logs.length = 0;
    const { packets, src, stats } = await play({
      location: `rtsp://127.0.0.1:${secure.port}/secure`,
      userId: 'alice',
      userPw: 's3cret',
      protocols: 'udp',
      numBuffers: 20,
    });
    expect(packets).toHaveLength(20);
    expect(src.counters.depay.lost).toBe(0);
    expect(`${logs.join('\n')} ${stats} ${src.toString()}`).not.toContain('s3cret');
  }, 20_000);

  it('a wrong password is a clear 401 error that never shows the password; no retry', async () => {
    const src = rtspSrc({ location: `rtsp://alice:wrongpw@127.0.0.1:${secure.port}/secure`, retry: 3, numBuffers: 5 });
    const err = await pipe(src, fakeSink())
      .run({ profile: 'live' })
      .then(
        () => undefined,
        (e: Error) => e
      );
    expect(err?.message).toMatch(/401 Unauthorized from rtsp:\/\/127\.0\.0\.1:\d+\/secure on DESCRIBE: the server rejected the credentials/);
    expect(`${err?.message} ${err?.stack} ${src.toString()}`).not.toMatch(/wrongpw|s3cret/);
    expect(src.counters.reconnects).toBe(0);
  }, 20_000);

  it('no credentials: 401 asking for them', async () => {
    await expect(play({ location: `rtsp://127.0.0.1:${secure.port}/secure`, numBuffers: 5 })).rejects.toThrow(/401 Unauthorized .* needs credentials/);
  }, 20_000);
});

describe('reconnection', () => {
  it('a server that stops answering (SIGSTOP) fails the session after timeout= with a clear error', async () => {
    const s = await startServer({ fps: 60 });
    const packets: Packet[] = [];
    const src = rtspSrc({ location: `rtsp://127.0.0.1:${s.port}/live`, timeout: 500 * MILLISECOND });
    const sink = fakeSink({ onPacket: (p) => void (packets.push(p) === 10 && s.process.kill('SIGSTOP')) });
    try {
      await expect(pipe(src, sink).run({ profile: 'live' })).rejects.toThrow(/no media from rtsp:\/\/127\.0\.0\.1:\d+\/live for 500 ms/);
    } finally {
      s.process.kill('SIGCONT');
      await s.kill();
    }
    expect(packets.length).toBeGreaterThanOrEqual(10);
  }, 20_000);

  it('server killed and restarted mid-stream: resumes at a keyframe, the gap DISCONT and counted, pts go on', async () => {
    const first = await startServer({ fps: 60 });
    const port = first.port;
    const packets: Packet[] = [];
    let restarted: Promise<RtspTestServer> | undefined;
    const src = rtspSrc({ location: `rtsp://127.0.0.1:${port}/live`, numBuffers: 90, retry: 10, backoff: 100 * MILLISECOND, timeout: 2 * SECOND });
    const sink = fakeSink({
      onPacket: (p) => {
        packets.push(p);
        if (packets.length === 30) restarted = first.kill().then(() => startServer({ fps: 60, port }));
      },
    });
    try {
      await pipe(src, sink).run({ profile: 'live' });
    } finally {
      await (await restarted)?.kill();
    }
    expect(packets).toHaveLength(90);
    expect(src.counters.reconnects).toBeGreaterThanOrEqual(1);
    expect(src.counters.sessions).toBe(src.counters.reconnects + 1);
    const after = packets[30];
    expect(after.flags & PacketFlags.DISCONT).toBeTruthy();
    expect(after.flags & PacketFlags.KEYFRAME).toBeTruthy();
    expect(packets.slice(1).filter((p) => p.flags & PacketFlags.DISCONT)).toHaveLength(1);
    for (let i = 1; i < packets.length; i++) expect(packets[i].pts!).toBeGreaterThan(packets[i - 1].pts!);
  }, 30_000);
});
