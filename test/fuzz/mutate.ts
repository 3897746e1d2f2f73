/**
 * Mutation-based input generation for the fuzz harness: a seeded PRNG (so a run is reproduced by its seed),
 * byte-level mutators in the style of libFuzzer/AFL's havoc stage, and splicing between corpus inputs.
 */

/** xorshift32: deterministic, fast, good enough to pick mutations. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  /** 0 ≤ n < bound. */
  below(bound: number): number {
    return bound <= 1 ? 0 : this.u32() % bound;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)];
  }
}

const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff, 0x20, 0x0a, 0x0d, 0x30, 0x39];
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xffff, 0x10000, 1_000_000_000, 0x100];
const MAX_LEN = 1 << 16;

const enc = new TextEncoder();

/** One mutation of `input` (never modified in place); `tokens` are a target's dictionary (e.g. header names). */
function mutateOnce(rng: Rng, input: Uint8Array, corpus: readonly Uint8Array[], tokens: readonly string[]): Uint8Array {
  const n = input.length;
  const at = rng.below(n + 1);
  switch (rng.below(11)) {
    case 0: {
      // flip a bit
      if (n === 0) return input;
      const out = input.slice();
      out[rng.below(n)] ^= 1 << rng.below(8);
      return out;
    }
    case 1: {
      // set a byte to an interesting or random value
      if (n === 0) return input;
      const out = input.slice();
      out[rng.below(n)] = rng.below(2) ? rng.pick(INTERESTING_8) : rng.below(256);
      return out;
    }
    case 2: {
      // a 32-bit interesting value, big-endian (box sizes, lengths, timescales)
      if (n < 4) return input;
      const out = input.slice();
      new DataView(out.buffer).setUint32(rng.below(n - 3), rng.pick(INTERESTING_32));
      return out;
    }
    case 3: {
      // delete a range
      if (n === 0) return input;
      const len = 1 + rng.below(Math.min(n - at, 64) || 1);
      return concat(input.subarray(0, at), input.subarray(Math.min(n, at + len)));
    }
    case 4: {
      // insert random bytes
      const bytes = Uint8Array.from({ length: 1 + rng.below(16) }, () => rng.below(256));
      return concat(input.subarray(0, at), bytes, input.subarray(at));
    }
    case 5: {
      // duplicate a range (repeated boxes, headers, NAL units)
      if (n === 0) return input;
      const from = rng.below(n);
      const len = 1 + rng.below(Math.min(n - from, 256));
      return concat(input.subarray(0, at), input.subarray(from, from + len), input.subarray(at));
    }
    case 6: {
      // truncate
      return input.subarray(0, at);
    }
    case 7:
    case 8: {
      // a dictionary token
      if (tokens.length === 0) return input;
      return concat(input.subarray(0, at), enc.encode(rng.pick(tokens)), input.subarray(at));
    }
    case 9: {
      // splice with another corpus input
      const other = rng.pick(corpus);
      const cut = rng.below(other.length + 1);
      return concat(input.subarray(0, at), other.subarray(cut));
    }
    default: {
      // a long run of one byte or digit (quadratic parsers, huge numbers)
      const len = 1 + rng.below(rng.below(8) === 0 ? 4096 : 64);
      return concat(input.subarray(0, at), new Uint8Array(len).fill(rng.pick(INTERESTING_8)), input.subarray(at));
    }
  }
}

/** 1–5 stacked mutations, capped at 64 KiB. */
export function mutate(rng: Rng, input: Uint8Array, corpus: readonly Uint8Array[], tokens: readonly string[] = []): Uint8Array {
  let out = input;
  for (let i = 1 + rng.below(5); i > 0; i--) out = mutateOnce(rng, out, corpus, tokens);
  return out.length > MAX_LEN ? out.subarray(0, MAX_LEN) : out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
