/** rtspServer: several mounts on one port, Basic/Digest auth, late joiners; real clients (ffmpeg, ffprobe, GStreamer, our rtspSrc). */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installNodeFileOpener } from '../../node/drivers/fs';
import { rtspServer, type RtspServer } from '../../node/elements/rtsp-server';
import { rtspServerSink, type RtspServerSinkOptions } from '../../node/elements/rtsp-server-sink';
import { rtspSrc } from '../../node/elements/rtsp-src';
import { cliRegistry } from '../../node/cli/registry';
import { fakeSink } from '../../operators/fake-sink';
import { fileSrc } from '../../operators/file-src';
import { h264Parse } from '../../operators/h264-parse';
import { splitAnnexB } from '../../src/codecs/h264/nal';
import { setFileOpener } from '../../src/io';
import { parseLaunch } from '../../operators/launch';
import { PacketFlags, type Packet } from '../../src/packet';
import { pipe } from '../../src/pipeline';
import { H264Depayloader, type DepayedAccessUnit } from '../../src/rtp/h264-depayloader';
import { parseRtp } from '../../src/rtp/rtp-packet';
import { RtspParser, serializeRequest, type RtspResponse } from '../../src/rtsp/message';
import type { AuthMethod } from '../../src/rtsp/server-auth';
import { requirePeer } from '../peers';

requirePeer('ffmpeg', 'ffprobe', 'gstreamer');

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'g2g-rtsp-mounts-'));
const files: Record<'small' | 'tiny' | 'long', string> = { small: join(dir, 'small.h264'), tiny: join(dir, 'tiny.h264'), long: join(dir, 'long.h264') };
let previous: ReturnType<typeof installNodeFileOpener>;
let server: RtspServer;
const USER = { user: 'viewer', password: 'pa ss:wörd' };

beforeAll(async () => {
  previous = installNodeFileOpener();
  const enc = (size: string, frames: number, gop: number, out: string) =>
    run('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${size}:rate=30`,
      '-frames:v',
      String(frames),
      '-c:v',
      'libx264',
      '-bf',
      '0',
      '-g',
      String(gop),
      '-pix_fmt',
      'yuv420p',
      '-f',
      'h264',
      '-y',
      out,
    ]);
  await Promise.all([enc('320x240', 45, 15, files.small), enc('160x120', 30, 15, files.tiny), enc('320x240', 90, 30, files.long)]);
  // Parameter sets only at the start of `long` (x264 repeats them at every IDR): the server must resend
  // them to late joiners itself.
  const kept = new Set<number>();
  const nals = splitAnnexB(readFileSync(files.long)).filter((n) => {
    const t = n[0] & 0x1f;
    if (t !== 7 && t !== 8) return true;
    if (kept.has(t)) return false;
    kept.add(t);
    return true;
  });
  expect(nals.filter((n) => (n[0] & 0x1f) === 5).length).toBeGreaterThanOrEqual(3);
  writeFileSync(files.long, Buffer.concat(nals.flatMap((n) => [Buffer.from([0, 0, 0, 1]), n])));
  server = rtspServer({ port: 0 });
  await server.listen();
}, 30_000);
afterAll(async () => {
  await server.close();
  setFileOpener(previous);
  rmSync(dir, { recursive: true, force: true });
});

/** Serves a file at `path` of the shared server; ends (and frees the path) once sent. */
function mount(path: string, file: keyof typeof files, extra: Partial<RtspServerSinkOptions> = {}): Promise<unknown> {
  return pipe(fileSrc({ location: files[file] }), h264Parse(), rtspServerSink({ server, path, ...extra })).run({ profile: 'live' });
}

const userUrl = (path: string, user = USER.user, password = USER.password) =>
  server.urlOf(path).replace('rtsp://', `rtsp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@`);

