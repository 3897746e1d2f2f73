import { Caps } from '../src/caps';
import type { Writer } from '../src/element';
import { toByteTarget, type ByteTarget, type ByteTargetInput } from '../src/io/byte-target';
import { OpenOnce } from '../src/io/once';
import { resolveOpener, type FileOpener } from '../src/io/opener';
import { defineSink, type Sink } from '../src/operator';
import type { Packet } from '../src/packet';
import { isPromiseLike, type MaybePromise } from '../src/util/promise';
import type { ElementEntry } from './registry';

export interface FileSinkOptions {
  name?: string;
  /** A path or URL, opened when the first packet (or end-of-stream) arrives, through `opener` or the installed opener. */
  location?: string;
  /** A ByteTarget or WritableStream instead of a location; or a function making one at each start. */
  target?: ByteTargetInput | (() => MaybePromise<ByteTargetInput>);
  opener?: FileOpener;
  /** Append to an existing file instead of replacing it (GStreamer's append). */
  append?: boolean;
  /** Wait for each packet's presentation time; default false, as GStreamer's filesink. */
  sync?: boolean;
  /** Drop packets late for the live deadline; default false: a recording keeps every packet. */
  dropLate?: boolean;
}

/**
 * Writes packet payloads to a byte target in order, as GStreamer's filesink. End-of-stream flushes and
 * closes the target (finalising the file); on error or abort the target is aborted, so its handle is
 * released on every path. Payloads must be CPU memory; empty packets (gaps) write nothing.
 */
export function fileSink<T extends Packet = Packet>(options: FileSinkOptions): Sink<T> {
  const { location, target, opener } = options;
  if ((location === undefined) === (target === undefined)) throw new TypeError('fileSink needs exactly one of location or target');
  if (location !== undefined && (typeof location !== 'string' || location === '')) throw new TypeError('fileSink location must be a non-empty string');
  const append = options.append ?? false;
  // Converted now, so a wrong kind of target fails here (a WritableStream locks on first write only).
  const direct = target !== undefined && typeof target !== 'function' ? toByteTarget(target) : undefined;
  return defineSink<T>({
    factory: 'fileSink',
    name: options.name,
    props: { location, append: options.append, sync: options.sync },
    sinkCaps: Caps.any(),
    sync: options.sync ?? false,
    dropLate: options.dropLate ?? false,
    open(ctx): Writer<T> {
      let finished = false;
      const handle = new OpenOnce<ByteTarget>(
        () => {
          if (location !== undefined) return resolveOpener(location, opener).openWrite(location, { append }, ctx.signal);
          if (typeof target === 'function') return Promise.resolve(target()).then(toByteTarget);
          return direct!;
        },
        // After end() the target is closed; otherwise this is an error or abort path.
        (t) => (finished ? undefined : t.abort ? t.abort(ctx.signal.aborted ? ctx.signal.reason : undefined) : t.close()),
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
}

/** Launch-syntax entry: `location` opens through the installed opener (Node: installNodeFileOpener()). */
export const fileSinkEntry: ElementEntry = {
  name: 'fileSink',
  kind: 'sink',
  description: 'Writes packet payloads to a file, finalised at end-of-stream (GStreamer filesink)',
  caps: { sink: 'ANY' },
  properties: [
    { name: 'location', type: 'string', description: 'Path (or URL) to write, opened through the installed file opener' },
    { name: 'append', type: 'boolean', default: false, description: 'Append to an existing file instead of replacing it' },
    { name: 'sync', type: 'boolean', default: false, description: "Wait for each packet's presentation time on the clock" },
    { name: 'drop-late', type: 'boolean', default: false, description: 'Drop packets older than the live deadline' },
  ],
  create: (p) => {
    if (p.location === undefined) throw new RangeError('fileSink needs location=PATH');
    return fileSink({ name: p.name, location: p.location, append: p.append, sync: p.sync, dropLate: p['drop-late'] });
  },
};
