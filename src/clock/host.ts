/**
 * The only place the core touches the host's timers. As RxJS's timeout provider, the delegate can be
 * swapped (an embedded engine without timers installs its own), so no operator needs test hooks.
 */
export interface HostTimers {
  /** Runs `fn` after the current macrotask and all its microtasks. */
  macrotask(fn: () => void): void;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Monotonic milliseconds, sub-millisecond where the host allows. */
  now(): number;
}

const g = globalThis as {
  setImmediate?: (fn: () => void) => unknown;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (h: unknown) => void;
  MessageChannel?: typeof MessageChannel;
  performance?: { now(): number };
};

function defaultMacrotask(): (fn: () => void) => void {
  if (g.setImmediate) return (fn) => void g.setImmediate!(fn);
  if (g.MessageChannel) {
    // Browsers clamp setTimeout(0) to ≥ 1–4 ms; a message port posts a true macrotask.
    const ch = new g.MessageChannel();
    const queue: Array<() => void> = [];
    ch.port1.onmessage = () => queue.shift()?.();
    return (fn) => {
      queue.push(fn);
      ch.port2.postMessage(0);
    };
  }
  if (g.setTimeout) return (fn) => void g.setTimeout!(fn, 0);
  throw new Error('glass2glass: the host has no timers; install them with hostTimers.delegate = …');
}

// Bound once: `globalThis.performance` is a getter in Node, and this is read on hot paths.
const perfNow: () => number = g.performance ? g.performance.now.bind(g.performance) : Date.now;

let macrotaskImpl: ((fn: () => void) => void) | undefined;

export const hostTimers: HostTimers & { delegate: HostTimers | undefined } = {
  delegate: undefined,
  macrotask(fn) {
    if (this.delegate) return this.delegate.macrotask(fn);
    (macrotaskImpl ??= defaultMacrotask())(fn);
  },
  setTimeout(fn, ms) {
    if (this.delegate) return this.delegate.setTimeout(fn, ms);
    if (!g.setTimeout) throw new Error('glass2glass: the host has no setTimeout');
    return g.setTimeout(fn, ms);
  },
  clearTimeout(h) {
    if (this.delegate) return this.delegate.clearTimeout(h);
    g.clearTimeout?.(h);
  },
  now() {
    if (this.delegate) return this.delegate.now();
    return perfNow();
  },
};
