import { abortReason } from '../util/abort';
import type { Clock } from './clock';
import { hostTimers } from './host';

/** The host's monotonic clock (performance.now), in ns. */
export class SystemClock implements Clock {
  readonly virtual = false;

  now(): number {
    return Math.round(hostTimers.now() * 1e6);
  }

  sleepUntil(time: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const ms = (time - this.now()) / 1e6;
      if (ms <= 0) return resolve();
      const onAbort = () => {
        hostTimers.clearTimeout(handle);
        reject(abortReason(signal!));
      };
      const handle = hostTimers.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort);
    });
  }

  yieldToHost(): Promise<void> {
    return new Promise<void>((resolve) => hostTimers.macrotask(resolve));
  }
}

export const systemClock: Clock = new SystemClock();
