import { abortReason } from '../util/abort';
import type { Clock } from './clock';
import { hostTimers } from './host';

interface Timer {
  readonly time: number;
  readonly seq: number;
  resolve(): void;
  cancelled: boolean;
}

/**
 * Virtual time that advances only when all pipeline work is waiting on the clock.
 *
 * "All work is waiting" is detected the way the event loop defines it: a macrotask runs only after every
 * microtask has drained, so when our advance task runs, every promise chain in the pipeline has settled
 * on a timer (or on something outside the clock, which a virtual-time test must not have). Work that
 * yields to the host in the meantime holds the clock (`busy`), so yielding never lets time jump.
 * Timers at the same instant fire in the order they were set, so runs are deterministic.
 */
export class VirtualClock implements Clock {
  readonly virtual = true;
  private time: number;
  private seq = 0;
  private timers: Timer[] = [];
  private busy = 0;
  private scheduled = false;
  private readonly auto: boolean;

  constructor(options: { start?: number; autoAdvance?: boolean } = {}) {
    this.time = options.start ?? 0;
    this.auto = options.autoAdvance ?? true;
  }

  now(): number {
    return this.time;
  }

  /** Number of timers waiting. */
  get pending(): number {
    return this.timers.length;
  }

  sleepUntil(time: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (time <= this.time) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer: Timer = { time, seq: this.seq++, resolve, cancelled: false };
      if (signal) {
        const onAbort = () => {
          timer.cancelled = true;
          this.remove(timer);
          reject(abortReason(signal));
        };
        signal.addEventListener('abort', onAbort);
        timer.resolve = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
      }
      this.insert(timer);
      this.schedule();
    });
  }

  yieldToHost(): Promise<void> {
    this.busy++;
    return new Promise<void>((resolve) =>
      hostTimers.macrotask(() => {
        this.busy--;
        resolve();
      }),
    );
  }

  /** Moves time forward to `time`, firing every timer due on the way, in order. For manual tests. */
  advanceTo(time: number): void {
    while (this.timers.length > 0 && this.timers[0].time <= time) this.fireNext();
    if (time > this.time) this.time = time;
  }

  advanceBy(ns: number): void {
    this.advanceTo(this.time + ns);
  }

  private insert(timer: Timer): void {
    // Timers are few (one or two an element); a sorted array beats a heap here.
    const t = this.timers;
    let i = t.length;
    while (i > 0 && (t[i - 1].time > timer.time || (t[i - 1].time === timer.time && t[i - 1].seq > timer.seq))) i--;
    t.splice(i, 0, timer);
  }

  private remove(timer: Timer): void {
    const i = this.timers.indexOf(timer);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Fires every timer at the earliest pending instant. */
  private fireNext(): void {
    const first = this.timers[0];
    this.time = Math.max(this.time, first.time);
    while (this.timers.length > 0 && this.timers[0].time === first.time) {
      const t = this.timers.shift()!;
      if (!t.cancelled) t.resolve();
    }
  }

  private schedule(): void {
    if (!this.auto || this.scheduled) return;
    this.scheduled = true;
    hostTimers.macrotask(this.advance);
  }

  private readonly advance = (): void => {
    this.scheduled = false;
    if (this.timers.length === 0) return;
    if (this.busy > 0) return this.schedule();
    this.fireNext();
    if (this.timers.length > 0) this.schedule();
  };
}
