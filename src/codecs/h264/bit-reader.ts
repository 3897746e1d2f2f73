import { H264Error } from './errors';

/**
 * Reads bits MSB-first from RBSP bytes (emulation prevention already removed), with the Exp-Golomb
 * codes of H.264 clause 9.1. Reading past the end throws H264Error('truncated'), which callers use to
 * ask for a longer prefix. Reusable (`reset`) so that parsing headers allocates nothing.
 */
export class BitReader {
  private buf: Uint8Array;
  private len: number;
  /** Position in bits from the start of the buffer. */
  private pos = 0;

  constructor(buf: Uint8Array = new Uint8Array(0), length = buf.length) {
    this.buf = buf;
    this.len = Math.min(length, buf.length);
  }

  reset(buf: Uint8Array, length = buf.length, bitOffset = 0): this {
    this.buf = buf;
    this.len = Math.min(length, buf.length);
    this.pos = bitOffset;
    return this;
  }

  get bitPosition(): number {
    return this.pos;
  }

  get bitsLeft(): number {
    return this.len * 8 - this.pos;
  }

  /** One bit as 0/1. */
  u1(): number {
    const p = this.pos;
    if (p >= this.len * 8) throw new H264Error('truncated', 'read past the end of the data');
    this.pos = p + 1;
    return (this.buf[p >> 3] >> (7 - (p & 7))) & 1;
  }

  flag(): boolean {
    return this.u1() === 1;
  }

  /** n bits (0..32) as an unsigned number. */
  u(n: number): number {
    if (n === 0) return 0;
    if (n < 0 || n > 32) throw new H264Error('argument', `cannot read ${n} bits at once`);
    if (this.pos + n > this.len * 8) {
      this.pos = this.len * 8;
      throw new H264Error('truncated', 'read past the end of the data');
    }
    let v = 0;
    let left = n;
    let p = this.pos;
    while (left > 0) {
      const byte = this.buf[p >> 3];
      const avail = 8 - (p & 7);
      const take = avail < left ? avail : left;
      const bits = (byte >> (avail - take)) & ((1 << take) - 1);
      // Multiplication instead of << keeps 32-bit values unsigned.
      v = v * (1 << take) + bits;
      left -= take;
      p += take;
    }
    this.pos = p;
    return v;
  }

  skip(n: number): void {
    if (this.pos + n > this.len * 8) {
      this.pos = this.len * 8;
      throw new H264Error('truncated', 'skipped past the end of the data');
    }
    this.pos += n;
  }

  /** ue(v): unsigned Exp-Golomb, up to 2^32 - 2. */
  ue(): number {
    let zeros = 0;
    while (this.u1() === 0) {
      if (++zeros > 31) throw new H264Error('invalid', 'Exp-Golomb code longer than 32 bits');
    }
    if (zeros === 0) return 0;
    return 2 ** zeros - 1 + this.u(zeros);
  }

  /** se(v): signed Exp-Golomb (clause 9.1.1: 1, -1, 2, -2, ...). */
  se(): number {
    const k = this.ue();
    return k & 1 ? (k + 1) / 2 : k === 0 ? 0 : -(k / 2);
  }

  /** ue(v) that must not exceed `max` (the ranges of clause 7.4), named for the error message. */
  ueMax(max: number, what: string): number {
    const v = this.ue();
    if (v > max) throw new H264Error('invalid', `${what} = ${v} exceeds ${max}`);
    return v;
  }

  /** se(v) within [min, max]. */
  seRange(min: number, max: number, what: string): number {
    const v = this.se();
    if (v < min || v > max) throw new H264Error('invalid', `${what} = ${v} outside [${min}, ${max}]`);
    return v;
  }

  /** more_rbsp_data() of clause 7.2: anything but the rbsp_stop_one_bit and zero padding left. */
  moreRbspData(): boolean {
    if (this.pos >= this.len * 8) return false;
    // Find the last 1 bit (the stop bit); ignore trailing zero bytes (cabac_zero_words are escaped).
    let last = this.len - 1;
    while (last >= 0 && this.buf[last] === 0) last--;
    if (last < 0) return false;
    const b = this.buf[last];
    let bit = 0;
    while (((b >> bit) & 1) === 0) bit++;
    const stopPos = last * 8 + (7 - bit);
    return this.pos < stopPos;
  }
}
