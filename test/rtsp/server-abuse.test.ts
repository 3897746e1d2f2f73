/**
 * The RTSP server under abuse over real sockets (issue 15): a slowloris flood against a connection limit and
 * short timeouts while our rtspSrc plays and ffprobe comes after; methods it does not implement and an HTTP
 * request, from raw node:net clients; `g2g serve`'s flags. The protocol alone: server-abuse-protocol.test.ts.
 */
import { execFile, execFileSync } from 'node:child_process';
import { get, type IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../node/cli/serve';
import { installNodeFileOpener } from '../../node/drivers/fs';
import { MAX_REFUSING, rtspServer, type RtspServer } from '../../node/elements/rtsp-server';
import { rtspServerSink } from '../../node/elements/rtsp-server-sink';
import { rtspSrc } from '../../node/elements/rtsp-src';
import { fakeSink } from '../../operators/fake-sink';
import { fileSrc } from '../../operators/file-src';
import { h264Parse } from '../../operators/h264-parse';
import { setFileOpener } from '../../src/io';
import type { Packet } from '../../src/packet';
import { pipe } from '../../src/pipeline';
import { RtspParser, type RtspResponse } from '../../src/rtsp/message';
import { MILLISECOND, SECOND } from '../../src/time';
import { requirePeer } from '../peers';

requirePeer('ffmpeg', 'ffprobe');

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'g2g-rtsp-abuse-'));
const files = { short: join(dir, 'short.h264'), long: join(dir, 'long.h264') };
let previous: ReturnType<typeof installNodeFileOpener>;

beforeAll(async () => {
  previous = installNodeFileOpener();
  const enc = (frames: number, out: string) =>
    run('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x120:rate=30',
      '-frames:v',
      String(frames),
      '-c:v',
      'libx264',
      '-bf',
      '0',
      '-g',
      '15',
      '-pix_fmt',
      'yuv420p',
      '-f',
      'h264',
      '-y',
      out,
    ]);
  await Promise.all([enc(30, files.short), enc(900, files.long)]);
}, 60_000);
afterAll(() => {
  setFileOpener(previous);
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Serves a file at `path` of `server` until sent (or aborted). */
function mount(server: RtspServer, path: string, file: keyof typeof files, signal?: AbortSignal): Promise<unknown> {
  return pipe(fileSrc({ location: files[file] }), h264Parse(), rtspServerSink({ server, path })).run({ profile: 'live', signal });
}

/** A raw client: what it received, and whether the server ended the connection (FIN, reset or close). */
interface Raw {
  readonly socket: Socket;
  text: string;
  ended: boolean;
  readonly done: Promise<void>;
}

/** Connects and sends `bytes`; never sends FIN itself (allowHalfOpen), so only the server can end it. */
function raw(port: number, bytes: string): Promise<Raw> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let finish!: () => void;
    const r: Raw = {
      socket,
      text: '',
      ended: false,
      done: new Promise<void>((f) => (finish = f)),
    };
    const end = () => ((r.ended = true), finish(), resolve(r));
    socket.on('data', (d) => (r.text += d.toString('latin1')));
    socket.on('end', end);
    socket.on('error', end);
    socket.on('close', end);
    socket.on('connect', () => {
      if (bytes) socket.write(bytes);
      resolve(r);
    });
  });
}

/** Every response in what a raw client received. */
function responses(text: string): RtspResponse[] {
  const p = new RtspParser();
  p.push(Buffer.from(text, 'latin1'));
  const out: RtspResponse[] = [];
  for (let m = p.next(); m && !(m instanceof Error); m = p.next()) if (m.kind === 'response') out.push(m);
  return out;
}

/** The file descriptors this process may open (Node raises its soft limit to the hard one; children inherit it). */
const fdLimit = () => Number(execFileSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());

