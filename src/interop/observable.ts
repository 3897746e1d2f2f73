import { G2gError } from '../errors';
import type { Observable, ObservableInput, OperatorFunction, Subscription } from 'rxjs';
import { Caps } from '../caps';
import { EOS, type QueueReporter, type Pulled, type Reader } from '../element';
import { defineSink, defineSource, type Source, type Transform } from '../operator';
import type { Packet } from '../packet';
import { BoundedBuffer } from '../pipeline/bounded-buffer';
import { pipe, Pipeline } from '../pipeline/pipeline';
import type { RunOptions } from '../pipeline/run';
import { linkedController } from '../util/abort';
import { adapterFixate, packetMapper, templateCaps, type SourceAdapterOptions } from './common';
import { UnboundedBuffer } from './unbounded-buffer';
import { importOptional } from '../util/optional';

// rxjs is an optional peer: loaded when this module is, so a missing one is a MissingDependencyError naming it.
const rx = await importOptional('rxjs', 'glass2glass/interop', () => import('rxjs'), 'the interop layer needs both rxjs and ix: npm install rxjs ix');

/**
 * What `fromObservable` does when the Observable pushes faster than the pipeline pulls. 'block' is not
 * on offer: nothing can make a push source wait.
 * - 'drop-oldest': keep the newest `bufferSize` values (live video: the latest frame wins);
 * - 'drop-newest': keep the oldest, discard what arrives while full;
 * - 'error': fail the pipeline at the first value that finds the buffer full;
 * - 'buffer': never lose a value; memory is unbounded (explicit opt-in).
 * Drops are counted in stats under the reason 'overflow'.
 */
export type ObservableOverflow = 'drop-oldest' | 'drop-newest' | 'error' | 'buffer';

export type OverflowOptions =
  | { overflow: 'drop-oldest' | 'drop-newest' | 'error'; /** Values held while the pipeline is behind (≥ 1). */ bufferSize: number }
  | { overflow: 'buffer'; bufferSize?: undefined };

export type FromObservableOptions<T, P extends Packet> = SourceAdapterOptions<T, P> & OverflowOptions;

/** Raised (as the cause of the pipeline's ElementError) by overflow 'error'. */
export class OverflowError extends G2gError {
  override readonly name = 'OverflowError';
  constructor(readonly element: string, readonly bufferSize: number) {
    super(
      'OVERFLOW',
      `${element}: the Observable pushed faster than the pipeline pulls and overflowed its buffer of ${bufferSize} ` +
        `packet${bufferSize === 1 ? '' : 's'} (overflow: 'error'); raise bufferSize, choose a drop policy, or slow the Observable`
    );
  }
}

interface PushBuffer<T> {
  readonly length: number;
  push(item: T): unknown;
  pull(signal: AbortSignal): Pulled<T> | Promise<Pulled<T>>;
  end(): void;
  fail(e: unknown): void;
}

/**
 * A Source fed by an Observable (or anything `from` accepts). The Observable pushes into a buffer with
 * the given overflow policy; the pipeline pulls from it. Subscribes on the first pull, unsubscribes when
 * the element closes (end of stream, error or abort alike; once); an Observable error fails the pipeline
 * after the packets before it, completion is end-of-stream.
 */
