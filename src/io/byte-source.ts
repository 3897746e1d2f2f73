import { raceAbort } from '../interop/common';
import type { MaybePromise } from '../util/promise';

/**
 * Where bytes come from: a file, a stream, memory. Runtime-agnostic: drivers (node/drivers/fs.ts)
 * implement it over their host's I/O, so elements never import the host.
 */
export interface ByteSource {
  /**
   * Up to `maxBytes` bytes (at least one), or null at end of stream. A short read is not the end.
   * The returned array belongs to the caller (it may be a view of memory the source was given).
   */
  read(maxBytes: number, signal: AbortSignal): MaybePromise<Uint8Array | null>;
  /** Releases the source (cancels a stream that has not ended); `reason` is the abort reason, if any. */
  close(reason?: unknown): MaybePromise<void>;
  /** Total size in bytes where known (a file), for progress. */
  readonly size?: number;
}

/** What byte-reading elements accept: a ByteSource, a WHATWG ReadableStream, any (async) iterable of chunks, or bytes. */
export type ByteSourceInput = ByteSource | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array | ArrayBuffer;

export function isByteSource(x: unknown): x is ByteSource {
  return typeof x === 'object' && x !== null && typeof (x as ByteSource).read === 'function' && typeof (x as ByteSource).close === 'function';
}

function checkMax(maxBytes: number): void {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`read size must be a positive integer, got ${maxBytes}`);
}

/** Bytes in memory, read as views (no copy). */
export function memorySource(bytes: Uint8Array | ArrayBuffer): ByteSource {
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let pos = 0;
  let closed = false;
  return {
    size: data.byteLength,
    read(maxBytes) {
      checkMax(maxBytes);
      if (closed) throw new Error('memorySource: read after close');
      if (pos >= data.byteLength) return null;
      const chunk = data.subarray(pos, Math.min(pos + maxBytes, data.byteLength));
      pos += chunk.byteLength;
      return chunk;
    },
    close() {
      closed = true;
    },
  };
}

/**
 * Splits the chunks a producer hands out into reads of at most `maxBytes`, keeping the rest for the
 * next read (views, no copies); empty chunks are skipped, as they would look like the end.
 */
class ChunkReader implements ByteSource {
  private rest: Uint8Array | undefined;
  private done = false;
  private closed = false;

  constructor(
    private readonly next: (signal: AbortSignal) => MaybePromise<IteratorResult<Uint8Array>>,
    private readonly cancel: (reason: unknown, pending: boolean) => MaybePromise<void>,
    private readonly what: string,
  ) {}

  private pending = false;

  read(maxBytes: number, signal: AbortSignal): MaybePromise<Uint8Array | null> {
    checkMax(maxBytes);
    if (this.closed) throw new Error(`${this.what}: read after close`);
    if (this.rest) return this.take(this.rest, maxBytes);
    if (this.done) return null;
    return this.pull(maxBytes, signal);
  }

  private async pull(maxBytes: number, signal: AbortSignal): Promise<Uint8Array | null> {
    for (;;) {
      this.pending = true;
      let r: IteratorResult<Uint8Array>;
      try {
        r = await this.next(signal);
      } catch (e) {
        // A producer that failed is finished: nothing to cancel afterwards. One we stopped waiting for is not.
        if (!signal.aborted) this.done = true;
        throw e;
      } finally {
        this.pending = false;
      }
      if (r.done) {
        this.done = true;
        return null;
      }
      const chunk = toBytes(r.value, this.what);
      if (chunk.byteLength > 0) return this.take(chunk, maxBytes);
    }
  }

  private take(chunk: Uint8Array, maxBytes: number): Uint8Array {
    if (chunk.byteLength <= maxBytes) {
      this.rest = undefined;
      return chunk;
    }
    this.rest = chunk.subarray(maxBytes);
    return chunk.subarray(0, maxBytes);
  }

  async close(reason?: unknown): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rest = undefined;
    if (!this.done) {
      this.done = true;
      await this.cancel(reason, this.pending);
    }
  }
}

function toBytes(value: unknown, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`${what}: expected Uint8Array chunks, got ${value === null ? 'null' : typeof value}`);
}

/**
 * A WHATWG ReadableStream of bytes: one `reader.read()` when the previous chunk is used up (the stream's
 * own highWaterMark decides read-ahead); a read pending at abort is abandoned and the stream cancelled.
 */
export function readableStreamSource(stream: ReadableStream<Uint8Array>): ByteSource {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ChunkReader(
    (signal) => raceAbort((reader ??= stream.getReader()).read() as Promise<IteratorResult<Uint8Array>>, signal),
    async (reason) => {
      if (!reader) {
        await stream.cancel(reason);
        return;
      }
      // Cancelling settles a pending read too, so the lock can be released after.
      await reader.cancel(reason);
      reader.releaseLock();
    },
    'readableStreamSource',
  );
}

/** An async (or sync) iterable of chunks: Node streams, generators, arrays of chunks. */
export function iterableSource(iterable: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): ByteSource {
  let it: AsyncIterator<Uint8Array> | Iterator<Uint8Array> | undefined;
  const open = () => (it ??= Symbol.asyncIterator in iterable ? (iterable as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]() : (iterable as Iterable<Uint8Array>)[Symbol.iterator]());
  return new ChunkReader(
    (signal) => {
      const r = open().next();
      return r instanceof Promise ? raceAbort(r, signal) : r;
    },
    (_reason, pending) => {
      if (!it?.return) return;
      const r = it.return();
      // An async generator queues return() behind a pending next(), which may never settle: do not wait for it then.
      if (pending) return void Promise.resolve(r).catch(() => undefined);
      return Promise.resolve(r).then(() => undefined);
    },
    'iterableSource',
  );
}

/** Any accepted input as a ByteSource. */
export function toByteSource(input: ByteSourceInput): ByteSource {
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) return memorySource(input);
  if (isByteSource(input)) return input;
  if (typeof input === 'object' && input !== null) {
    if (typeof (input as ReadableStream).getReader === 'function') return readableStreamSource(input as ReadableStream<Uint8Array>);
    if (Symbol.asyncIterator in input || Symbol.iterator in input) return iterableSource(input as AsyncIterable<Uint8Array>);
  }
  throw new TypeError('expected a ByteSource, ReadableStream, (async) iterable of Uint8Array, Uint8Array or ArrayBuffer');
}
