/** Waveforms of audioTestSrc (GStreamer's audiotestsrc `wave` values that we draw). */
export const TEST_WAVES = ['sine', 'silence', 'ticks'] as const;
export type TestWave = (typeof TEST_WAVES)[number];

export interface TestWaveOptions {
  readonly wave: TestWave;
  /** Hz. */
  readonly freq: number;
  /** Peak amplitude, full scale 1. */
  readonly volume: number;
  /** ticks: one tick every this many frames. */
  readonly tickFrames?: number;
  /** ticks: sine periods per tick (GStreamer's sine-periods-per-tick). */
  readonly sinePeriodsPerTick?: number;
}

/**
 * Fills `frames` samples of one channel starting at absolute frame `first`. Each sample is a function of its
 * absolute index (sin(2π·f·n/rate), no running phase accumulator), so buffers join without glitches and
 * the same frame is the same value whatever the buffer size.
 */
export function testWave(o: TestWaveOptions, rate: number, first: number, frames: number): Float64Array {
  const out = new Float64Array(frames);
  if (o.wave === 'silence' || o.volume === 0) return out;
  // Doubles keep w·n within 1e-8 rad for a billion frames (6 hours at 48 kHz), far below S32's step.
  const w = (2 * Math.PI * o.freq) / rate;
  if (o.wave === 'sine') {
    for (let i = 0; i < frames; i++) out[i] = o.volume * Math.sin(w * (first + i));
    return out;
  }
  const every = o.tickFrames ?? rate;
  const tickLen = o.freq > 0 ? Math.min(every, Math.round(((o.sinePeriodsPerTick ?? 10) * rate) / o.freq)) : 0;
  for (let i = 0; i < frames; i++) {
    const inTick = (first + i) % every;
    if (inTick < tickLen) out[i] = o.volume * Math.sin(w * inTick);
  }
  return out;
}
