import { Buffer } from 'node:buffer';
import { open, type FileHandle } from 'node:fs/promises';
import { fileSink, type FileSinkOptions } from '../../operators/file-sink';
import { fileSrc, type FileSrcOptions, type FileSrcPacket } from '../../operators/file-src';
import type { ByteSource } from '../../src/io/byte-source';
import type { ByteTarget } from '../../src/io/byte-target';
import { FileOpenError, setFileOpener, type FileOpener } from '../../src/io/opener';
import type { Source, Sink } from '../../src/operator';
import type { Packet } from '../../src/packet';

/** Node's error as "ENOENT: no such file or directory" (its message without the trailing ", open 'path'"). */
function describe(e: unknown): { code: string | undefined; detail: string } {
  const err = e as NodeJS.ErrnoException;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const message = err instanceof Error ? err.message : String(e);
  return { code, detail: message.replace(/, \w+ '.*'$/, '') };
}

function openError(location: string, mode: 'read' | 'write', e: unknown): FileOpenError {
  const { code, detail } = describe(e);
  return new FileOpenError(location, mode, code, detail, { cause: e });
}

/** A file read in order through a FileHandle; each read fills a new buffer (packets keep them). */
class FileHandleSource implements ByteSource {
  private position = 0;
  private closed = false;

  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    private readonly location: string,
  ) {}

  async read(maxBytes: number): Promise<Uint8Array | null> {
    if (this.closed) throw new Error(`'${this.location}' was read after close`);
    // Not zero-filled: the read overwrites it, and zeroing 64 KiB per read costs more than the read's copy.
    const buf = Buffer.allocUnsafe(maxBytes);
    const { bytesRead } = await this.fh.read(buf, 0, maxBytes, this.position);
    if (bytesRead === 0) return null;
    this.position += bytesRead;
    return bytesRead === maxBytes ? buf : buf.subarray(0, bytesRead);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // FileHandle.close waits for a read still in flight, then closes the descriptor.
    await this.fh.close();
  }
}

/** Opens a file for reading; a missing file, a directory or no permission is a FileOpenError naming the path. */
export async function openFileSource(location: string): Promise<ByteSource> {
  let fh: FileHandle;
  try {
    fh = await open(location, 'r');
  } catch (e) {
    throw openError(location, 'read', e);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error('EISDIR: illegal operation on a directory'), { code: 'EISDIR' });
    return new FileHandleSource(fh, st.size, location);
  } catch (e) {
    await fh.close();
    throw openError(location, 'read', e);
  }
}

/** Chunks held behind a write in flight before `write` waits for it (backpressure); held by reference, not copied. */
const MAX_PENDING_BYTES = 16 << 20;
/** A gathered write at least this big goes out as parallel positional writes (regular files only). */
const SPLIT_BYTES = 4 << 20;
const SPLIT_WAYS = 4;

/**
 * A file written with writev: chunks gather (by reference: packets are immutable, so no copy) until the
 * current run of synchronous work ends (a microtask) or, while a write is in flight, until it completes,
 * and then go out together. A live stream thus sees no added latency, and a burst (a muxer's fragment: a
 * box header and a view of every sample) costs one system call instead of a thread-pool round trip per
 * chunk, which in a 1080p remux was 60 of its 100 ms. `write` waits only when 16 MiB pile up behind a
 * slow disk. A big gathered write (a progressive MP4's whole mdat, at its end) to a regular file is split
 * into positional writes run in parallel on the thread pool, so that the kernel's copying into the page
 * cache uses more than one core.
 * A failed write is reported by the next write, flush or close. abort writes what was accepted, then
 * closes (a failed pipeline keeps what reached the sink, as with one write per chunk).
 */
class GatheringFileTarget implements ByteTarget {
  private pending: Uint8Array[] = [];
  private bytes = 0;
  private inflight: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;
  private closed = false;
  private scheduled = false;

  /** `position`: where the next write goes in a regular file opened for writing; null: the file's own offset (append, pipes, devices). */
  constructor(
    private readonly fh: FileHandle,
    private position: number | null,
  ) {}

