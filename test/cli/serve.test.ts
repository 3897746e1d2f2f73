/** `g2g serve --test-pattern --path --user --password`: in-process and as a real process, read by ffprobe/ffmpeg. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../node/cli/serve';
import { ensureBuilt, g2g } from './cli-process';
import { requirePeer } from '../peers';

requirePeer('ffmpeg', 'ffprobe');

const run = promisify(execFile);
const PASSWORD = 's3cret-Pw';

const withUser = (url: string, user: string, password: string) => url.replace('rtsp://', `rtsp://${user}:${encodeURIComponent(password)}@`);

async function probe(url: string): Promise<{ codec_name: string; width: number; height: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', url], {
    timeout: 15_000,
  });
  return JSON.parse(stdout).streams[0];
}

const refusal = (url: string) =>
  run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', url], { timeout: 15_000 }).then(
    () => '',
    (e: { stderr: string }) => e.stderr
  );

describe('g2g serve (in-process)', () => {
  it('--test-pattern --path /live --user --password: a live H.264 stream behind auth; Ctrl-C ends it', async () => {
    const lines: string[] = [];
    let onUrl!: (u: string) => void;
    const url = new Promise<string>((r) => (onUrl = r));
    let interrupt: (() => void) | undefined;
    const io = { out: (t: string) => void lines.push(t), err: (t: string) => void lines.push(`ERR ${t}`) };
    const code = serve(['--test-pattern', '--port', '0', '--path', '/live', '--user', 'u', '--password', PASSWORD], io, {
      onListening: onUrl,
      onInterrupt: (h) => ((interrupt = h), () => undefined),
    });
    const u = await Promise.race([url, code.then((c) => `exited ${c}: ${lines.join('\n')}`)]);
    expect(u).toMatch(/^rtsp:\/\/127\.0\.0\.1:\d+\/live$/);
    expect(lines).toContain(`Serving ${u} (Digest/Basic auth, user u)`);
    // Live: the stream runs before anyone plays, so a client joins mid-stream, at a keyframe.
    await new Promise((r) => setTimeout(r, 300));
    expect(await probe(withUser(u, 'u', PASSWORD))).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
    expect(await refusal(withUser(u, 'u', 'wrong'))).toMatch(/401/);
    expect(await refusal(u)).toMatch(/401/);
    const r = await run('ffmpeg', ['-v', 'error', '-rtsp_transport', 'udp', '-i', withUser(u, 'u', PASSWORD), '-frames:v', '15', '-f', 'framecrc', '-'], {
      timeout: 15_000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter((l) => /^0,/.test(l))).toHaveLength(15);
    interrupt!();
    expect(await code).toBe(0);
    expect(lines.join('\n')).not.toContain(PASSWORD);
  }, 40_000);

  it('bad command lines are usage errors', async () => {
    const io = { out: () => undefined, err: () => undefined };
    await expect(serve(['--test-pattern', '--user', 'u'], io)).rejects.toThrow(/--user and --password go together/);
    await expect(serve(['--test-pattern', '--password', 'p'], io)).rejects.toThrow(/--user and --password go together/);
    await expect(serve(['--test-pattern', '--path', 'live'], io)).rejects.toThrow(/--path must be a path/);
    await expect(serve(['--test-pattern', '--path', '/a', '--mount', '/b'], io)).rejects.toThrow(/--path or --mount/);
    await expect(serve(['--test-pattern', 'in.mp4'], io)).rejects.toThrow(/not both/);
    await expect(serve(['--test-pattern', '--user', 'u', '--password', 'p', '--auth', 'ntlm'], io)).rejects.toThrow(/--auth must be/);
    await expect(serve(['--test-pattern', '--auth', 'basic'], io)).rejects.toThrow(/--auth needs --user/);
    await expect(serve(['--test-pattern', '--user', 'a:b', '--password', 'p'], io)).rejects.toThrow(/user names/);
    await expect(serve([], io)).rejects.toThrow(/--test-pattern/);
  });

  it('a FILE that is not there is named as such, not parsed as an element', async () => {
    const errors: string[] = [];
    const io = { out: () => undefined, err: (t: string) => void errors.push(t) };
    expect(await serve(['--port', '0', 'nope.mp4'], io)).toBe(1);
    expect(errors).toEqual(["ERROR: 'nope.mp4': no such file"]);
  });
});

describe('g2g serve (process)', () => {
  beforeAll(() => ensureBuilt(), 300_000);

  it('g2g serve --test-pattern --path /live --user u --password p: ffprobe sees H.264; wrong password 401; SIGINT exits 0', async () => {
    let checks: Promise<void> | undefined;
    const r = await g2g(
      ['serve', '--test-pattern', '--port', '0', '--path', '/live', '--user', 'u', '--password', PASSWORD],
      (stdout, child) => {
        const m = /Serving (rtsp:\/\/\S+)/.exec(stdout);
        if (!m || checks) return;
        const url = m[1];
        checks = (async () => {
          try {
            expect(await probe(withUser(url, 'u', PASSWORD))).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
            expect(await refusal(withUser(url, 'u', 'nope'))).toMatch(/401/);
          } finally {
            child.kill('SIGINT');
          }
        })();
      },
      40_000
    );
    expect(checks, r.stdout + r.stderr).toBeDefined();
    await checks;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Serving rtsp:\/\/127\.0\.0\.1:\d+\/live \(Digest\/Basic auth, user u\)/);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  }, 60_000);
});
