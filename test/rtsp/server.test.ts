/** rtspServerSink, RtspServerConnection and `g2g serve`, checked with ffprobe/ffmpeg clients and our rtspSrc. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../node/cli/serve';
import { installNodeFileOpener } from '../../node/drivers/fs';
import { rtspServerSink } from '../../node/elements/rtsp-server-sink';
import { rtspSrc } from '../../node/elements/rtsp-src';
import { fakeSink } from '../../operators/fake-sink';
import { fileSrc } from '../../operators/file-src';
import { h264Parse } from '../../operators/h264-parse';
import { PacketFlags, type Packet } from '../../src/packet';
import { pipe } from '../../src/pipeline';
import { RtspParser, serializeRequest, type RtspResponse } from '../../src/rtsp/message';
import { RtspServerConnection } from '../../src/rtsp/server';
import { setFileOpener } from '../../src/io';
import { SECOND } from '../../src/time';
import { requirePeer } from '../peers';

requirePeer('ffmpeg', 'ffprobe');

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'g2g-rtsp-server-'));
let h264: string;
let mp4: string;
let previous: ReturnType<typeof installNodeFileOpener>;

beforeAll(async () => {
  previous = installNodeFileOpener();
  h264 = join(dir, 'in.h264');
  mp4 = join(dir, 'in.mp4');
  const enc = [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x240:rate=30',
    '-frames:v',
    '45',
    '-c:v',
    'libx264',
    '-bf',
    '0',
    '-g',
    '15',
    '-pix_fmt',
    'yuv420p',
    '-y',
  ];
  await run('ffmpeg', [...enc, '-f', 'h264', h264]);
  await run('ffmpeg', [...enc, mp4]);
}, 30_000);
afterAll(() => {
  setFileOpener(previous);
  rmSync(dir, { recursive: true, force: true });
});

/** Serves the test file with rtspServerSink; resolves the URL once listening. */
function serveFile(extra: { waitForClient?: boolean } = {}) {
  let onUrl!: (u: string) => void;
  const url = new Promise<string>((r) => (onUrl = r));
  const done = pipe(fileSrc({ location: h264 }), h264Parse(), rtspServerSink({ port: 0, onListening: ({ url }) => onUrl(url), ...extra })).run({
    profile: 'live',
  });
  return { url, done };
}

describe('RtspServerConnection (sans-IO)', () => {
  const ask = (conn: RtspServerConnection, method: string, uri: string, headers: [string, string][] = []): RtspResponse => {
    conn.receive(serializeRequest(method, uri, [['CSeq', '1'], ...headers]), 0);
    const p = new RtspParser();
    for (let b = conn.pollTransmit(); b; b = conn.pollTransmit()) p.push(b);
    return p.next() as RtspResponse;
  };
  it('DESCRIBE, SETUP, PLAY, TEARDOWN; 404, 454, 461; session timeout', () => {
    const conn = new RtspServerConnection({ path: '/s', sdp: () => 'v=0\r\n', sessionId: () => 'S1', serverPorts: [6000, 6001], sessionTimeout: 10 * SECOND });
    expect(ask(conn, 'OPTIONS', '*').headers.get('public')).toContain('DESCRIBE');
    expect(ask(conn, 'DESCRIBE', 'rtsp://h/x').status).toBe(404);
    const d = ask(conn, 'DESCRIBE', 'rtsp://h/s');
    expect(d.headers.get('content-base')).toBe('rtsp://h/s/');
    expect(ask(conn, 'PLAY', 'rtsp://h/s', [['Session', 'nope']]).status).toBe(454);
    expect(ask(conn, 'SETUP', 'rtsp://h/s/stream=0', [['Transport', 'RTP/AVP;multicast']]).status).toBe(461);
    const s = ask(conn, 'SETUP', 'rtsp://h/s/stream=0', [['Transport', 'RTP/AVP;unicast;client_port=5000-5001']]);
    expect(s.headers.get('transport')).toBe('RTP/AVP;unicast;client_port=5000-5001;server_port=6000-6001');
    expect(s.headers.get('session')).toBe('S1;timeout=10');
    expect(ask(conn, 'PLAY', 'rtsp://h/s', [['Session', 'S1']]).status).toBe(200);
    expect(conn.nextEvent()).toMatchObject({ type: 'play', session: 'S1' });
    expect(conn.pollTimeout()).toBe(10 * SECOND);
    conn.handleTimeout(10 * SECOND);
    expect(conn.nextEvent()).toMatchObject({ type: 'close', reason: 'session S1 timed out' });
    const bad = new RtspServerConnection({ path: '/s', sdp: () => '' });
    bad.receive(new TextEncoder().encode('garbage\r\n\r\n'), 0);
    expect(bad.nextEvent()).toMatchObject({ type: 'close' });
  });

  it('fuzz: any bytes from a client never throw; responses always parse', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 100 }),
            fc.constantFrom(
              ...[
                'OPTIONS * RTSP/1.0\r\nCSeq: 2\r\n\r\n',
                'SETUP rtsp://h/s/stream=0 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n',
                'PLAY rtsp://h/s RTSP/1.0\r\nCSeq: 4\r\nSession: x\r\n\r\n',
              ].map((t) => new TextEncoder().encode(t))
            )
          ),
          { maxLength: 12 }
        ),
        (chunks) => {
          const conn = new RtspServerConnection({ path: '/s', sdp: () => 'v=0\r\n', sessionId: () => 'x' });
          const p = new RtspParser();
          for (const c of chunks) {
            conn.receive(c, 0);
            for (let b = conn.pollTransmit(); b; b = conn.pollTransmit()) p.push(b);
            for (let m = p.next(); m; m = p.next()) expect(m).toMatchObject({ kind: 'response' });
          }
        }
      ),
      { numRuns: 300 }
    );
  });
});

