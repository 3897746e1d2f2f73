import type { AsyncIterableX } from 'ix/asynciterable/asynciterablex';
import type { Source } from '../operator';
import type { Packet } from '../packet';
import type { RunOptions } from '../pipeline/run';
import { importOptional } from '../util/optional';
import { PipelineIterator } from './pipeline-iterator';

// ix is an optional peer: loaded when this module is, so a missing one is a MissingDependencyError naming it.
const ix = await importOptional(
  'ix',
  'glass2glass/interop',
  () => import('ix/asynciterable/asynciterablex'),
  'the interop layer needs both rxjs and ix: npm install rxjs ix'
);

class PipelineAsyncIterable<T extends Packet> extends ix.AsyncIterableX<T> {
  constructor(private readonly source: Source<T>, private readonly options: RunOptions) {
    super();
  }

  [Symbol.asyncIterator](signal?: AbortSignal): PipelineIterator<T> {
    return new PipelineIterator(this.source, this.options, signal);
  }
}

/**
 * An IxJS AsyncIterableX over a chain (a source and its transforms, no sink). Each iteration runs the
 * chain once; every `next()` pulls one packet through it with exact backpressure (see PipelineIterator),
 * so a slow consumer slows the source. Breaking out of `for await` aborts the run and closes every element
 * before the loop exits; the run's error rejects the pending `next()`; the signal ix passes (ix operators
 * such as `takeUntil`, `withAbort`) aborts the run.
 */
export function toAsyncIterable<T extends Packet>(source: Source<T>, options: RunOptions = {}): AsyncIterableX<T> {
  return new PipelineAsyncIterable(source, options);
}
