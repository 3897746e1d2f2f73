import { Caps } from '../src/caps';
import { defineElement, prop, type ElementOptions } from '../src/descriptor';
import type { Writer } from '../src/element';
import { toByteTarget, type ByteTarget, type ByteTargetInput } from '../src/io/byte-target';
import { OpenOnce } from '../src/io/once';
import { resolveOpener, type FileOpener } from '../src/io/opener';
import { defineSink, type Sink } from '../src/operator';
import type { Packet } from '../src/packet';

/** Options that are not properties: bytes to elsewhere than a location. */
export interface FileSinkExtras {
  /** A ByteTarget or WritableStream instead of a location; or a function making one at each start. */
  target?: ByteTargetInput | (() => MaybePromise<ByteTargetInput>);
  /** Opens `location`; default: the installed one (see src/io/opener.ts). */
  opener?: FileOpener;
}

export const FILE_SINK = defineElement({
  name: 'fileSink',
  kind: 'sink',
  description: 'Writes packet payloads to a file, finalised at end-of-stream (GStreamer filesink)',
  caps: { sink: Caps.any() },
  notes:
    'Opens the file at the first packet (or end-of-stream); end-of-stream flushes and closes it, error or abort aborts it, so the handle is released on every path. Payloads must be CPU memory; empty packets write nothing.',
  properties: {
    location: prop.string({
      pattern: /./,
      accepts: 'a non-empty path or URL',
      doc: 'Path (or URL) to write, opened through the installed file opener (or give `target`)',
    }),
    append: prop.boolean({ default: false, doc: 'Append to an existing file instead of replacing it' }),
    sync: prop.boolean({ default: false, doc: "Wait for each packet's presentation time on the clock (false, as GStreamer's filesink)" }),
    dropLate: prop.boolean({ default: false, doc: 'Drop packets older than the live deadline (false: a recording keeps every packet)' }),
  },
});

export type FileSinkOptions = ElementOptions<typeof FILE_SINK> & FileSinkExtras;
import { isPromiseLike, type MaybePromise } from '../src/util/promise';

/**
 * Writes packet payloads to a byte target in order, as GStreamer's filesink. End-of-stream flushes and
 * closes the target (finalising the file); on error or abort the target is aborted, so its handle is
 * released on every path. Payloads must be CPU memory; empty packets (gaps) write nothing.
 */
const createFileSink = FILE_SINK.implement((options, x: FileSinkExtras): Sink<Packet> => {
  const { location, append } = options;
  const { target, opener } = x;
  if ((location === undefined) === (target === undefined)) throw new TypeError('fileSink needs exactly one of location or target');
  // Converted now, so a wrong kind of target fails here (a WritableStream locks on first write only).
  const direct = target !== undefined && typeof target !== 'function' ? toByteTarget(target) : undefined;
  return defineSink<Packet>({
    sinkCaps: Caps.any(),
    sync: options.sync,
    dropLate: options.dropLate,
    open(ctx): Writer<Packet> {
      let finished = false;
      const handle = new OpenOnce<ByteTarget>(
        () => {
          if (location !== undefined) return resolveOpener(location, opener).openWrite(location, { append }, ctx.signal);
          if (typeof target === 'function') return Promise.resolve(target()).then(toByteTarget);
          return direct!;
        },
        // After end() the target is closed; otherwise this is an error or abort path.
        (t) => (finished ? undefined : t.abort ? t.abort(ctx.signal.aborted ? ctx.signal.reason : undefined) : t.close())
      );
      // A target handed over as an object is ours from now on: aborted even if the run fails before writing.
      if (direct) handle.get();
      const write = (t: ByteTarget, data: Uint8Array, signal: AbortSignal) => t.write(data, signal);
      return {
        write(p, signal) {
          const m = p.memory;
          if (m.domain === 'none') return;
          if (m.domain !== 'cpu') throw new TypeError(`${ctx.name} writes CPU memory; got ${m.domain} memory (download it to the CPU first)`);
          if (m.data.byteLength === 0) return;
          const t = handle.get();
          return isPromiseLike(t) ? t.then((x) => write(x, m.data, signal)) : write(t, m.data, signal);
        },
        async end(signal) {
          // Opened here when no packet came, so that an empty stream still makes an (empty) file.
          const t = await handle.get();
          await t.flush?.(signal);
          finished = true;
          await t.close();
        },
        close: () => handle.dispose(),
      };
    },
  });
});

export const fileSink = <T extends Packet = Packet>(options: FileSinkOptions): Sink<T> => createFileSink(options);