/** ffmpeg decodes every frame (framecrc: one line a decoded frame); stderr must stay empty. */
async function decode(url: string, transport: 'tcp' | 'udp'): Promise<{ frames: number; stderr: string }> {
  const { stdout, stderr } = await run('ffmpeg', ['-v', 'error', '-rtsp_transport', transport, '-i', url, '-map', '0:v', '-f', 'framecrc', '-'], {
    maxBuffer: 1 << 24,
  });
  return { frames: stdout.split('\n').filter((l) => /^0,/.test(l)).length, stderr };
}

/**
 * A bare RTSP client over TCP that ignores the SDP's sprop-parameter-sets (rtspSrc, ffmpeg and GStreamer
 * all use them): whatever SPS/PPS its first access unit holds came in band from the server.
 */
async function firstUnitInBand(url: string): Promise<{ unit: DepayedAccessUnit; firstNal: number }> {
  const u = new URL(url.replace(/^rtsp:/, 'http:'));
  const socket = connect({ host: u.hostname, port: Number(u.port) });
  const parser = new RtspParser();
  const depay = new H264Depayloader();
  const units: DepayedAccessUnit[] = [];
  /** The type of the first NAL unit of the first RTP packet (the first inside a STAP-A). */
  let firstNal = -1;
  let waiting: ((r: RtspResponse) => void) | undefined;
  let gotUnit: (() => void) | undefined;
  socket.on('data', (d: Buffer) => {
    parser.push(new Uint8Array(d));
    for (let m = parser.next(); m; m = parser.next()) {
      if (m instanceof Error) throw m;
      if (m.kind === 'response') waiting?.(m);
      else if (m.kind === 'interleaved' && m.channel === 0) {
        const rtp = parseRtp(m.data);
        if (firstNal < 0 && !(rtp instanceof Error)) firstNal = (rtp.payload[0] & 0x1f) === 24 ? rtp.payload[3] & 0x1f : rtp.payload[0] & 0x1f;
        depay.push(m.data, units);
        if (units.length) gotUnit?.();
      }
    }
  });
  let cseq = 0;
  const ask = (method: string, uri: string, headers: [string, string][] = []) =>
    new Promise<RtspResponse>((resolve) => {
      waiting = resolve;
      socket.write(serializeRequest(method, uri, [['CSeq', String(++cseq)], ...headers]));
    });
  try {
    expect((await ask('DESCRIBE', url)).status).toBe(200);
    const setup = await ask('SETUP', `${url}/stream=0`, [['Transport', 'RTP/AVP/TCP;unicast;interleaved=0-1']]);
    const session = setup.headers.get('session')!.split(';')[0];
    await new Promise<void>((resolve) => {
      gotUnit = resolve;
      void ask('PLAY', url, [['Session', session]]);
    });
    return { unit: units[0], firstNal };
  } finally {
    socket.destroy();
  }
}

