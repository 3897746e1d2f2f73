import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { timeSpawn } from './child';
import { parseExecutionEnded, parseGstVersion } from './format';

/** The GStreamer peer: gst-launch-1.0 as a child process, timed from spawn to exit. */

export const GST_LAUNCH = 'gst-launch-1.0';

/** The executable's path on PATH, or undefined. */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here; try the next directory
    }
  }
  return undefined;
}

export interface GstPeer {
  readonly bin: string;
  readonly version: string | undefined;
}

/** Finds gst-launch-1.0, or says why it cannot be used. */
export function findGst(): GstPeer | { skipped: string } {
  const bin = findOnPath(GST_LAUNCH);
  if (!bin) return { skipped: `${GST_LAUNCH} is not on PATH (Debian/Ubuntu: apt install gstreamer1.0-tools)` };
  const v = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (v.error || v.status !== 0) return { skipped: `${bin} --version failed: ${v.error?.message ?? v.stderr?.trim() ?? `exit ${v.status}`}` };
  return { bin, version: parseGstVersion(v.stdout) };
}

/**
 * The gst-launch arguments for one case. Without -q: the status lines cost nothing measurable and carry
 * gst-launch's own "Execution ended after" figure, a cross-check of the spawn-to-exit timing.
 */
export function gstArgs(packets: number, hops: number, kind: 'identity' | 'queue'): string[] {
  const mid = kind === 'queue' ? ['!', 'queue'] : Array.from({ length: hops }, () => ['!', 'identity']).flat();
  return [`fakesrc`, `num-buffers=${packets}`, ...mid, '!', 'fakesink'];
}

export interface GstRun {
  /** Spawn to exit, ns. */
  readonly wall: number;
  /** gst-launch's own PLAYING-to-EOS time, ns, when it printed one. */
  readonly selfReported: number | undefined;
}

export async function runGst(bin: string, args: readonly string[]): Promise<GstRun> {
  const r = await timeSpawn(bin, args, 'both');
  if (r.code !== 0) {
    const tail = r.output.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${bin} ${args.join(' ')} exited with ${r.signal ?? r.code}: ${tail}`);
  }
  return { wall: r.wall, selfReported: parseExecutionEnded(r.output) };
}
