/**
 * The timebase of glass2glass: integer nanoseconds held in a JS number, as GStreamer's GstClockTime.
 * A number holds integers exactly up to 2^53 ns (about 104 days of running time), and integer ns
 * round-trip every MP4 timescale and RTP clock rate below 1 GHz exactly: ticks → ns → ticks is the
 * identity because one tick is always more than one nanosecond (proved by property test).
 */
export const SECOND = 1_000_000_000;
export const MILLISECOND = 1_000_000;
export const MICROSECOND = 1_000;

/** Timescales below this keep every intermediate product under 2^53, so plain number maths is exact. */
const EXACT_LIMIT = Math.floor(Number.MAX_SAFE_INTEGER / SECOND);

function checkTimescale(timescale: number): void {
  if (!Number.isInteger(timescale) || timescale <= 0 || timescale >= SECOND) {
    throw new RangeError(`timescale must be an integer in [1, ${SECOND}), got ${timescale}`);
  }
}

/** Integer division rounding half up, exact for non-negative safe integers (no float rounding at .5). */
function divRound(a: number, b: number): number {
  const r = a % b;
  return (a - r) / b + (2 * r >= b ? 1 : 0);
}

/** Converts ticks of `timescale` per second (90 kHz RTP, an MP4 track's timescale) to nanoseconds. */
export function ticksToNs(ticks: number, timescale: number): number {
  checkTimescale(timescale);
  if (ticks < 0) return -ticksToNs(-ticks, timescale);
  if (timescale > EXACT_LIMIT) {
    return Number((BigInt(ticks) * BigInt(SECOND) * 2n + BigInt(timescale)) / (2n * BigInt(timescale)));
  }
  const whole = Math.floor(ticks / timescale);
  const rest = ticks - whole * timescale;
  return whole * SECOND + divRound(rest * SECOND, timescale);
}

/** Converts nanoseconds to ticks of `timescale`, rounding to the nearest tick. */
export function nsToTicks(ns: number, timescale: number): number {
  checkTimescale(timescale);
  if (ns < 0) return -nsToTicks(-ns, timescale);
  if (timescale > EXACT_LIMIT) {
    return Number((BigInt(Math.round(ns)) * BigInt(timescale) * 2n + BigInt(SECOND)) / (2n * BigInt(SECOND)));
  }
  const whole = Math.floor(ns / SECOND);
  const rest = Math.round(ns - whole * SECOND);
  return whole * timescale + divRound(rest * timescale, SECOND);
}

/** Formats a time as GStreamer does (h:mm:ss.nnnnnnnnn); `undefined` prints as 'none'. */
export function formatTime(ns: number | undefined): string {
  if (ns === undefined || !Number.isFinite(ns)) return 'none';
  const sign = ns < 0 ? '-' : '';
  let t = Math.abs(Math.round(ns));
  const frac = t % SECOND;
  t = (t - frac) / SECOND;
  const s = t % 60;
  const m = Math.floor(t / 60) % 60;
  const h = Math.floor(t / 3600);
  return `${sign}${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(frac).padStart(9, '0')}`;
}
