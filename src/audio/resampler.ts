/**
 * A windowed-sinc polyphase resampler in plain TypeScript. For rates in/out = M/L (reduced), output sample k
 * sits at input time k·M/L: its filter phase is (k·M mod L)/L, precomputed per phase when there are at most
 * MAX_PHASES of them, else interpolated linearly between the two nearest of MAX_PHASES tables (speex's trick
 * for awkward ratios such as 44100 → 48001). Input before the first sample is silence, so output sample 0
 * is input time 0 (no delay to compensate downstream) and a stream of n frames yields ⌈n·L/M⌉ frames.
 * Positions are kept as (index, phase) integers, so timing never drifts however long the stream runs.
 */

/** Half the filter length at the lower of the two rates, cutoff (fraction of the lower Nyquist), Kaiser β. */
interface QualityRow {
  readonly half: number;
  readonly cutoff: number;
  readonly beta: number;
}

/**
 * Quality 0–10 as GStreamer's audioresample (speex's table of lengths and cutoffs; default 4). β follows the
 * stopband each length can reach (A ≈ β / 0.1102 + 8.7 dB): 4 reaches ≈ 87 dB, 10 ≈ 122 dB.
 */
const QUALITY: readonly QualityRow[] = [
  { half: 4, cutoff: 0.832, beta: 5.0 },
  { half: 8, cutoff: 0.854, beta: 5.5 },
  { half: 16, cutoff: 0.873, beta: 6.5 },
  { half: 24, cutoff: 0.886, beta: 7.5 },
  { half: 32, cutoff: 0.898, beta: 8.6 },
  { half: 40, cutoff: 0.918, beta: 9.0 },
  { half: 48, cutoff: 0.925, beta: 9.6 },
  { half: 64, cutoff: 0.935, beta: 10.5 },
  { half: 80, cutoff: 0.943, beta: 11.0 },
  { half: 96, cutoff: 0.9518, beta: 11.5 },
  { half: 128, cutoff: 0.9617, beta: 12.5 },
];
export const MAX_QUALITY = QUALITY.length - 1;
export const DEFAULT_QUALITY = 4;

/** Phase tables above this many are interpolated (memory: MAX_PHASES × taps doubles). */
const MAX_PHASES = 1024;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (the Kaiser window's), by its power series. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200 && term > sum * 1e-17; k++) {
    term *= q / (k * k);
    sum += term;
  }
  return sum;
}

export class Resampler {
  readonly inRate: number;
  readonly outRate: number;
  /** Input samples each side of an output sample's position. */
  readonly halfWidth: number;
  readonly #l: number;
  readonly #m: number;
  readonly #phases: number;
  readonly #taps: number;
  readonly #table: Float64Array;
  /** Per channel: input samples from absolute index #start on (negative indices are the silence before). */
  #buf: Float64Array[];
  #start: number;
  /** Next output's input index and phase: k·M = #idx·L + #phase. */
  #idx = 0;
  #phase = 0;
  #fed = 0;
  #produced = 0;