describe('rtspServer with authentication: ffmpeg and ffprobe as clients', () => {
  it.each<['tcp' | 'udp', AuthMethod[]]>([
    ['tcp', ['digest', 'basic']],
    ['udp', ['digest', 'basic']],
    ['tcp', ['basic']],
    ['udp', ['basic']],
  ])(
    'ffmpeg over %s, server offers %j: every frame decodes, the scheme used is the strongest offered',
    async (transport, methods) => {
      const before = { ...server.counters };
      const done = mount('/secure', 'small', { auth: { users: USER, methods } });
      const r = await decode(userUrl('/secure'), transport);
      await done;
      expect(r.stderr).toBe('');
      expect(r.frames).toBe(45);
      const used = methods.includes('digest') ? 'digest' : 'basic';
      expect(server.counters[used]).toBe(before[used] + 1);
      expect(server.counters.denied).toBe(before.denied);
    },
    30_000
  );

  it('a wrong password or none: ffmpeg and ffprobe fail with 401; the stream never starts', async () => {
    let finished = false;
    const done = mount('/secure', 'small', { auth: { users: USER } }).finally(() => (finished = true));
    const before = server.counters.denied;
    for (const url of [userUrl('/secure', USER.user, 'wrong'), server.urlOf('/secure'), userUrl('/secure', 'intruder', USER.password)]) {
      const e = await run('ffmpeg', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', url, '-f', 'null', '-']).then(
        () => undefined,
        (err: { stderr: string; code: number }) => err
      );
      expect(e, url).toBeDefined();
      expect(e!.code).not.toBe(0);
      expect(e!.stderr).toMatch(/401/);
    }
    const p = await run('ffprobe', ['-v', 'error', userUrl('/secure', USER.user, 'nope')]).then(
      () => undefined,
      (err: { stderr: string }) => err
    );
    expect(p?.stderr).toMatch(/401/);
    expect(server.counters.denied).toBeGreaterThanOrEqual(before + 3);
    // Nobody played: the file still waits for its first client.
    expect(finished).toBe(false);
    // The right password then plays it, and ends the pipeline.
    const ok = await decode(userUrl('/secure'), 'tcp');
    await done;
    expect(ok.frames).toBe(45);
  }, 30_000);

  it('GStreamer rtspsrc user-id= user-pw= (Digest) receives every frame', async () => {
    const digests = server.counters.digest;
    const done = mount('/gst', 'small', { auth: { users: USER } });
    const out = join(dir, 'gst.mp4');
    // GStreamer takes the credentials as properties; the URL stays clean.
    const { stderr } = await run(
      'gst-launch-1.0',
      [
        '-q',
        '-e',
        'rtspsrc',
        `location=${server.urlOf('/gst')}`,
        `user-id=${USER.user}`,
        `user-pw=${USER.password}`,
        'protocols=tcp',
        '!',
        'rtph264depay',
        '!',
        'h264parse',
        '!',
        'mp4mux',
        '!',
        'filesink',
        `location=${out}`,
      ],
      { timeout: 20_000 }
    );
    await done;
    expect(stderr).toBe('');
    const probe = await run('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', out]);
    expect(probe.stdout.trim()).toBe('45');
    expect(server.counters.digest).toBe(digests + 1);
  }, 30_000);

  it('our rtspSrc with credentials (in the URL and as options) receives every unit from a keyframe', async () => {
    for (const how of ['url', 'options'] as const) {
      const done = mount('/ours', 'small', { auth: { users: USER } });
      const packets: Packet[] = [];
      const src =
        how === 'url' ? rtspSrc({ location: userUrl('/ours') }) : rtspSrc({ location: server.urlOf('/ours'), userId: USER.user, userPw: USER.password });
      await pipe(src, fakeSink({ dropLate: false, onPacket: (p) => void packets.push(p) })).run({ profile: 'live' });
      await done;
      expect(packets, how).toHaveLength(45);
      expect(packets[0].flags & PacketFlags.KEYFRAME).toBeTruthy();
    }
  }, 30_000);
});

describe('rtspServer: several mounts on one port', () => {
  it('two pipelines at /a and /b at once (one with its own users), 404 elsewhere; each client gets its own stream', async () => {
    const a = mount('/a', 'small');
    const b = mount('/cams/b', 'tiny', { auth: { users: USER, methods: ['digest'] } });
    expect(server.paths.sort()).toEqual(['/a', '/cams/b']);
    const probe = (url: string) =>
      run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', url]);
    const missing = await probe(server.urlOf('/c')).then(
      () => undefined,
      (e: { stderr: string }) => e
    );
    expect(missing?.stderr).toMatch(/404/);
    // /cams/b has its users; /a none.
    const refused = await probe(server.urlOf('/cams/b')).then(
      () => undefined,
      (e: { stderr: string }) => e
    );
    expect(refused?.stderr).toMatch(/401/);
    const [pa, pb] = await Promise.all([probe(server.urlOf('/a')), probe(userUrl('/cams/b'))]);
    expect(JSON.parse(pa.stdout).streams[0]).toMatchObject({ codec_name: 'h264', width: 320, height: 240 });
    expect(JSON.parse(pb.stdout).streams[0]).toMatchObject({ codec_name: 'h264', width: 160, height: 120 });
    // ffprobe's PLAY started both streams; the files end and free the paths.
    await Promise.all([a, b]);
    expect(server.paths).toEqual([]);
    // A path in use cannot be mounted twice.
    const first = mount('/a', 'small', { waitForClient: false });
    await expect(mount('/a', 'small')).rejects.toThrow(/already serves \/a/);
    await first;
  }, 30_000);

  it('ffmpeg over TCP and UDP on two mounts at the same time: every frame of each', async () => {
    const a = mount('/x', 'small');
    const b = mount('/y', 'tiny');
    const [ra, rb] = await Promise.all([decode(server.urlOf('/x'), 'tcp'), decode(server.urlOf('/y'), 'udp')]);
    await Promise.all([a, b]);
    expect(ra).toEqual({ frames: 45, stderr: '' });
    expect(rb).toEqual({ frames: 30, stderr: '' });
  }, 30_000);
});