  write(chunk: Uint8Array): void | Promise<void> {
    if (this.failure) throw this.failure.error;
    if (this.closed) throw new Error('write after close');
    if (chunk.byteLength === 0) return;
    this.pending.push(chunk);
    this.bytes += chunk.byteLength;
    if (this.inflight) {
      if (this.bytes >= MAX_PENDING_BYTES) return this.idle().then(() => this.check());
    } else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        if (!this.inflight && this.bytes > 0 && !this.failure && !this.closed) this.pump();
      });
    }
  }

  async flush(): Promise<void> {
    if (!this.inflight && this.bytes > 0 && !this.failure) this.pump();
    await this.idle();
    this.check();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      await this.release();
    }
  }

  async abort(): Promise<void> {
    if (this.closed) return;
    try {
      if (!this.inflight && this.bytes > 0 && !this.failure) this.pump();
      await this.idle();
    } finally {
      await this.release();
    }
  }

  /** Starts a writev of everything pending; on completion, the next one if more gathered meanwhile. */
  private pump(): void {
    const chunks = this.pending;
    const n = this.bytes;
    this.pending = [];
    this.bytes = 0;
    const at = this.position;
    if (at !== null) this.position = at + n;
    this.inflight = (at !== null && n >= SPLIT_BYTES ? this.writeSplit(chunks, n, at) : this.writeAll(chunks, n, at)).then(
      () => {
        this.inflight = undefined;
        if (this.bytes > 0 && !this.failure) this.pump();
      },
      (e: unknown) => {
        this.inflight = undefined;
        this.failure ??= { error: e };
      },
    );
  }

  /** Resolves when nothing is in flight (and so, unless a write failed, nothing pending). */
  private async idle(): Promise<void> {
    while (this.inflight) await this.inflight;
  }

  private check(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Chunks in SPLIT_WAYS groups of about equal size, written at their offsets concurrently. */
  private async writeSplit(chunks: Uint8Array[], n: number, at: number): Promise<void> {
    const jobs: Promise<void>[] = [];
    const share = n / SPLIT_WAYS;
    let from = 0;
    let start = at;
    let size = 0;
    for (let i = 0; i < chunks.length; i++) {
      size += chunks[i].byteLength;
      if (size >= share || i === chunks.length - 1) {
        jobs.push(this.writeAll(chunks.slice(from, i + 1), size, start));
        start += size;
        from = i + 1;
        size = 0;
      }
    }
    // Every job settles before the failure (if any) is reported: none is left writing after close.
    const results = await Promise.allSettled(jobs);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  }

  private async writeAll(chunks: Uint8Array[], left: number, position: number | null): Promise<void> {
    for (;;) {
      const { bytesWritten } = chunks.length === 1 ? await this.fh.write(chunks[0], 0, chunks[0].byteLength, position) : await this.fh.writev(chunks, position ?? undefined);
      left -= bytesWritten;
      if (left <= 0) return;
      if (position !== null) position += bytesWritten;
      // A short write (a signal, a full pipe, a disk about to be full): go on after the last byte written.
      let skip = bytesWritten;
      let i = 0;
      while (skip >= chunks[i].byteLength) skip -= chunks[i++].byteLength;
      chunks = [chunks[i].subarray(skip), ...chunks.slice(i + 1)];
    }
  }

  private async release(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    this.bytes = 0;
    await this.fh.close();
  }
}

/** Opens (creating or truncating, or appending to) a file for writing, writes gathered (see GatheringFileTarget). */
export async function openFileTarget(location: string, options: { append?: boolean } = {}): Promise<ByteTarget> {
  try {
    const fh = await open(location, options.append ? 'a' : 'w');
    let regular = false;
    try {
      regular = !options.append && (await fh.stat()).isFile();
    } catch {
      // not known to be a regular file: writes go to the file's own offset
    }
    return new GatheringFileTarget(fh, regular ? 0 : null);
  } catch (e) {
    throw openError(location, 'write', e);
  }
}