describe('slowloris', () => {
  it('2,000 held half-requests: the server holds a bounded number of sockets, times them out, keeps serving', async () => {
    // Server and attackers share this process: each accepted attacker costs two descriptors. Sized so that
    // even a server without a limit (2 per attacker) stays below the fd limit: it then fails the count, not EMFILE.
    const attackers = Math.min(2000, Math.floor((fdLimit() - 400) / 2));
    const LIMIT = 40;
    expect(attackers, `ulimit -n ${fdLimit()} leaves room for too few attackers to mean anything`).toBeGreaterThanOrEqual(10 * LIMIT);
    const server = rtspServer({
      port: 0,
      maxConnections: LIMIT,
      requestTimeout: SECOND,
      idleTimeout: 2 * SECOND,
    });
    const { port } = await server.listen();
    const abort = new AbortController();
    try {
      // A client playing before the attack: served through it.
      const live = mount(server, '/live', 'long', abort.signal);
      const packets: Packet[] = [];
      const src = rtspSrc({
        location: server.urlOf('/live'),
        protocols: 'tcp',
      });
      let firstUnit!: () => void;
      const playing = new Promise<void>((r) => (firstUnit = r));
      // Every unit counts, late or not: the subject is being served, not latency.
      const player = pipe(
        src,
        fakeSink({
          dropLate: false,
          onPacket: (p) => void (packets.push(p), firstUnit()),
        })
      ).run({
        profile: 'live',
        signal: abort.signal,
      });
      player.catch(() => undefined);
      await playing;
      expect(server.connections).toBe(1);

      let peak = 0;
      const sample = setInterval(() => (peak = Math.max(peak, server.openSockets)), 5);
      const half = 'OPTIONS rtsp://127.0.0.1/live RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: slow';
      const flood: Raw[] = [];
      // In waves: the listen backlog (511) is not the subject.
      for (let i = 0; i < attackers; i += 200) flood.push(...(await Promise.all(Array.from({ length: Math.min(200, attackers - i) }, () => raw(port, half)))));
      await Promise.all(flood.map((r) => r.done));
      // Every attacker was ended by the server: refused at the limit, or accepted and timed out. None was let in
      // to stay; while the flood held its sockets, the server never held more than the limit and the refusals
      // still closing.
      clearInterval(sample);
      const c = server.counters;
      expect(flood.every((r) => r.ended)).toBe(true);
      expect(c.refused + c.requestTimeouts).toBe(attackers);
      expect(c.requestTimeouts).toBeGreaterThanOrEqual(LIMIT - 1);
      expect(c.peakSockets).toBeLessThanOrEqual(LIMIT + MAX_REFUSING);
      expect(peak).toBeLessThanOrEqual(LIMIT + MAX_REFUSING);
      // What each was told: 408 once its request was overdue, 503 at the limit (or nothing, past MAX_REFUSING).
      const told = flood.map((r) => responses(r.text).map((m) => m.status));
      expect(told.filter((s) => s[0] === 408).length).toBe(c.requestTimeouts);
      expect(told.filter((s) => s[0] === 503).length).toBeGreaterThan(0);
      expect(told.every((s) => s.length <= 1 && (s.length === 0 || s[0] === 408 || s[0] === 503))).toBe(true);
      // Refused sockets still closing are gone in time too; only the player is left.
      while (server.openSockets > 1) await sleep(50);
      expect(server.connections).toBe(1);
      expect(c.sessionTimeouts).toBe(0);
      expect(src.counters.sessions).toBe(1);
      const during = packets.length;

      // After: ffprobe, a new client, is served while the flood's sockets are still open on its side.
      const after = mount(server, '/after', 'short');
      const { stdout, stderr } = await run('ffprobe', [
        '-v',
        'error',
        '-rtsp_transport',
        'tcp',
        '-show_entries',
        'stream=codec_name,width,height',
        '-of',
        'json',
        server.urlOf('/after'),
      ]);
      expect(stderr).toBe('');
      expect(JSON.parse(stdout).streams[0]).toMatchObject({
        codec_name: 'h264',
        width: 160,
        height: 120,
      });
      await after;
      for (const r of flood) r.socket.destroy();
      // The player went on receiving, in order, with no RTP lost (a unit the server skipped would show as a
      // sequence gap) and no reconnect.
      while (packets.length <= during) await sleep(20);
      expect(src.counters.reconnects).toBe(0);
      expect(src.counters.depay).toMatchObject({
        lost: 0,
        damaged: 0,
        dropped: 0,
      });
      const pts = packets.map((p) => p.pts!);
      expect(pts.slice(1).every((t, i) => t > pts[i])).toBe(true);
      abort.abort();
      await live.catch(() => undefined);
      await player.catch(() => undefined);
    } finally {
      abort.abort();
      await server.close();
    }
  }, 120_000);

  it('a connection that sends nothing is closed after request-timeout; one with no session after idle-timeout', async () => {
    const server = rtspServer({
      port: 0,
      requestTimeout: 300 * MILLISECOND,
      idleTimeout: 600 * MILLISECOND,
    });
    const { port } = await server.listen();
    try {
      const silent = await raw(port, '');
      const asked = await raw(port, 'OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n');
      await Promise.all([silent.done, asked.done]);
      expect(responses(silent.text).map((m) => m.status)).toEqual([408]);
      expect(responses(asked.text).map((m) => m.status)).toEqual([200]);
      expect(server.counters).toMatchObject({
        requestTimeouts: 1,
        idleTimeouts: 1,
        accepted: 2,
      });
      while (server.openSockets > 0) await sleep(20);
    } finally {
      await server.close();
    }
  });
});