describe('rtspServerSink', () => {
  it('ffprobe sees the stream (TCP)', async () => {
    const { url, done } = serveFile();
    const { stdout, stderr } = await run('ffprobe', [
      '-v',
      'error',
      '-rtsp_transport',
      'tcp',
      '-show_entries',
      'stream=codec_name,width,height',
      '-of',
      'json',
      await url,
    ]);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout).streams[0]).toMatchObject({ codec_name: 'h264', width: 320, height: 240 });
    await done;
  }, 30_000);

  it.each(['tcp', 'udp'] as const)(
    'ffmpeg over %s receives every frame, the BYE ends it',
    async (transport) => {
      const { url, done } = serveFile();
      const out = join(dir, `out-${transport}.mp4`);
      const rx = run('ffmpeg', ['-v', 'error', '-rtsp_transport', transport, '-i', await url, '-c', 'copy', '-y', out]);
      await done;
      const { stderr } = await rx;
      expect(stderr).toBe('');
      const probe = await run('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', out]);
      expect(probe.stderr).toBe('');
      expect(probe.stdout.trim()).toBe('45');
    },
    30_000
  );

  it('our rtspSrc against our server: every unit, from a keyframe', async () => {
    const { url, done } = serveFile();
    const packets: Packet[] = [];
    await pipe(rtspSrc({ location: await url }), fakeSink({ onPacket: (p) => void packets.push(p) })).run({ profile: 'live' });
    await done;
    expect(packets).toHaveLength(45);
    expect(packets[0].flags & PacketFlags.KEYFRAME).toBeTruthy();
  }, 30_000);
});

describe('keep-alive', () => {
  it.each(['tcp', 'udp'] as const)(
    "rtspSrc (%s) keeps a session alive past the server's 2 s timeout",
    async (protocols) => {
      const long = join(dir, `long-${protocols}.h264`);
      await run('ffmpeg', [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=160x120:rate=30',
        '-frames:v',
        '150',
        '-c:v',
        'libx264',
        '-bf',
        '0',
        '-g',
        '30',
        '-f',
        'h264',
        '-y',
        long,
      ]);
      let onUrl!: (u: string) => void;
      const url = new Promise<string>((r) => (onUrl = r));
      const done = pipe(
        fileSrc({ location: long }),
        h264Parse(),
        rtspServerSink({ port: 0, sessionTimeout: 2 * SECOND, onListening: ({ url }) => onUrl(url) })
      ).run({ profile: 'live' });
      const packets: Packet[] = [];
      const src = rtspSrc({ location: await url, protocols });
      // Every unit counts here, late or not: the subject is the session's life, not latency.
      await pipe(src, fakeSink({ dropLate: false, onPacket: (p) => void packets.push(p) })).run({ profile: 'live' });
      await done;
      // 5 s of video: without GET_PARAMETER every second the server would have closed the session at 2 s.
      expect(packets).toHaveLength(150);
      expect(src.counters.sessions).toBe(1);
    },
    30_000
  );
});

describe('g2g serve', () => {
  it('serves an MP4; ffmpeg reads all frames; bad options are usage errors', async () => {
    const lines: string[] = [];
    let onUrl!: (u: string) => void;
    const url = new Promise<string>((r) => (onUrl = r));
    const io = { out: (t: string) => void lines.push(t), err: (t: string) => void lines.push(`ERR ${t}`) };
    const code = serve(['--port', '0', '--mount', '/cam', mp4], io, { onListening: onUrl, onInterrupt: () => () => undefined });
    const u = await url;
    expect(u).toMatch(/^rtsp:\/\/127\.0\.0\.1:\d+\/cam$/);
    const out = join(dir, 'serve.mp4');
    await run('ffmpeg', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', u, '-c', 'copy', '-y', out]);
    expect(await code).toBe(0);
    expect(lines).toContain(`Serving ${u}`);
    const probe = await run('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', out]);
    expect(probe.stdout.trim()).toBe('45');
    await expect(serve(['--port', 'x', mp4], io)).rejects.toThrow(/--port/);
    await expect(serve([], io)).rejects.toThrow(/needs a file/);
  }, 30_000);
});
