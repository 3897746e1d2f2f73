import { raceAbort } from '../interop/common';
import type { MaybePromise } from '../util/promise';

/**
 * Where bytes go: a file, a stream, memory. Writes are in order and never overlap (the caller waits
 * for each). `close` finishes (everything written is committed); `abort` releases on error paths.
 */
export interface ByteTarget {
  /** Takes `chunk` (which must not change afterwards: packets are immutable, so no copy is needed). */
  write(chunk: Uint8Array, signal: AbortSignal): MaybePromise<void>;
  /** Hands on anything buffered, so that every write so far has reached the underlying sink. */
  flush?(signal: AbortSignal): MaybePromise<void>;
  /** Finishes: flushes, commits and releases, releasing even when it fails. Called at most once. */
  close(): MaybePromise<void>;
  /** Releases without finishing (error or abort); what was written may be partial. Default: close. */
  abort?(reason?: unknown): MaybePromise<void>;
}

export type ByteTargetInput = ByteTarget | WritableStream<Uint8Array>;

export function isByteTarget(x: unknown): x is ByteTarget {
  return typeof x === 'object' && x !== null && typeof (x as ByteTarget).write === 'function' && typeof (x as ByteTarget).close === 'function';
}

/** Collects chunks in memory (kept by reference: packets are immutable). */
export interface MemoryTarget extends ByteTarget {
  readonly chunks: readonly Uint8Array[];
  readonly state: 'open' | 'closed' | 'aborted';
  /** Everything written, concatenated. */
  bytes(): Uint8Array;
}

export function memoryTarget(): MemoryTarget {
  const chunks: Uint8Array[] = [];
  let state: 'open' | 'closed' | 'aborted' = 'open';
  const check = () => {
    if (state !== 'open') throw new Error(`memoryTarget: write after ${state === 'closed' ? 'close' : 'abort'}`);
  };
  return {
    chunks,
    get state() {
      return state;
    },
    write(chunk) {
      check();
      chunks.push(chunk);
    },
    flush() {
      check();
    },
    close() {
      check();
      state = 'closed';
    },
    abort() {
      if (state === 'open') state = 'aborted';
    },
    bytes() {
      const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
      let o = 0;
      for (const c of chunks) {
        out.set(c, o);
        o += c.byteLength;
      }
      return out;
    },
  };
}

/**
 * A WHATWG WritableStream: each write waits for the stream's backpressure (`writer.ready`), not for the
 * chunk to be fully written, so the stream's highWaterMark sets how far ahead we may be; a failed write
 * surfaces at the next write or at close.
 */
export function writableStreamTarget(stream: WritableStream<Uint8Array>): ByteTarget {
  let writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  let failure: { error: unknown } | undefined;
  let last: Promise<void> = Promise.resolve();
  const get = () => (writer ??= stream.getWriter());
  return {
    async write(chunk, signal) {
      const w = get();
      await raceAbort(w.ready, signal);
      if (failure) throw failure.error;
      last = w.write(chunk).catch((e) => {
        failure ??= { error: e };
      });
    },
    async flush(signal) {
      await raceAbort(last, signal);
      if (failure) throw failure.error;
    },
    async close() {
      const w = get();
      try {
        await w.close();
      } finally {
        w.releaseLock();
      }
    },
    async abort(reason) {
      const w = get();
      await w.abort(reason).catch(() => undefined);
      w.releaseLock();
    },
  };
}

export function toByteTarget(input: ByteTargetInput): ByteTarget {
  if (isByteTarget(input)) return input;
  if (typeof input === 'object' && input !== null && typeof (input as WritableStream).getWriter === 'function') return writableStreamTarget(input as WritableStream<Uint8Array>);
  throw new TypeError('expected a ByteTarget or a WritableStream<Uint8Array>');
}
