import { EOS, type Reader } from '../element';
import { defineSource, type Source } from '../operator';
import type { Packet } from '../packet';
import type { RunOptions } from '../pipeline/run';
import { adapterFixate, packetMapper, raceAbort, templateCaps, type SourceAdapterOptions } from './common';
import { PipelineIterator } from './pipeline-iterator';

/**
 * A Source reading a WHATWG ReadableStream: one `reader.read()` per pull (the stream's own queue and
 * highWaterMark decide any read-ahead). The reader is acquired on the first pull; on close, a stream that
 * has not ended is cancelled (with the abort reason when the pipeline was aborted) and the lock released.
 * A stream error fails the pipeline.
 */
export function fromReadableStream<P extends Packet>(stream: ReadableStream<P>, options?: SourceAdapterOptions<P, P>): Source<P>;
export function fromReadableStream<T, P extends Packet>(
  stream: ReadableStream<T>,
  options: SourceAdapterOptions<T, P> & { mapToPacket: NonNullable<SourceAdapterOptions<T, P>['mapToPacket']> }
): Source<P>;
export function fromReadableStream<T, P extends Packet>(stream: ReadableStream<T>, options: SourceAdapterOptions<T, P> = {}): Source<P> {
  return defineSource<P>({
    factory: 'fromReadableStream',
    name: options.name,
    props: {},
    srcCaps: templateCaps(options.caps),
    fixate: adapterFixate(options.caps),
    open(ctx): Reader<P> {
      const toPacket = packetMapper<T, P>('fromReadableStream', ctx, options.mapToPacket);
      let reader: ReadableStreamDefaultReader<T> | undefined;
      let ended = false;
      return {
        pull(signal) {
          if (ended) return EOS;
          reader ??= stream.getReader();
          const read = reader.read();
          // A read that rejects means the stream errored: it cannot be cancelled afterwards.
          read.catch(() => (ended = true));
          return raceAbort(read, signal).then((r) => {
            if (r.done) {
              ended = true;
              return EOS;
            }
            return toPacket(r.value);
          });
        },
        async close() {
          if (!reader) return;
          if (!ended) {
            ended = true;
            // Cancelling also settles a read still pending (an abort), so the lock can be released after.
            await reader.cancel(ctx.signal.aborted ? ctx.signal.reason : undefined);
          }
          reader.releaseLock();
        },
      };
    },
  });
}

export interface ToReadableStreamOptions extends RunOptions {
  /**
   * Packets the stream may hold ahead of its reader: 0 (default) pulls through the chain only when a
   * read is pending; 1 lets the stream fetch one packet ahead.
   */
  highWaterMark?: 0 | 1;
}

/**
 * A ReadableStream over a chain (a source and its transforms, no sink), with a pull-based underlying
 * source: each `pull` asks the chain for one packet (see PipelineIterator), so the stream never reads
 * more than `highWaterMark` packets ahead. The chain runs once, from the stream's first pull (the first
 * read; with highWaterMark 1, at once); its end
 * closes the stream, its error errors it; `cancel()` aborts the run and resolves once every element has
 * closed.
 */
export function toReadableStream<T extends Packet>(source: Source<T>, options: ToReadableStreamOptions = {}): ReadableStream<T> {
  const { highWaterMark = 0, ...run } = options;
  const it = new PipelineIterator<T>(source, run, undefined, 'toReadableStream');
  return new ReadableStream<T>(
    {
      async pull(controller) {
        const r = await it.next();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      },
      async cancel() {
        await it.return();
      },
    },
    { highWaterMark }
  );
}
