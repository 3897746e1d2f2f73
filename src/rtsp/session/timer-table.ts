/**
 * Every deadline of a session in one place, quinn-proto's `TimerTable`: a fixed set of named timers, each
 * unset or set to an instant (ns, on whatever clock the caller uses). Pure: it arms no host timer; a driver
 * sleeps until `next()` and hands `expired(now)` to the state machine. Why one table: a deadline kept in
 * its own field is easy to forget when computing the next wake-up, and a forgotten one is a hang.
 */
import { G2gError } from '../../errors';

/** The timers of an RTSP client session, in tie-break order (an earlier name fires first at the same instant). */
export const SESSION_TIMERS = ['response', 'data', 'udp-fallback', 'keepalive', 'backoff'] as const;
export type SessionTimer = (typeof SESSION_TIMERS)[number];

/** Caller misuse: a timer the table was not made with, or a deadline that is NaN or +Infinity. */
export class TimerTableError extends G2gError {
  override readonly name = 'TimerTableError';
  constructor(message: string) {
    super('TIMER_TABLE', message);
  }
}

export class TimerTable<K extends string = SessionTimer> {
  private readonly names: readonly K[];
  /** Deadline per name, by the name's index; undefined when unset. */
  private readonly at: (number | undefined)[];

  /** `names` fixes the order ties fire in, so that runs are deterministic. */
  constructor(names: readonly K[] = SESSION_TIMERS as unknown as readonly K[]) {
    if (new Set(names).size !== names.length) throw new TimerTableError(`duplicate timer names: ${names.join(', ')}`);
    this.names = names;
    this.at = names.map(() => undefined);
  }

  /** Sets (or moves) `name`'s deadline. */
  set(name: K, deadline: number): void {
    // NaN never compares due: a timer that never fires and never clears (a hang); +Infinity is the same
    // by intent, which clear() says. -Infinity is 'due at once', as the jitter buffer's pollTimeout() says it.
    if (Number.isNaN(deadline) || deadline === Infinity)
      throw new TimerTableError(`timer '${name}': deadline must be a number or -Infinity (due at once), got ${deadline}`);
    this.at[this.index(name)] = deadline;
  }

  /** Sets `name` to `deadline`, or clears it when undefined: for copying a machine's `pollTimeout()` in. */
  update(name: K, deadline: number | undefined): void {
    if (deadline === undefined) this.clear(name);
    else this.set(name, deadline);
  }

  clear(name: K): void {
    this.at[this.index(name)] = undefined;
  }

  clearAll(): void {
    this.at.fill(undefined);
  }

  get(name: K): number | undefined {
    return this.at[this.index(name)];
  }

  isSet(name: K): boolean {
    return this.get(name) !== undefined;
  }

  /** The earliest deadline and its timer; undefined when none is set. */
  next(): { readonly name: K; readonly at: number } | undefined {
    let best = -1;
    for (let i = 0; i < this.at.length; i++) {
      const t = this.at[i];
      if (t !== undefined && (best < 0 || t < this.at[best]!)) best = i;
    }
    return best < 0 ? undefined : { name: this.names[best], at: this.at[best]! };
  }

  /** When the driver must wake next (ns), or undefined: the `pollTimeout()` of a sans-IO machine. */
  pollTimeout(): number | undefined {
    return this.next()?.at;
  }

  /**
   * The timers due at `now` (deadline ≤ now), earliest first, ties in name order; each is cleared, so that a
   * handler re-arms only what it means to (a keep-alive its next period, a response timeout nothing).
   */
  expired(now: number): K[] {
    const due: K[] = [];
    for (let n = this.next(); n !== undefined && n.at <= now; n = this.next()) {
      due.push(n.name);
      this.clear(n.name);
    }
    return due;
  }

  private index(name: K): number {
    const i = this.names.indexOf(name);
    if (i < 0) throw new TimerTableError(`no timer '${name}' (the table has ${this.names.join(', ')})`);
    return i;
  }
}