describe('late joiners', () => {
  it('a client joining mid-stream starts at the next keyframe, with SPS and PPS, and decodes cleanly', async () => {
    // 3 s at 30 fps, a keyframe a second; the stream flows from the first client on.
    const done = mount('/late', 'long');
    const early: Packet[] = [];
    const late: Packet[] = [];
    const first = pipe(rtspSrc({ location: server.urlOf('/late') }), fakeSink({ dropLate: false, onPacket: (p) => void early.push(p) })).run({
      profile: 'live',
    });
    // Join 1.2 s in: between keyframes (0, 1, 2 s).
    while (early.length < 36) await new Promise((r) => setTimeout(r, 20));
    const second = pipe(rtspSrc({ location: server.urlOf('/late') }), fakeSink({ dropLate: false, onPacket: (p) => void late.push(p) })).run({
      profile: 'live',
    });
    const ff = decode(server.urlOf('/late'), 'udp');
    const { unit: bare, firstNal } = await firstUnitInBand(server.urlOf('/late'));
    await Promise.all([first, second, done]);
    // In band: the file has SPS/PPS only at its start, the server put them before this IDR.
    expect(bare.keyframe).toBe(true);
    const bareTypes = splitAnnexB(bare.data).map((n) => n[0] & 0x1f);
    expect(bareTypes.slice(0, 2).sort()).toEqual([7, 8]);
    expect(bareTypes).toContain(5);
    // Nothing before that keyframe was sent to it: its very first packet starts with the SPS.
    expect(firstNal).toBe(7);
    expect(early).toHaveLength(90);
    // The second joined after frame 36: it starts at the keyframe of frame 60.
    expect(late.length).toBe(30);
    expect(late[0].flags & PacketFlags.KEYFRAME).toBeTruthy();
    const types = splitAnnexB((late[0].memory as { data: Uint8Array }).data).map((n) => n[0] & 0x1f);
    expect(types).toEqual(expect.arrayContaining([7, 8, 5]));
    expect(types.indexOf(7)).toBeLessThan(types.indexOf(5));
    const r = await ff;
    expect(r.stderr).toBe('');
    expect(r.frames).toBe(30);
  }, 30_000);
});

describe('launch', () => {
  it('rtspServerSink path= user-id= user-pw=: credentials checked, the password never printed', () => {
    const registry = cliRegistry();
    const p = parseLaunch(`fileSrc location=${files.small} ! h264Parse ! rtspServerSink port=0 path=/cam user-id=me user-pw=topsecret`, registry);
    expect(p.toString()).toContain('path=/cam user-id=me');
    expect(p.toString()).not.toContain('topsecret');
    expect(() => parseLaunch('fileSrc location=x ! h264Parse ! rtspServerSink user-id=me', registry)).toThrow(/user-id and user-pw go together/);
    expect(() => parseLaunch('fileSrc location=x ! h264Parse ! rtspServerSink user-id=a:b user-pw=x', registry)).toThrow(/user names/);
    expect(() => parseLaunch('fileSrc location=x ! h264Parse ! rtspServerSink path=/a mount=/b', registry)).toThrow(/path or mount/);
    expect(() => parseLaunch('fileSrc location=x ! h264Parse ! rtspServerSink path=nope', registry)).toThrow(/path like/);
  });
});
