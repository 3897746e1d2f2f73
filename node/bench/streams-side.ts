import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { machineBusyTicks, procStatTicks } from './streams-search';

/** What `g2g bench streams` asks of either side (N streams in one process) while they play. */
export interface StreamsSide {
  readonly name: 'g2g' | 'GStreamer';
  /** The side's counters now: cumulative since its streams started. */
  snap(): Promise<SideSnapshot>;
  /** Starts recording glass-to-glass latency (ours only; from the next frame on). */
  openWindow?(): void;
  /** Glass-to-glass latency (ns) of the frames since openWindow: p95, and the count. */
  closeWindow?(): { p95: number; count: number };
  /** Stops every stream and releases everything; never rejects. */
  stop(): Promise<void>;
}

export interface SideSnapshot {
  /** Host monotonic time of the snapshot, ns. */
  readonly at: number;
  /** The process's user + system CPU time, ns, all threads. */
  readonly cpu: number;
  readonly streams: readonly StreamCounters[];
  /** The latency (ns) every synced frame may use before it is late: GStreamer's queried pipeline latency. */
  readonly syncLatency?: number;
}

/** One stream's cumulative counters. */
export interface StreamCounters {
  readonly delivered: number;
  readonly late: number;
  readonly drops: number;
  readonly error?: string;
}

let tickNs: number | undefined;

/** ns per clock tick of /proc (USER_HZ: 100 on Linux unless getconf says otherwise). */
function clockTickNs(): number {
  if (tickNs === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const hz = Number(r.stdout?.trim());
    tickNs = 1e9 / (Number.isInteger(hz) && hz > 0 ? hz : 100);
  }
  return tickNs;
}

/** A process's CPU time (user + system, every thread), ns, from /proc/PID/stat; NaN if it is gone. */
export function readProcCpu(pid: number): number {
  try {
    const ticks = procStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return ticks === undefined ? NaN : ticks * clockTickNs();
  } catch {
    return NaN;
  }
}

/** The machine's busy CPU time (every core, all but idle and iowait), ns, from /proc/stat; NaN if unreadable. */
export function readMachineBusy(): number {
  try {
    const ticks = machineBusyTicks(readFileSync('/proc/stat', 'utf8'));
    return ticks === undefined ? NaN : ticks * clockTickNs();
  } catch {
    return NaN;
  }
}