describe('requests it does not serve, over a socket', () => {
  let server: RtspServer;
  let port: number;
  beforeAll(async () => {
    server = rtspServer({ port: 0 });
    ({ port } = await server.listen());
  });
  afterAll(() => server.close());

  it('ANNOUNCE, RECORD, PAUSE without a session: 405 with Allow; an unknown method 501; then DESCRIBE still works', async () => {
    const done = mount(server, '/m', 'short');
    const r = await raw(
      port,
      [
        'ANNOUNCE rtsp://127.0.0.1/m RTSP/1.0\r\nCSeq: 1\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n',
        'RECORD rtsp://127.0.0.1/m RTSP/1.0\r\nCSeq: 2\r\n\r\n',
        'PAUSE rtsp://127.0.0.1/m RTSP/1.0\r\nCSeq: 3\r\n\r\n',
        'BREW rtsp://127.0.0.1/m RTSP/1.0\r\nCSeq: 4\r\n\r\n',
        'DESCRIBE rtsp://127.0.0.1/m RTSP/1.0\r\nCSeq: 5\r\n\r\n',
      ].join('')
    );
    while (responses(r.text).length < 5 && !r.ended) await sleep(10);
    const got = responses(r.text);
    expect(got.map((m) => [m.headers.get('cseq'), m.status])).toEqual([
      ['1', 405],
      ['2', 405],
      ['3', 405],
      ['4', 501],
      ['5', 200],
    ]);
    for (const m of got.slice(0, 3)) expect(m.headers.get('allow')).toMatch(/^OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN/);
    expect(got[3].reason).toBe('Not Implemented');
    expect(r.ended).toBe(false);
    r.socket.destroy();
    // The mount is not played: end it.
    await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', server.urlOf('/m')]);
    await done;
  });

  it('HTTP tunnelling GET: an HTTP answer, then the server closes', async () => {
    const r = await raw(port, 'GET /m HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/x-rtsp-tunnelled\r\nx-sessioncookie: 1a2b\r\n\r\n');
    await r.done;
    expect(r.text).toMatch(/^HTTP\/1\.1 501 Not Implemented\r\n/);
    expect(r.text).toContain('Connection: close\r\n');
    expect(r.text).not.toContain('RTSP/1.0');
    // Node's HTTP client (llhttp, a strict parser) reads it as HTTP.
    const res = await new Promise<IncomingMessage>((resolve, reject) => get(`http://127.0.0.1:${port}/m`, resolve).on('error', reject));
    let body = '';
    for await (const chunk of res) body += chunk;
    expect(res.statusCode).toBe(501);
    expect(res.headers.connection).toBe('close');
    expect(body).toMatch(/RTSP server/);
  });
});

describe('g2g serve', () => {
  it('--max-connections, --request-timeout: one more connection is refused with 503, a held one gets 408', async () => {
    const lines: string[] = [];
    let onUrl!: (u: string) => void;
    const url = new Promise<string>((r) => (onUrl = r));
    const io = {
      out: (t: string) => void lines.push(t),
      err: (t: string) => void lines.push(`ERR ${t}`),
    };
    const code = serve(['--port', '0', '--max-connections', '2', '--request-timeout', '500ms', '--idle-timeout', '30', files.short], io, {
      onListening: onUrl,
      onInterrupt: () => () => undefined,
    });
    const port = Number(new URL((await url).replace(/^rtsp:/, 'http:')).port);
    const OPTIONS = 'OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n';
    // Two connections answered: both slots taken.
    const [held, second] = await Promise.all([raw(port, OPTIONS), raw(port, OPTIONS)]);
    while (responses(held.text).length + responses(second.text).length < 2) await sleep(10);
    const third = await raw(port, OPTIONS);
    await third.done;
    expect(responses(third.text).map((m) => m.status)).toEqual([503]);
    // Half a request, held: 408 and closed (the idle timeout, 30 s, is far).
    held.socket.write('OPTIONS * RTSP/1.0\r\nCSeq: 2\r\n');
    await held.done;
    expect(responses(held.text).map((m) => m.status)).toEqual([200, 408]);
    expect(second.ended).toBe(false);
    second.socket.destroy();
    // Slots free again: ffprobe is served, and the file ends.
    const { stderr } = await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', await url]);
    expect(stderr).toBe('');
    expect(await code).toBe(0);
    for (const r of [held, third]) r.socket.destroy();
    await expect(serve(['--request-timeout', 'soon', files.short], io)).rejects.toThrow(/--request-timeout: invalid value 'soon'/);
    await expect(serve(['--max-connections', '-1', files.short], io)).rejects.toThrow(/--max-connections/);
    await expect(serve(['--idle-timeout', '-5s', files.short], io)).rejects.toThrow(/--idle-timeout/);
  });
});
