/**
 * Wrap-aware arithmetic on RTP's 16-bit sequence numbers and 32-bit timestamps (RFC 3550 A.1): compare
 * by signed distance modulo 2^16 / 2^32, and extend to unbounded integers (held exactly in a number up
 * to 2^53) so that everything past the boundary can use plain `<` and `-`.
 */

/** Signed distance from `a` to `b` (b − a) of 16-bit sequence numbers, in [−32768, 32767]. */
export function seqDiff(a: number, b: number): number {
  return ((b - a + 0x8000) & 0xffff) - 0x8000;
}

/** `a` comes before `b` in sequence order (wrap-aware). */
export function seqBefore(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

/** Next 16-bit sequence number. */
export function seqNext(seq: number, by = 1): number {
  return (seq + by) & 0xffff;
}

/** Signed distance from `a` to `b` (b − a) of 32-bit timestamps, in [−2^31, 2^31 − 1]. */
export function tsDiff(a: number, b: number): number {
  return (b - a) | 0;
}

/** A 32-bit timestamp plus `ticks`, wrapped to [0, 2^32). */
export function tsAdd(ts: number, ticks: number): number {
  const v = (ts + ticks) % 0x1_0000_0000;
  return v < 0 ? v + 0x1_0000_0000 : v;
}

/**
 * Extends 16-bit sequence numbers to unbounded ones, relative to the highest seen: a packet within
 * 32767 after it is newer (counting a wrap), within 32768 before it older. The first value is kept as is,
 * so extended numbers start in [0, 65535]; older ones may go below that (negative before the first wrap).
 */
export class SeqExtender {
  private max: number | undefined;

  /** Highest extended number seen; undefined before the first. */
  get highest(): number | undefined {
    return this.max;
  }

  extend(seq: number): number {
    if (this.max === undefined) {
      this.max = seq;
      return seq;
    }
    const ext = this.max + seqDiff(this.max & 0xffff, seq);
    if (ext > this.max) this.max = ext;
    return ext;
  }

  reset(): void {
    this.max = undefined;
  }
}

/**
 * Extends 32-bit timestamps relative to the previous one (not the highest: timestamps of B-frames go
 * back in transmission order), so any step of less than 2^31 ticks (6.6 hours at 90 kHz) either way is
 * followed across the wrap.
 */
export class TimestampExtender {
  private last: number | undefined;

  get previous(): number | undefined {
    return this.last;
  }

  extend(ts: number): number {
    const ext = this.last === undefined ? ts : this.last + tsDiff(this.last % 0x1_0000_0000, ts);
    this.last = ext;
    return ext;
  }

  reset(): void {
    this.last = undefined;
  }
}
