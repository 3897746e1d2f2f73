import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTime, nsToTicks, SECOND, ticksToNs } from '../../src/time';

// MP4 writers use many timescales: 90 kHz, 1000, 600, 30000, 12800 (ffmpeg 25 fps), 15360 (30 fps), 48000, …
const MP4_TIMESCALES = [1, 600, 1000, 12800, 15360, 24000, 25000, 30000, 44100, 48000, 60000, 90000, 1_000_000];

describe('timebase (integer ns)', () => {
  it('RTP 90 kHz ticks round-trip exactly through ns, over the whole 32-bit range and beyond', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (ticks) => nsToTicks(ticksToNs(ticks, 90000), 90000) === ticks),
      { numRuns: 5000 },
    );
  });

  it('every MP4 timescale round-trips exactly (ticks → ns → ticks)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...MP4_TIMESCALES), fc.integer({ min: 1, max: SECOND - 1 })),
        fc.integer({ min: 0, max: 2 ** 44 }),
        (timescale, ticks) => {
          const ns = ticksToNs(ticks, timescale);
          // Stay within the exactly representable range of the timebase (≈104 days).
          fc.pre(ns <= Number.MAX_SAFE_INTEGER);
          return Number.isInteger(ns) && nsToTicks(ns, timescale) === ticks;
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('converts with rounding to nearest and is exact where the rate divides a second', () => {
    expect(ticksToNs(90000, 90000)).toBe(SECOND);
    expect(ticksToNs(1, 90000)).toBe(11111); // 11111.1 ns
    expect(ticksToNs(1, 3)).toBe(333333333);
    expect(ticksToNs(2, 3)).toBe(666666667);
    expect(nsToTicks(33_366_667, 30000)).toBe(1001);
    expect(ticksToNs(-3000, 90000)).toBe(-33333333);
    expect(() => ticksToNs(1, 0)).toThrow(RangeError);
    expect(() => nsToTicks(1, SECOND)).toThrow(RangeError);
  });

  it('matches exact rational arithmetic (BigInt) for random values', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: SECOND - 1 }), fc.integer({ min: 0, max: 2 ** 40 }), (ts, ticks) => {
        const exact = (BigInt(ticks) * BigInt(SECOND) * 2n + BigInt(ts)) / (2n * BigInt(ts));
        fc.pre(exact <= BigInt(Number.MAX_SAFE_INTEGER));
        return BigInt(ticksToNs(ticks, ts)) === exact;
      }),
      { numRuns: 3000 },
    );
  });

  it('formats like GStreamer', () => {
    expect(formatTime(3_723_000_000_042)).toBe('1:02:03.000000042');
    expect(formatTime(undefined)).toBe('none');
  });
});