  constructor(inRate: number, outRate: number, channels: number, quality = DEFAULT_QUALITY) {
    for (const [what, v] of [
      ['input rate', inRate],
      ['output rate', outRate],
      ['channels', channels],
    ] as const)
      if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`resampler ${what} must be a positive integer, got ${v}`);
    const q = QUALITY[quality];
    if (!Number.isInteger(quality) || !q) throw new RangeError(`resampler quality must be an integer in [0, ${MAX_QUALITY}], got ${quality}`);
    this.inRate = inRate;
    this.outRate = outRate;
    const g = gcd(inRate, outRate);
    this.#l = outRate / g;
    this.#m = inRate / g;
    // Downsampling: the cutoff moves down to the output's Nyquist and the filter widens by the same factor.
    const scale = Math.min(1, outRate / inRate);
    this.halfWidth = Math.ceil(q.half / scale);
    this.#taps = 2 * this.halfWidth;
    this.#phases = Math.min(this.#l, MAX_PHASES);
    this.#table = this.#design(q.cutoff * scale, q.beta);
    this.#start = -this.halfWidth;
    this.#buf = Array.from({ length: channels }, () => new Float64Array(this.halfWidth));
  }

  /** Output frames made so far (timestamps: frame k is at k / outRate after the first input). */
  get produced(): number {
    return this.#produced;
  }

  /** One row per phase p/P (and P/P, for interpolation), each normalised to unity gain at DC. */
  #design(fc: number, beta: number): Float64Array {
    const T = this.#taps;
    const H = this.halfWidth;
    const P = this.#phases;
    const t = new Float64Array((P + 1) * T);
    const i0b = besselI0(beta);
    for (let p = 0; p <= P; p++) {
      const f = p / P;
      let sum = 0;
      for (let j = 0; j < T; j++) {
        const tau = f + H - 1 - j; // the output's position minus this tap's input position
        const x = tau / H;
        const w = Math.abs(x) >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - x * x)) / i0b;
        const a = Math.PI * fc * tau;
        const h = fc * (a === 0 ? 1 : Math.sin(a) / a) * w;
        t[p * T + j] = h;
        sum += h;
      }
      for (let j = 0; j < T; j++) t[p * T + j] /= sum;
    }
    return t;
  }

  /** Feeds one buffer (a plane per channel); returns the output frames it completes. */
  process(planes: readonly Float64Array[]): Float64Array[] {
    const n = planes[0]?.length ?? 0;
    if (planes.length !== this.#buf.length) throw new RangeError(`expected ${this.#buf.length} planes, got ${planes.length}`);
    this.#buf = this.#buf.map((b, c) => {
      const joined = new Float64Array(b.length + n);
      joined.set(b);
      joined.set(planes[c], b.length);
      return joined;
    });
    this.#fed += n;
    return this.#run();
  }

  /** End of stream: the frames still owed, computed against silence after the last input. */
  flush(): Float64Array[] {
    const pad = this.halfWidth + 1;
    this.#buf = this.#buf.map((b) => {
      const joined = new Float64Array(b.length + pad);
      joined.set(b);
      return joined;
    });
    return this.#run();
  }

  #run(): Float64Array[] {
    const { halfWidth: H } = this;
    const T = this.#taps;
    const P = this.#phases;
    const L = this.#l;
    const M = this.#m;
    const end = this.#start + (this.#buf[0]?.length ?? 0);
    // Output k needs input up to #idx + H and stops at the input's end (time k·M/L < frames fed).
    const outputs: number[][] = this.#buf.map(() => []);
    let idx = this.#idx;
    let phase = this.#phase;
    while (idx + H < end && idx < this.#fed) {
      const pos = (phase * P) / L;
      const p0 = Math.floor(pos);
      const a = pos - p0;
      const first = idx - H + 1 - this.#start;
      for (let c = 0; c < this.#buf.length; c++) {
        const b = this.#buf[c];
        let s0 = 0;
        const r0 = p0 * T;
        for (let j = 0; j < T; j++) s0 += this.#table[r0 + j] * b[first + j];
        if (a !== 0) {
          let s1 = 0;
          const r1 = r0 + T;
          for (let j = 0; j < T; j++) s1 += this.#table[r1 + j] * b[first + j];
          s0 += a * (s1 - s0);
        }
        outputs[c].push(s0);
      }
      phase += M;
      idx += Math.floor(phase / L);
      phase %= L;
    }
    this.#produced += outputs[0]?.length ?? 0;
    this.#idx = idx;
    this.#phase = phase;
    // Keep only what later outputs can still reach.
    const keepFrom = Math.max(this.#start, idx - H + 1);
    const drop = keepFrom - this.#start;
    if (drop > 0) {
      this.#buf = this.#buf.map((b) => b.slice(drop));
      this.#start = keepFrom;
    }
    return outputs.map((o) => Float64Array.from(o));
  }
}
