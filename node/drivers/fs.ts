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

/**
 * A file written through a FileHandle, chunks handed to the kernel as they come (no copies into a
 * buffer of our own: packets are already big, and immutable). close/abort close the descriptor exactly once.
 */
class FileHandleTarget implements ByteTarget {
  private closed = false;

  constructor(private readonly fh: FileHandle) {}

  async write(chunk: Uint8Array): Promise<void> {
    let off = 0;
    // write(2) may take less than asked (a full pipe, a signal): continue where it stopped.
    while (off < chunk.byteLength) {
      const { bytesWritten } = await this.fh.write(chunk, off, chunk.byteLength - off, null);
      off += bytesWritten;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }

  abort(): Promise<void> {
    return this.close();
  }
}

/** Opens (creating or truncating, or appending to) a file for writing. */
export async function openFileTarget(location: string, options: { append?: boolean } = {}): Promise<ByteTarget> {
  try {
    return new FileHandleTarget(await open(location, options.append ? 'a' : 'w'));
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
 * Keeps one read in flight: the next block is read (on libuv's thread pool, so on another core) while
 * the pipeline parses this one. Pull-based elements otherwise leave the CPU idle during every read.
 */
export function readAhead(source: ByteSource): ByteSource {
  let next: Promise<Uint8Array | null> | undefined;
  let ended = false;
  const start = (max: number, signal: AbortSignal): Promise<Uint8Array | null> => {
    const p = Promise.resolve(source.read(max, signal));
    p.catch(() => undefined); // handled where it is awaited; not an unhandled rejection meanwhile
    return p;
  };
  return {
    size: source.size,
    async read(max, signal) {
      const current = next ?? start(max, signal);
      next = undefined;
      const chunk = await current;
      if (chunk === null) ended = true;
      else if (!ended && !signal.aborted) next = start(max, signal);
      return chunk;
    },
    async close(reason) {
      // A read still in flight finishes first (its result is dropped), so the handle closes once.
      await next?.catch(() => undefined);
      next = undefined;
      await source.close(reason);
    },
  };
}