export function fromObservable<P extends Packet>(input: ObservableInput<P>, options: FromObservableOptions<P, P>): Source<P>;
export function fromObservable<T, P extends Packet>(
  input: ObservableInput<T>,
  options: FromObservableOptions<T, P> & { mapToPacket: NonNullable<SourceAdapterOptions<T, P>['mapToPacket']> }
): Source<P>;
export function fromObservable<T, P extends Packet>(input: ObservableInput<T>, options: FromObservableOptions<T, P>): Source<P> {
  const { overflow, bufferSize } = options;
  if (overflow !== 'buffer' && !(Number.isInteger(bufferSize) && bufferSize >= 1)) {
    throw new RangeError(`fromObservable: overflow '${overflow}' needs an integer bufferSize ≥ 1, got ${bufferSize}`);
  }
  if (!['drop-oldest', 'drop-newest', 'error', 'buffer'].includes(overflow)) {
    throw new RangeError(`fromObservable: unknown overflow policy '${overflow}'`);
  }
  return defineSource<P>({
    factory: 'fromObservable',
    name: options.name,
    props: { overflow, 'buffer-size': bufferSize },
    srcCaps: templateCaps(options.caps),
    fixate: adapterFixate(options.caps),
    open(ctx): Reader<P> {
      const toPacket = packetMapper<T, P>('fromObservable', ctx, options.mapToPacket);
      // BoundedBuffer reports its drops as 'leaky' (a queue's word); here they are overflow of a push source.
      const report: QueueReporter = {
        drop: (_reason, count) => ctx.report.drop('overflow', count),
        queueDepth: (depth, capacity) => ctx.report.queueDepth(depth, capacity),
      };
      const buffer: PushBuffer<P> =
        overflow === 'buffer'
          ? new UnboundedBuffer<P>(report)
          : new BoundedBuffer<P>(bufferSize, overflow === 'drop-newest' ? 'drop-newest' : 'drop-oldest', report);
      const stop$ = new rx.Subject<void>();
      let subscription: Subscription | undefined;
      let stopped = false;
      let overflowed: OverflowError | undefined;
      const stop = (): void => {
        if (stopped) return;
        stopped = true;
        // takeUntil closes the subscriber at once, so even a synchronous source (range) stops emitting.
        stop$.next();
        subscription?.unsubscribe();
      };
      const subscribe = (): void => {
        subscription = rx
          .from(input)
          .pipe(rx.takeUntil(stop$))
          .subscribe({
            next(value) {
              if (stopped) return;
              let p: P;
              try {
                p = toPacket(value);
              } catch (e) {
                buffer.fail(e);
                return stop();
              }
              if (overflow === 'error' && buffer.length >= bufferSize) {
                overflowed = new OverflowError(ctx.name, bufferSize);
                return stop();
              }
              buffer.push(p);
            },
            error(e) {
              if (stopped) return;
              buffer.fail(e);
              stopped = true;
            },
            complete() {
              if (stopped) return;
              buffer.end();
              stopped = true;
            },
          });
        // A synchronous source may have stopped before `subscribe` returned the subscription.
        if (stopped) subscription.unsubscribe();
      };
      return {
        pull(signal) {
          if (!subscription && !stopped) subscribe();
          // Fail at once rather than after draining: the point of 'error' is to notice falling behind.
          if (overflowed) throw overflowed;
          return buffer.pull(signal);
        },
        close() {
          stop();
          buffer.end();
        },
      };
    },
  });
}

/**
 * An Observable that runs `source` (a source and its transforms, no sink) once per subscription, emitting
 * every packet that reaches the end of the chain. Unsubscribing aborts the run (every element closes);
 * the run's error is the Observable's error; end of stream completes it, after every element has closed.
 * RxJS has no backpressure: the chain runs as fast as its source (and `next`) allow.
 */
export function toObservable<T extends Packet>(source: Source<T>, options: RunOptions = {}): Observable<T> {
  return new rx.Observable<T>((subscriber) => {
    const { controller, dispose } = options.signal ? linkedController(options.signal) : linkedController();
    const sink = defineSink<T>({
      factory: 'toObservable',
      props: {},
      sinkCaps: Caps.any(),
      open: () => ({
        write(p: T) {
          subscriber.next(p);
          // A synchronous chain can run inside `subscribe`, before the teardown below is registered:
          // stop as soon as the subscriber is gone (take(n)).
          if (subscriber.closed) controller.abort();
        },
      }),
    });
    const running = new Pipeline([...source.elements, ...sink.elements]).start({ ...options, signal: controller.signal });
    running.done
      .then(
        () => subscriber.complete(),
        (e) => {
          if (!subscriber.closed) subscriber.error(e);
        }
      )
      .finally(dispose);
    return () => controller.abort();
  });
}

export type ThroughOptions = OverflowOptions & {
  name?: string;
  caps?: Caps | string;
  /** How the inner pipeline runs (clock, profile, signal…). */
  run?: RunOptions;
};

/**
 * An RxJS operator running each packet through a glass2glass Transform: `packets$.pipe(through(t, { overflow }))`.
 * The upstream Observable feeds the transform as `fromObservable` does (so the overflow policy applies);
 * the output is emitted as `toObservable` does.
 */
export function through<I extends Packet, O extends Packet>(transform: Transform<I, O>, options: ThroughOptions): OperatorFunction<I, O> {
  const { run, ...fromOptions } = options;
  return (input$) => toObservable(pipe(fromObservable<I>(input$, fromOptions as FromObservableOptions<I, I>), transform), run);
}