/** Opens paths relative to the working directory with node:fs/promises. */
export const nodeFileOpener: FileOpener = {
  // One read in flight while the pipeline works on the last: each read is a thread-pool round trip.
  openRead: async (location) => readAhead(await openFileSource(location)),
  openWrite: (location, options) => openFileTarget(location, options),
};

/** Makes `location` options (fileSrc, fileSink, launch syntax) open files with node:fs; returns the opener it replaced. */
export function installNodeFileOpener(): FileOpener | undefined {
  return setFileOpener(nodeFileOpener);
}

/** fileSrc over a Node file, whatever opener is installed. */
export function nodeFileSrc(location: string, options: Omit<FileSrcOptions, 'location' | 'source' | 'opener'> = {}): Source<FileSrcPacket> {
  return fileSrc({ ...options, location, opener: nodeFileOpener });
}

/** fileSink over a Node file, whatever opener is installed. */
export function nodeFileSink<T extends Packet = Packet>(location: string, options: Omit<FileSinkOptions, 'location' | 'target' | 'opener'> = {}): Sink<T> {
  return fileSink<T>({ ...options, location, opener: nodeFileOpener });
}

/**
 * Smallest read `readAhead` makes. Each read is a thread-pool round trip whatever its size (on the loaded
 * 2-core VM, sequential 64 KiB `FileHandle.read`s took ~80 µs each, 4 KiB ones ~70 µs, `readSync` ~2 µs),
 * so a file read in fileSrc's 64 KiB blocks was bound by that latency, not by parsing (1080p parse: 30 ms
 * against 10 ms with 1 MiB blocks). Reading 1 MiB and handing out views of it makes small blocks cost
 * what big ones do, and an access unit spanning blocks of one read stays a view (ByteQueue joins adjacent
 * views) instead of being copied. A packet keeps its read's whole buffer alive.
 */
export const READ_AHEAD_BYTES = 1 << 20;

/**
 * Keeps one read in flight: the next block is read (on libuv's thread pool, so on another core) while
 * the pipeline parses this one. Pull-based elements otherwise leave the CPU idle during every read.
 * Reads of less than `minRead` bytes are served as views of one read of `minRead` (see READ_AHEAD_BYTES).
 */
export function readAhead(source: ByteSource, minRead = READ_AHEAD_BYTES): ByteSource {
  if (!Number.isSafeInteger(minRead) || minRead < 1) throw new RangeError(`readAhead minRead must be a positive integer, got ${minRead}`);
  let next: Promise<Uint8Array | null> | undefined;
  let ended = false;
  /** What is left of the last read, handed out in views before the next read is awaited. */
  let rest: Uint8Array | undefined;
  const start = (max: number, signal: AbortSignal): Promise<Uint8Array | null> => {
    let p: Promise<Uint8Array | null>;
    try {
      p = Promise.resolve(source.read(Math.max(max, minRead), signal));
    } catch (e) {
      p = Promise.reject(e); // a source failing synchronously still fails the read, not its caller's frame
    }
    p.catch(() => undefined); // handled where it is awaited; not an unhandled rejection meanwhile
    return p;
  };
  const take = (chunk: Uint8Array, max: number): Uint8Array => {
    if (chunk.byteLength <= max) {
      rest = undefined;
      return chunk;
    }
    rest = chunk.subarray(max);
    return chunk.subarray(0, max);
  };
  return {
    size: source.size,
    read(max, signal) {
      // Served synchronously: a promise per view would cost a microtask hop per packet for nothing.
      if (rest) return take(rest, max);
      const current = next ?? start(max, signal);
      next = undefined;
      return current.then((chunk) => {
        if (chunk === null) {
          ended = true;
          return null;
        }
        if (!ended && !signal.aborted) next = start(max, signal);
        return take(chunk, max);
      });
    },
    async close(reason) {
      rest = undefined;
      // A read still in flight finishes first (its result is dropped), so the handle closes once.
      await next?.catch(() => undefined);
      next = undefined;
      await source.close(reason);
    },
  };
}
