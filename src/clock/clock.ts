/**
 * A clock gives monotonic time in nanoseconds and is the only way elements wait for time.
 * The virtual clock is also the scheduler of virtual time, so every time-based behaviour is testable.
 */
export interface Clock {
  readonly virtual: boolean;
  /** Monotonic time in ns. */
  now(): number;
  /** Resolves once `now() >= time`; rejects with the signal's reason when it aborts first. */
  sleepUntil(time: number, signal?: AbortSignal): Promise<void>;
  /** Lets the host run (I/O, signals) between bursts of synchronous work; never lets virtual time jump. */
  yieldToHost(): Promise<void>;
}

export function sleep(clock: Clock, ns: number, signal?: AbortSignal): Promise<void> {
  return clock.sleepUntil(clock.now() + ns, signal);
}
