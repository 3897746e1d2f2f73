/**
 * Input chunks addressed by absolute stream offset, so that a NAL or an access unit spanning chunks is a
 * range rather than a copy. Chunks are dropped (`release`) once everything in them has been handed on.
 */
export class ByteQueue<T> {
  private chunks: Uint8Array[] = [];
  private bases: number[] = [];
  private tags: (T | undefined)[] = [];
  private tagTaken: boolean[] = [];
  /** Absolute offset one past the last byte appended. */
  end = 0;
  /** Index of the chunk last looked up (lookups are mostly near each other). */
  private hint = 0;

  append(chunk: Uint8Array, tag: T | undefined): void {
    this.chunks.push(chunk);
    this.bases.push(this.end);
    this.tags.push(tag);
    this.tagTaken.push(false);
    this.end += chunk.length;
  }

  /** Absolute offset of the oldest byte held. */
  get start(): number {
    return this.bases.length ? this.bases[0] : this.end;
  }

  get chunkCount(): number {
    return this.chunks.length;
  }

  private indexOf(abs: number): number {
    const bases = this.bases;
    const n = bases.length;
    let k = this.hint < n ? this.hint : n - 1;
    if (k < 0) return -1;
    while (k > 0 && bases[k] > abs) k--;
    while (k + 1 < n && bases[k + 1] <= abs) k++;
    if (abs < bases[k] || abs >= bases[k] + this.chunks[k].length) return -1;
    this.hint = k;
    return k;
  }

  /** The byte at `abs`, or -1 when it is not held (released, or not yet appended). */
  byteAt(abs: number): number {
    const k = this.indexOf(abs);
    return k < 0 ? -1 : this.chunks[k][abs - this.bases[k]];
  }

  /** The tag of the chunk holding `abs`, the first time it is asked for; undefined after that. */
  takeTag(abs: number): T | undefined {
    const k = this.indexOf(abs);
    if (k < 0 || this.tagTaken[k]) return undefined;
    this.tagTaken[k] = true;
    return this.tags[k];
  }

  /** Whether [from, to) lies in one chunk (a view is possible). */
  isContiguous(from: number, to: number): boolean {
    const k = this.indexOf(from);
    return k >= 0 && to <= this.bases[k] + this.chunks[k].length;
  }

  /**
   * Bytes [from, to): a view when they lie in one chunk (or in adjacent views of one buffer), else a new
   * array. Assembling units from chunks is what a parser is for, so this is not recorded as an
   * (implicit) copy in the copy ledger.
   */
  view(from: number, to: number): Uint8Array {
    const k = this.indexOf(from);
    if (k >= 0 && to <= this.bases[k] + this.chunks[k].length) {
      const b = this.bases[k];
      return this.chunks[k].subarray(from - b, to - b);
    }
    if (k >= 0 && this.adjacent(k, to)) {
      const c = this.chunks[k];
      return new Uint8Array(c.buffer, c.byteOffset + (from - this.bases[k]), to - from);
    }
    const out = new Uint8Array(to - from);
    this.copyTo(from, to, out, 0);
    return out;
  }

  /**
   * Whether the chunks from `k` up to offset `to` are consecutive views of one buffer (a source that
   * slices one big buffer, a file read whole): then a range across them is still a view.
   */
  private adjacent(k: number, to: number): boolean {
    const buf = this.chunks[k].buffer;
    for (let j = k + 1; j < this.chunks.length && this.bases[j] < to; j++) {
      const prev = this.chunks[j - 1];
      const c = this.chunks[j];
      if (c.buffer !== buf || c.byteOffset !== prev.byteOffset + prev.length) return false;
    }
    return true;
  }

  /** Copies [from, to) into `dst` at `at`; returns the number of bytes copied (fewer when not held). */
  copyTo(from: number, to: number, dst: Uint8Array, at: number): number {
    let k = this.indexOf(from);
    if (k < 0) return 0;
    let pos = from;
    let o = at;
    while (pos < to && k < this.chunks.length) {
      const c = this.chunks[k];
      const b = this.bases[k];
      const s = pos - b;
      const e = Math.min(c.length, to - b);
      if (s === 0 && e === c.length) dst.set(c, o);
      else dst.set(c.subarray(s, e), o);
      o += e - s;
      pos = b + e;
      k++;
    }
    return o - at;
  }

  /** Drops chunks that end at or before `abs`. */
  release(abs: number): void {
    let n = 0;
    while (n < this.chunks.length && this.bases[n] + this.chunks[n].length <= abs) n++;
    if (n === 0) return;
    this.chunks.splice(0, n);
    this.bases.splice(0, n);
    this.tags.splice(0, n);
    this.tagTaken.splice(0, n);
    this.hint = 0;
  }

  clear(): void {
    this.release(this.end);
  }
}
