/** GStreamer's RTSP server (test/rtsp/gst-rtsp-server.py) as a child process, for the peer tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const SCRIPT = join(__dirname, 'gst-rtsp-server.py');

export interface ServerOptions {
  fps?: number;
  /** An MP4 served at /file. */
  file?: string;
  /** user:password for /secure. */
  auth?: string;
  authMethod?: 'basic' | 'digest';
  /** Bind this port (default: a free one the server picks). */
  port?: number;
}

export interface RtspTestServer {
  readonly port: number;
  readonly process: ChildProcess;
  /** Kills it (SIGKILL: as a crash, no goodbye to clients) and waits for the exit. */
  kill(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** Starts the server; resolves once it listens and answers OPTIONS (the readiness check of peers.md). */
export async function startServer(options: ServerOptions = {}): Promise<RtspTestServer> {
  const args = [SCRIPT, '--port', String(options.port ?? 0), '--fps', String(options.fps ?? 30)];
  if (options.file) args.push('--file', options.file);
  if (options.auth) args.push('--auth', options.auth, '--auth-method', options.authMethod ?? 'basic');
  // Debian's python3: the one with gi. stdin stays open: the server exits when it closes (test process death).
  const child = spawn('/usr/bin/python3', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  const exited = new Promise<void>((r) => child.once('exit', () => (live.delete(child), r())));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`gst-rtsp-server did not start in 10 s: ${stderr}`)), 10_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /PORT (\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`gst-rtsp-server exited (${code}): ${stderr}`));
      });
    });
    await ready(port);
    return { port, process: child, kill };
  } catch (e) {
    await kill();
    throw e;
  }
}

/** OPTIONS answered: the server is up. */
async function ready(port: number): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + 5000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      const t = setTimeout(() => (s.destroy(), resolve(false)), 500);
      s.once('error', () => (clearTimeout(t), resolve(false)));
      s.once('connect', () => s.write(`OPTIONS rtsp://127.0.0.1:${port}/live RTSP/1.0\r\nCSeq: 1\r\n\r\n`));
      s.on('data', (d: Buffer) => {
        clearTimeout(t);
        s.destroy();
        resolve(d.toString().startsWith('RTSP/1.0 200'));
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`gst-rtsp-server on port ${port} never answered OPTIONS`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every server still running (a failed test's): killed in afterAll. */
export async function killAllServers(): Promise<void> {
  await Promise.all(
    [...live].map(
      (c) =>
        new Promise<void>((r) => {
          if (c.exitCode !== null || c.signalCode !== null) return r();
          c.once('exit', () => r());
          c.kill('SIGKILL');
        })
    )
  );
}

/** Open TCP handles of this process (sockets), to check none leaks. */
export function tcpHandles(): number {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((h) => h?.constructor?.name === 'Socket' && !(h as { _type?: string })._type && (h as { remotePort?: number }).remotePort !== undefined)
    .length;
}
