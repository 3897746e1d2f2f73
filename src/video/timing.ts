import type { Fraction } from '../caps';
import { SECOND, ticksToNs } from '../time';

/**
 * Presentation time of frame `i` at `rate` frames per second: round(i · 1e9 · den / num), exact (no drift
 * or float error however long the stream runs), so durations alternate 33333333/33333334 ns at 30 fps
 * and sum exactly to whole seconds.
 */
export function frameTime(i: number, rate: Fraction): number {
  if (!Number.isSafeInteger(i) || i < 0) throw new RangeError(`frame index must be a non-negative integer, got ${i}`);
  // Frame i is i·den ticks of a 1/num s clock; ticksToNs does the exact rounding for timescales < 1 GHz.
  if (rate.num < SECOND && Number.isSafeInteger(i * rate.den)) return ticksToNs(i * rate.den, rate.num);
  const n = BigInt(i) * BigInt(rate.den) * BigInt(SECOND);
  const d = BigInt(rate.num);
  return Number((2n * n + d) / (2n * d));
}
