/**
 * The bytes of a stream held as the chunks they arrived in, addressed by absolute file offset. Nothing is
 * concatenated on arrival (byte-at-a-time input stays linear); a range is handed out as a view when it lies
 * in one chunk and copied once otherwise. Bytes before `release(offset)` are dropped, including bytes that
 * have not arrived yet (a skipped mdat streams through without being kept).
 */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private starts: number[] = [];
  private head = 0;
  /** Absolute offset of the first byte still held. */
  private first = 0;
  /** Total bytes received: the absolute offset one past the last byte. */
  end = 0;
  /** Bytes before this offset are not kept. */
  private dropBefore = 0;
  /** Bytes currently held. */
  held = 0;

  /** Absolute offset of the first byte still held (equal to `end` when nothing is held). */
  get start(): number {
    return this.head < this.chunks.length ? this.first : Math.max(this.dropBefore, this.end);
  }

  push(chunk: Uint8Array): void {
    const at = this.end;
    this.end += chunk.length;
    if (this.end <= this.dropBefore || chunk.length === 0) return;
    const skip = Math.max(0, this.dropBefore - at);
    const kept = skip > 0 ? chunk.subarray(skip) : chunk;
    if (this.head === this.chunks.length) this.first = at + skip;
    this.chunks.push(kept);
    this.starts.push(at + skip);
    this.held += kept.length;
  }

  /** Drops every byte before `offset` (never un-drops). */
  release(offset: number): void {
    if (offset <= this.dropBefore) return;
    this.dropBefore = offset;
    const { chunks, starts } = this;
    while (this.head < chunks.length) {
      const c = chunks[this.head];
      const s = starts[this.head];
      if (s + c.length <= offset) {
        this.held -= c.length;
        chunks[this.head] = EMPTY;
        this.head++;
      } else {
        if (s < offset) {
          chunks[this.head] = c.subarray(offset - s);
          starts[this.head] = offset;
          this.held -= offset - s;
        }
        break;
      }
    }
    this.first = this.head < chunks.length ? starts[this.head] : offset;
    // Compact now and then so that the arrays do not grow with the stream.
    if (this.head > 1024 && this.head * 2 > chunks.length) {
      this.chunks = chunks.slice(this.head);
      this.starts = starts.slice(this.head);
      this.head = 0;
    }
  }

  /** Whether [offset, offset + length) is held. */
  has(offset: number, length: number): boolean {
    return offset >= this.start && offset + length <= this.end && this.head < this.chunks.length;
  }

  /** Index of the chunk holding `offset` (which must be held). */
  private find(offset: number): number {
    let lo = this.head;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The bytes [offset, offset + length), which must be held: a view when possible, else one copy. */
  read(offset: number, length: number): { data: Uint8Array; copied: boolean } {
    if (length === 0) return { data: EMPTY, copied: false };
    let i = this.find(offset);
    const c = this.chunks[i];
    const rel = offset - this.starts[i];
    if (rel + length <= c.length) return { data: c.subarray(rel, rel + length), copied: false };
    const out = new Uint8Array(length);
    let filled = 0;
    let pos = rel;
    while (filled < length) {
      const chunk = this.chunks[i++];
      const n = Math.min(chunk.length - pos, length - filled);
      out.set(chunk.subarray(pos, pos + n), filled);
      filled += n;
      pos = 0;
    }
    return { data: out, copied: true };
  }
}

const EMPTY = new Uint8Array(0);
