import type { Packet } from '../packet';

/** One interval's measurement, as the fields of GStreamer's level message. */
export interface LevelMeasurement {
  /** Stream time (ns) of the interval's first frame. */
  readonly timestamp: number;
  /** Its length (ns). */
  readonly duration: number;
  /** Per channel, dB full scale: 10·log10(mean square); −Infinity for digital silence. */
  readonly rms: readonly number[];
  /** Per channel, dB full scale: 20·log10(largest |sample|). */
  readonly peak: readonly number[];
}

/** The packet meta key the level element writes: every interval that ended in that packet, in order. */
export const LEVEL_META = 'level';

/** The measurements attached to a packet by `level` (empty when none ended there). */
export function levelsOf(p: Packet): readonly LevelMeasurement[] {
  return (p.meta[LEVEL_META] as readonly LevelMeasurement[] | undefined) ?? [];
}

export const toDb = (power: number): number => (power > 0 ? 10 * Math.log10(power) : -Infinity);

/**
 * Accumulates squares and peaks per channel over intervals of `intervalFrames` frames, cut at frame
 * boundaries as GStreamer's level cuts them (an interval may end mid-buffer; one buffer may close several).
 * Counting frames, not buffers, keeps the interval exact whatever the buffer size.
 */
export class LevelMeter {
  readonly #channels: number;
  readonly #interval: number;
  readonly #rate: number;
  #sumSq: Float64Array;
  #peak: Float64Array;
  #count = 0;
  #intervalStart = 0;

  constructor(channels: number, rate: number, intervalFrames: number) {
    if (!Number.isSafeInteger(intervalFrames) || intervalFrames < 1) throw new RangeError(`level interval must be at least one frame, got ${intervalFrames}`);
    this.#channels = channels;
    this.#rate = rate;
    this.#interval = intervalFrames;
    this.#sumSq = new Float64Array(channels);
    this.#peak = new Float64Array(channels);
  }

  /**
   * Adds a buffer (one plane per channel) whose first frame is at stream time `pts` (ns; undefined: counted on
   * from the previous one). Returns the intervals it completes.
   */
  push(planes: readonly Float64Array[], pts: number | undefined): LevelMeasurement[] {
    const frames = planes[0]?.length ?? 0;
    const out: LevelMeasurement[] = [];
    if (this.#count === 0 && pts !== undefined) this.#intervalStart = pts;
    let i = 0;
    while (i < frames) {
      const take = Math.min(frames - i, this.#interval - this.#count);
      for (let c = 0; c < this.#channels; c++) {
        const p = planes[c];
        let s = this.#sumSq[c];
        let m = this.#peak[c];
        for (let k = i; k < i + take; k++) {
          const v = p[k];
          s += v * v;
          const a = v < 0 ? -v : v;
          if (a > m) m = a;
        }
        this.#sumSq[c] = s;
        this.#peak[c] = m;
      }
      i += take;
      this.#count += take;
      if (this.#count === this.#interval) {
        out.push(this.#emit());
        if (pts !== undefined) this.#intervalStart = pts + Math.round((i * 1e9) / this.#rate);
      }
    }
    return out;
  }

  /** End of stream: the partial interval, if any frames are in it. */
  flush(): LevelMeasurement | undefined {
    return this.#count > 0 ? this.#emit() : undefined;
  }

  #emit(): LevelMeasurement {
    const duration = Math.round((this.#count * 1e9) / this.#rate);
    const m: LevelMeasurement = {
      timestamp: this.#intervalStart,
      duration,
      rms: Array.from(this.#sumSq, (s) => toDb(s / this.#count)),
      peak: Array.from(this.#peak, (p) => toDb(p * p)),
    };
    this.#intervalStart += duration;
    this.#sumSq.fill(0);
    this.#peak.fill(0);
    this.#count = 0;
    return m;
  }
}
