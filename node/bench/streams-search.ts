/**
 * The two pure parts of `g2g bench streams`: which stream count to try next, and whether a count
 * sustained. No clocks, no processes: the bench feeds them what it measured.
 */

/** A stream sustains when it delivered at least this share of the frames the window should hold. */
export const SUSTAIN_SHARE = 0.97;

/**
 * The largest count that passes, found by doubling (1, 2, 4, … up to `max`) until one fails, then by
 * bisection between the last pass and the first fail. Sans-IO: `next()` says what to try (undefined when
 * done), `record()` takes the verdict. Assumes passing is monotonic in the count (more streams never
 * make it easier); a noisy verdict only moves the answer within the bracket it was tried in.
 */
export class MaxSearch {
  /** The largest count that passed (0: none yet). */
  private lo = 0;
  /** The smallest count that failed, once one has. */
  private hi: number | undefined;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`MaxSearch: max must be a whole number ≥ 1, got ${max}`);
  }

  next(): number | undefined {
    const top = this.hi ?? this.max + 1;
    if (top - this.lo <= 1) return undefined;
    if (this.hi === undefined) return Math.min(this.lo === 0 ? 1 : this.lo * 2, this.max);
    return Math.floor((this.lo + this.hi) / 2);
  }

  record(n: number, passed: boolean): void {
    if (passed) this.lo = Math.max(this.lo, n);
    else this.hi = Math.min(this.hi ?? Infinity, n);
  }

  /** The largest count that passed below the smallest that failed (0 when 1 failed). */
  get result(): number {
    return this.lo;
  }
}

/** One stream over the measuring window: differences of its counters between the window's edges. */
export interface StreamWindow {
  /** Frames that reached the sink. */
  readonly frames: number;
  /** Frames the sink dropped for being late (sync past max-lateness; ours also the live deadline). */
  readonly late: number;
  /** Frames dropped for any reason anywhere in the stream's chain (late included). */
  readonly drops: number;
  /** Set when the stream failed. */
  readonly error?: string;
}

export interface Verdict {
  readonly sustained: boolean;
  /** Why not, naming the first stream at fault and how many were. */
  readonly reason?: string;
}

/**
 * A stream count sustains when every stream, over the window, delivered ≥ SUSTAIN_SHARE of `expected`
 * frames (window length × frame rate), dropped none (late or otherwise) and did not fail.
 */
export function sustains(streams: readonly StreamWindow[], expected: number): Verdict {
  const need = Math.floor(SUSTAIN_SHARE * expected);
  const faults: string[] = [];
  streams.forEach((s, i) => {
    if (s.error !== undefined) faults.push(`stream ${i + 1}: ${s.error}`);
    else if (s.late > 0) faults.push(`stream ${i + 1}: ${s.late} late`);
    else if (s.drops > 0) faults.push(`stream ${i + 1}: ${s.drops} dropped`);
    else if (s.frames < need) faults.push(`stream ${i + 1}: ${s.frames} of ${Math.round(expected)} frames`);
  });
  if (streams.length === 0) return { sustained: false, reason: 'no streams' };
  if (!faults.length) return { sustained: true };
  return { sustained: false, reason: faults.length > 1 ? `${faults[0]} (and ${faults.length - 1} more)` : faults[0] };
}

/**
 * User + system CPU time of a process, in clock ticks, from the text of /proc/PID/stat: fields 14 and 15
 * (utime, stime), every thread included. The command name (field 2) may hold spaces and parentheses, so
 * fields are counted from its last ')'. Undefined for text that is not a stat line.
 */
export function procStatTicks(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  // After ") ": field 3 (state) is index 0, so utime (14) is 11 and stime (15) is 12.
  const f = stat
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  if (f.length < 13 || !Number.isInteger(utime) || !Number.isInteger(stime)) return undefined;
  return utime + stime;
}

/**
 * Busy CPU time of the whole machine, in clock ticks, from the text of /proc/stat: the first line's
 * (`cpu`, all cores) user, nice, system, irq, softirq and steal; idle and iowait left out (guest time is
 * already inside user). Undefined for text without that line.
 */
export function machineBusyTicks(stat: string): number | undefined {
  const m = /^cpu\s+(.*)$/m.exec(stat);
  if (!m) return undefined;
  const f = m[1].trim().split(/\s+/).map(Number);
  if (f.length < 8 || f.slice(0, 8).some((v) => !Number.isInteger(v))) return undefined;
  const [user, nice, system, , , irq, softirq, steal] = f;
  return user + nice + system + irq + softirq + steal;
}
