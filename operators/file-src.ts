import { Caps } from '../src/caps';
import { EOS, type Pulled, type Reader } from '../src/element';
import { toByteSource, type ByteSource, type ByteSourceInput } from '../src/io/byte-source';
import { OpenOnce } from '../src/io/once';
import { resolveOpener, type FileOpener } from '../src/io/opener';
import { cpuMemory, type CpuMemory } from '../src/memory/memory';
import { defineSource, type Source } from '../src/operator';
import type { Packet } from '../src/packet';
import { isPromiseLike, type MaybePromise } from '../src/util/promise';
import type { ElementEntry } from './registry';

/**
 * 64 KiB, not GStreamer's 4 KiB: every pull costs a packet (~1 µs through a parser), so 4 KiB packets
 * cost ~1.7× 1 MiB ones in a 1080p parse while 64 KiB ones cost about the same; it is also Node's stream
 * chunk size and about one 1080p access unit. The host read round trip is not per pull: the Node opener
 * reads at least 1 MiB at a time and hands out views (node/drivers/fs.ts, readAhead). Parsers downstream
 * accept any chunking.
 */
export const DEFAULT_BLOCKSIZE = 64 * 1024;

export interface FileSrcOptions {
  name?: string;
  /** A path or URL, opened when the pipeline starts through `opener` or the installed opener (see src/io/opener.ts). */
  location?: string;
  /**
   * The bytes instead of a location: a ByteSource, ReadableStream, (async) iterable of Uint8Array or the bytes
   * themselves; or a function making one, called at each start, so that the pipeline can run again.
   */
  source?: ByteSourceInput | (() => MaybePromise<ByteSourceInput>);
  /** Opens `location`; default: the installed one. */
  opener?: FileOpener;
  /** Largest packet, in bytes: one read of at most this much per pull. Default 64 KiB. */
  blocksize?: number;
  /** Packets before end-of-stream, -1 for all (GStreamer's num-buffers). */
  numBuffers?: number;
  /** Output caps; default application/octet-stream. */
  caps?: string | Caps;
}

export type FileSrcPacket = Packet<CpuMemory>;

/**
 * Reads bytes as packets, as GStreamer's filesrc: one read of at most `blocksize` per pull, so a slow
 * consumer is never read ahead of (backpressure), and the source is closed exactly once on every path.
 * Packets carry no timestamps (bytes have none) and `meta.offset`, their position in the stream.
 */
export function fileSrc(options: FileSrcOptions): Source<FileSrcPacket> {
  const { location, source, opener } = options;
  if ((location === undefined) === (source === undefined)) throw new TypeError('fileSrc needs exactly one of location or source');
  if (location !== undefined && (typeof location !== 'string' || location === '')) throw new TypeError('fileSrc location must be a non-empty string');
  const blocksize = options.blocksize ?? DEFAULT_BLOCKSIZE;
  if (!Number.isSafeInteger(blocksize) || blocksize < 1) throw new RangeError(`fileSrc blocksize must be a positive integer, got ${blocksize}`);
  const numBuffers = options.numBuffers ?? -1;
  if (!Number.isSafeInteger(numBuffers) || numBuffers < -1) throw new RangeError(`fileSrc numBuffers must be -1 or a count, got ${numBuffers}`);
  // Converted now, so a wrong kind of source fails here (converting touches nothing: streams lock on first read).
  const direct = source !== undefined && typeof source !== 'function' ? toByteSource(source) : undefined;
  const template = options.caps === undefined ? Caps.parse('application/octet-stream') : typeof options.caps === 'string' ? Caps.parse(options.caps) : options.caps;
  if (template.isAny || template.isEmpty()) throw new RangeError(`fileSrc caps must name a format, got ${template.toString()}`);
  return defineSource<FileSrcPacket>({
    factory: 'fileSrc',
    name: options.name,
    props: { location, blocksize, 'num-buffers': numBuffers, caps: options.caps?.toString() },
    srcCaps: template,
    fixate: (allowed) => allowed.fixate(),
    open(ctx): Reader<FileSrcPacket> {
      const handle = new OpenOnce<ByteSource>(
        () => {
          if (location !== undefined) return resolveOpener(location, opener).openRead(location, ctx.signal);
          if (typeof source === 'function') return Promise.resolve(source()).then(toByteSource);
          return direct!;
        },
        (s) => s.close(ctx.signal.aborted ? ctx.signal.reason : undefined),
      );
      // A source handed over as an object is ours from now on: closed even if the run fails before reading.
      if (direct) handle.get();
      let n = 0;
      let offset = 0;
      let ended = false;
      const toPacket = (chunk: Uint8Array | null): Pulled<FileSrcPacket> => {
        if (chunk === null) {
          ended = true;
          return EOS;
        }
        if (chunk.byteLength === 0 || chunk.byteLength > blocksize) throw new Error(`byte source broke its contract: read ${chunk.byteLength} bytes for a read of 1..${blocksize}`);
        const p: FileSrcPacket = {
          caps: ctx.outputCaps,
          pts: undefined,
          dts: undefined,
          duration: undefined,
          flags: 0,
          memory: cpuMemory(chunk),
          meta: { offset },
        };
        offset += chunk.byteLength;
        n++;
        return p;
      };
      const read = (s: ByteSource, signal: AbortSignal): MaybePromise<Pulled<FileSrcPacket>> => {
        const r = s.read(blocksize, signal);
        return isPromiseLike(r) ? Promise.resolve(r).then(toPacket) : toPacket(r);
      };
      return {
        pull(signal) {
          if (ended || (numBuffers >= 0 && n >= numBuffers)) return EOS;
          const s = handle.get();
          return isPromiseLike(s) ? s.then((src) => read(src, signal)) : read(s, signal);
        },
        close: () => handle.dispose(),
      };
    },
  });
}

/** Launch-syntax entry: `location` opens through the installed opener (Node: installNodeFileOpener()). */
export const fileSrcEntry: ElementEntry = {
  name: 'fileSrc',
  kind: 'source',
  description: 'Reads a file as packets of bytes, one read per pull (GStreamer filesrc)',
  caps: { src: 'application/octet-stream' },
  properties: [
    { name: 'location', type: 'string', description: 'Path (or URL) to read, opened through the installed file opener' },
    { name: 'blocksize', type: 'uint', default: DEFAULT_BLOCKSIZE, description: 'Largest packet in bytes (one read per pull)' },
    { name: 'num-buffers', type: 'int', default: -1, description: 'Packets before end-of-stream (-1 = to the end of the file)' },
    { name: 'caps', type: 'caps', default: 'application/octet-stream', description: 'Output caps, for a file whose format is known' },
  ],
  create: (p) => {
    if (p.location === undefined) throw new RangeError('fileSrc needs location=PATH');
    return fileSrc({ name: p.name, location: p.location, blocksize: p.blocksize || undefined, numBuffers: p['num-buffers'], caps: p.caps });
  },
};
