export interface ByteQueueOptions {
  /**
   * Chunks shorter than this are copied into a shared slab instead of being kept as they came (default 0:
   * never). Each chunk held costs an object beside its bytes, so a stream of tiny chunks would otherwise
   * cost far more memory than its bytes; a range read from a slab counts as copied.
   */
  readonly coalesceBelow?: number;
}

/** Bytes of a slab that small chunks are copied into. */
const SLAB_BYTES = 64 * 1024;

/**
 * What holding one chunk costs beside its bytes (the view object and two array slots, measured in V8 at
 * about 80–100 bytes), so that `retained` answers for memory, not for bytes alone.
 */
export const CHUNK_OVERHEAD = 96;

/**
 * The bytes of a stream held as the chunks they arrived in, addressed by absolute file offset. Nothing is
 * concatenated on arrival (byte-at-a-time input stays linear); a range is handed out as a view when it lies
 * in one chunk and copied once otherwise. Bytes before `release(offset)` are dropped, including bytes that
 * have not arrived yet (a skipped mdat streams through without being kept).
 */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private starts: number[] = [];
  /** Whether each chunk is a slab of ours (small chunks copied together) rather than the caller's bytes. */
  private owned: boolean[] = [];
  private head = 0;
  /** Absolute offset of the first byte still held. */
  private first = 0;
  /** Total bytes received: the absolute offset one past the last byte. */
  end = 0;
  /** Bytes before this offset are not kept. */
  private dropBefore = 0;
  /** Bytes currently held. */
  held = 0;
  /** Memory kept for them: the bytes of views, whole slabs, and CHUNK_OVERHEAD per chunk. */
  retained = 0;
  private readonly coalesceBelow: number;
  /** The slab small chunks are appended to while it is the last chunk held. */
  private slab: Uint8Array | undefined;
  private slabUsed = 0;

  constructor(options: ByteQueueOptions = {}) {
    this.coalesceBelow = Math.min(options.coalesceBelow ?? 0, SLAB_BYTES);
  }

  /** Absolute offset of the first byte still held (equal to `end` when nothing is held). */
  get start(): number {
    return this.head < this.chunks.length ? this.first : Math.max(this.dropBefore, this.end);
  }

  /** Chunks held (for accounting and tests). */
  get chunkCount(): number {
    return this.chunks.length - this.head;
  }

  push(chunk: Uint8Array): void {
    const at = this.end;
    this.end += chunk.length;
    if (this.end <= this.dropBefore || chunk.length === 0) return;
    const skip = Math.max(0, this.dropBefore - at);
    const kept = skip > 0 ? chunk.subarray(skip) : chunk;
    const from = at + skip;
    if (this.head === this.chunks.length) this.first = from;
    this.held += kept.length;
    if (kept.length < this.coalesceBelow) this.append(kept, from);
    else this.add(kept, from, false);
  }

  private add(data: Uint8Array, from: number, owned: boolean): void {
    this.chunks.push(data);
    this.starts.push(from);
    this.owned.push(owned);
    this.retained += (owned ? data.buffer.byteLength : data.length) + CHUNK_OVERHEAD;
  }

  /** Copies a small chunk into the slab at the end of the queue (a new one when it is full or not last). */
  private append(data: Uint8Array, from: number): void {
    const last = this.chunks.length - 1;
    const slab = this.slab;
    if (
      slab &&
      last >= this.head &&
      this.chunks[last].buffer === slab.buffer &&
      this.starts[last] + this.chunks[last].length === from &&
      this.slabUsed + data.length <= slab.length
    ) {
      slab.set(data, this.slabUsed);
      this.slabUsed += data.length;
      this.chunks[last] = slab.subarray(this.chunks[last].byteOffset, this.slabUsed);
      return;
    }
    const fresh = new Uint8Array(SLAB_BYTES);
    fresh.set(data);
    this.slab = fresh;
    this.slabUsed = data.length;
    this.add(fresh.subarray(0, data.length), from, true);
  }

  /** Drops every byte before `offset` (never un-drops). */
  release(offset: number): void {
    if (offset <= this.dropBefore) return;
    this.dropBefore = offset;
    const { chunks, starts, owned } = this;
    while (this.head < chunks.length) {
      const c = chunks[this.head];
      const s = starts[this.head];
      if (s + c.length <= offset) {
        this.held -= c.length;
        this.retained -= (owned[this.head] ? c.buffer.byteLength : c.length) + CHUNK_OVERHEAD;
        if (this.slab && c.buffer === this.slab.buffer) this.slab = undefined;
        chunks[this.head] = EMPTY;
        this.head++;
      } else {
        if (s < offset) {
          chunks[this.head] = c.subarray(offset - s);
          starts[this.head] = offset;
          this.held -= offset - s;
          // A slab stays whole in memory while any of it is held; a view of the caller's bytes shrinks.
          if (!owned[this.head]) this.retained -= offset - s;
        }
        break;
      }
    }
    this.first = this.head < chunks.length ? starts[this.head] : offset;
    // Compact now and then so that the arrays do not grow with the stream.
    if (this.head > 1024 && this.head * 2 > chunks.length) {
      this.chunks = chunks.slice(this.head);
      this.starts = starts.slice(this.head);
      this.owned = owned.slice(this.head);
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

  /**
   * The bytes [offset, offset + length), which must be held: a view when possible, else one copy. `copied`
   * also when the view is of a slab (its bytes were copied there on arrival).
   */
  read(offset: number, length: number): { data: Uint8Array; copied: boolean } {
    if (length === 0) return { data: EMPTY, copied: false };
    let i = this.find(offset);
    const c = this.chunks[i];
    const rel = offset - this.starts[i];
    if (rel + length <= c.length) return { data: c.subarray(rel, rel + length), copied: this.owned[i] };
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
