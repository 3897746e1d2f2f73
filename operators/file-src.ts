import { Caps } from '../src/caps';
import { defineElement, prop } from '../src/descriptor';
import { EOS, type Pulled, type Reader } from '../src/element';
import { toByteSource, type ByteSource, type ByteSourceInput } from '../src/io/byte-source';
import { OpenOnce } from '../src/io/once';
import { resolveOpener, type FileOpener } from '../src/io/opener';
import { cpuMemory, type CpuMemory } from '../src/memory/memory';
import { defineSource, type Source } from '../src/operator';
import type { Packet } from '../src/packet';
import { isPromiseLike, type MaybePromise } from '../src/util/promise';

/**
 * 64 KiB, not GStreamer's 4 KiB: every pull costs a packet (~1 µs through a parser), so 4 KiB packets
 * cost ~1.7× 1 MiB ones in a 1080p parse while 64 KiB ones cost about the same; it is also Node's stream
 * chunk size and about one 1080p access unit. The host read round trip is not per pull: the Node opener
 * reads at least 1 MiB at a time and hands out views (node/drivers/fs.ts, readAhead). Parsers downstream
 * accept any chunking.
 */
export const DEFAULT_BLOCKSIZE = 64 * 1024;

/** Options that are not properties: bytes from elsewhere than a location. */
export interface FileSrcExtras {
  /**
   * The bytes instead of a location: a ByteSource, ReadableStream, (async) iterable of Uint8Array or the bytes
   * themselves; or a function making one, called at each start, so that the pipeline can run again.
   */
  source?: ByteSourceInput | (() => MaybePromise<ByteSourceInput>);
  /** Opens `location`; default: the installed one (see src/io/opener.ts). */
  opener?: FileOpener;
}

export const FILE_SRC = defineElement({
  name: 'fileSrc',
  kind: 'source',
  description: 'Reads a file as packets of bytes, one read per pull (GStreamer filesrc)',
  caps: { src: Caps.parse('application/octet-stream') },
  notes:
    'One read of at most blocksize per pull, so a slow consumer is never read ahead of (backpressure); the file is closed exactly once on every path. Packets carry no timestamps and meta.offset, their position in the stream.',
  properties: {
    location: prop.string({
      pattern: /./,
      accepts: 'a non-empty path or URL',
      doc: 'Path (or URL) to read, opened when the pipeline starts through the installed file opener (or give `source`)',
    }),
    blocksize: prop.uint({ default: DEFAULT_BLOCKSIZE, min: 1, doc: 'Largest packet in bytes (one read per pull)' }),
    numBuffers: prop.int({ default: -1, min: -1, doc: 'Packets before end-of-stream (-1 = to the end of the file)' }),
    caps: prop.caps({ default: 'application/octet-stream', doc: 'Output caps, for a file whose format is known' }),
  },
});

export type FileSrcOptions = NonNullable<Parameters<typeof fileSrc>[0]>;

export type FileSrcPacket = Packet<CpuMemory>;

/**
 * Reads bytes as packets, as GStreamer's filesrc: one read of at most `blocksize` per pull, so a slow
 * consumer is never read ahead of (backpressure), and the source is closed exactly once on every path.
 * Packets carry no timestamps (bytes have none) and `meta.offset`, their position in the stream.
 */
export const fileSrc = FILE_SRC.implement((options, x: FileSrcExtras): Source<FileSrcPacket> => {
  const { location, blocksize, numBuffers } = options;
  const { source, opener } = x;
  if ((location === undefined) === (source === undefined)) throw new TypeError('fileSrc needs exactly one of location or source');
  // Converted now, so a wrong kind of source fails here (converting touches nothing: streams lock on first read).
  const direct = source !== undefined && typeof source !== 'function' ? toByteSource(source) : undefined;
  const template = options.caps;
  if (template.isAny || template.isEmpty()) throw new RangeError(`fileSrc caps must name a format, got ${template.toString()}`);
  return defineSource<FileSrcPacket>({
    srcCaps: template,
    fixate: (allowed) => allowed.fixate(),
    open(ctx): Reader<FileSrcPacket> {
      const handle = new OpenOnce<ByteSource>(
        () => {
          if (location !== undefined) return resolveOpener(location, opener).openRead(location, ctx.signal);
          if (typeof source === 'function') return Promise.resolve(source()).then(toByteSource);
          return direct!;
        },
        (s) => s.close(ctx.signal.aborted ? ctx.signal.reason : undefined)
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
        if (chunk.byteLength === 0 || chunk.byteLength > blocksize)
          throw new Error(`byte source broke its contract: read ${chunk.byteLength} bytes for a read of 1..${blocksize}`);
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
});
