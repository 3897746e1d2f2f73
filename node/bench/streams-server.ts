import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readProcCpu } from './streams-side';

/**
 * The camera of `g2g bench streams`: `g2g serve --test-pattern` (live 640x360 30 fps H.264, a keyframe a
 * second) as a child process on loopback, so that its encoding is not counted in either side's CPU. One
 * server and one mount for every stream of both sides: N servers would be N x264 encoders on the same
 * cores, and the bench would measure them instead of the decoding.
 */
export interface TestServer {
  readonly url: string;
  readonly pid: number;
  /** The server's CPU time (all threads), ns. */
  cpu(): number;
  stop(): Promise<void>;
}

/** bin/g2g.js of this package, from the sources (node/bench) or the bundle (dist/). */
function g2gEntry(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const bin = join(dir, 'bin', 'g2g.js');
    if (existsSync(bin) && existsSync(join(dir, 'package.json'))) return bin;
    const up = dirname(dir);
    if (up === dir) throw new Error('g2g bench streams: bin/g2g.js not found above this module');
    dir = up;
  }
}

export async function startTestServer(): Promise<TestServer> {
  const bin = g2gEntry();
  if (!existsSync(join(dirname(bin), '..', 'dist', 'cli', 'main.js')))
    throw new Error('g2g bench streams: the server runs dist/cli/main.js: run npm run build first');
  const child = spawn(process.execPath, [bin, 'serve', '--test-pattern', '--port', '0', '--path', '/bench'], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Never outlive the bench, whatever ends it.
  const killOnExit = () => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`g2g serve did not listen within 20 s: ${out.trim() || 'no output'}`)), 20_000);
    const read = (d: Buffer) => {
      out = (out + d.toString()).slice(-2000);
      const m = /Serving (rtsp:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`g2g serve ended (${signal ?? `exit ${code}`}): ${out.trim() || 'no output'}`));
    });
  }).catch((e: unknown) => {
    child.kill('SIGKILL');
    process.off('exit', killOnExit);
    throw e;
  });
  return {
    url,
    pid: child.pid!,
    cpu: () => readProcCpu(child.pid!),
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGINT');
      const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(kill);
    },
  };
}
