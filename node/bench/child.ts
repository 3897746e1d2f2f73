import { spawn } from 'node:child_process';

/** Peers run as child processes (gst-launch-1.0, ffmpeg), timed the one way both the remux and rtp benches use. */

/**
 * The telling lines of a failed child's stderr: gst-launch's ERROR lines and their reasons, without
 * its source locations and element paths ("…mp4mux0: Could not multiplex stream. | Buffer has no PTS.").
 */
export function errorGist(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Additional debug info:$/.test(l) && !/^\.\.\/|^\/Gst|\.c\(\d+\)/.test(l));
  return lines.slice(0, 2).join(' | ') || 'no output';
}

/** How a child ended: spawn to exit, ns, and what it wrote on the captured streams. */
export interface Exited {
  readonly wall: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
}

/** Runs a child to its end, capturing stderr (and stdout with `both`); rejects only if it cannot start. */
export function timeSpawn(bin: string, args: readonly string[], capture: 'stderr' | 'both'): Promise<Exited> {
  return new Promise((resolve, reject) => {
    let output = '';
    let exitAt = 0n;
    let code: number | null = null;
    let signal: NodeJS.Signals | null = null;
    const t0 = process.hrtime.bigint();
    const child = spawn(bin, args, { stdio: ['ignore', capture === 'both' ? 'pipe' : 'ignore', 'pipe'] });
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (output += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (output += s));
    child.on('error', reject);
    // 'exit' stops the clock; 'close' (output drained) delivers the output.
    child.on('exit', (c, s) => {
      exitAt = process.hrtime.bigint();
      code = c;
      signal = s;
    });
    child.on('close', () => resolve({ wall: Number(exitAt - t0), code, signal, output }));
  });
}

const CPU_MARK = 'G2G-BENCH-CPU';

/** ns; `cpu` is user + system of all the child's threads, undefined if bash did not report it. */
export interface ChildTime {
  readonly wall: number;
  readonly cpu: number | undefined;
}

/**
 * Spawn to exit, and the child's CPU time: bash's `time` prints the child's rusage (to the ms) on
 * stderr after it exits, where no other way sees a child's threads. bash's own start is in the wall
 * time of both a run and the start-up run subtracted from it, so it cancels out. A failure rejects
 * with the gist of the child's stderr.
 */
export async function timeChildCpu(bin: string, args: readonly string[]): Promise<ChildTime> {
  const r = await timeSpawn('bash', ['-c', `TIMEFORMAT='${CPU_MARK} %3U %3S'; time "$@"`, 'g2g-bench', bin, ...args], 'stderr');
  const m = new RegExp(`${CPU_MARK} ([\\d.]+) ([\\d.]+)`).exec(r.output);
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${errorGist(m ? r.output.replace(m[0], '') : r.output)}`);
  return { wall: r.wall, cpu: m ? (Number(m[1]) + Number(m[2])) * 1e9 : undefined };
}
