import { G2gError } from '../errors';
/**
 * AbortController where the host has none (embedded engines such as QuickJS): the core must run on
 * plain ES2022, so it never names the global directly.
 */
type Listener = (this: AbortSignal, ev: Event) => void;

class MiniAbortSignal {
  aborted = false;
  reason: unknown = undefined;
  onabort: Listener | null = null;
  private listeners: Listener[] = [];
  addEventListener(_type: 'abort', l: Listener): void {
    this.listeners.push(l);
  }
  removeEventListener(_type: 'abort', l: Listener): void {
    this.listeners = this.listeners.filter((x) => x !== l);
  }
  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }
  /** @internal */
  fire(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const ev = { type: 'abort' } as unknown as Event;
    const self = this as unknown as AbortSignal;
    this.onabort?.call(self, ev);
    for (const l of this.listeners.slice()) l.call(self, ev);
    this.listeners = [];
  }
}

class MiniAbortController {
  readonly signal = new MiniAbortSignal();
  abort(reason?: unknown): void {
    this.signal.fire(reason ?? abortError());
  }
}

const g = globalThis as { AbortController?: typeof AbortController };

export function newAbortController(): AbortController {
  return g.AbortController ? new g.AbortController() : (new MiniAbortController() as unknown as AbortController);
}

export class AbortError extends G2gError {
  override readonly name = 'AbortError';
  constructor(message = 'The operation was aborted') {
    super('ABORT_ERR', message);
  }
}

export function abortError(): Error {
  return new AbortError();
}

/** The reason an aborted signal carries, as an Error. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? abortError();
}

/** A promise that settles as `p` does, or rejects with the abort reason as soon as `signal` aborts. */
export function raceAbort<T>(p: PromiseLike<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort);
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      }
    );
  });
}

export function isAbortError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError';
}

/** A controller aborted when any parent signal aborts; `dispose` unhooks it from the parents. */
/**
 * Children of each parent signal. One listener per parent, however many children (queues, tees, interop
 * adapters) hang off it: a listener each would trip Node's MaxListenersExceededWarning past ten.
 */
const children = new WeakMap<AbortSignal, Set<AbortController>>();

function childrenOf(parent: AbortSignal): Set<AbortController> {
  let set = children.get(parent);
  if (!set) {
    const s = new Set<AbortController>();
    set = s;
    children.set(parent, s);
    parent.addEventListener('abort', () => {
      for (const c of [...s]) c.abort(abortReason(parent));
      s.clear();
    });
  }
  return set;
}

export function linkedController(...parents: AbortSignal[]): { controller: AbortController; dispose(): void } {
  const controller = newAbortController();
  const sets: Set<AbortController>[] = [];
  for (const p of parents) {
    if (p.aborted) {
      controller.abort(abortReason(p));
      break;
    }
    const set = childrenOf(p);
    set.add(controller);
    sets.push(set);
  }
  return { controller, dispose: () => sets.forEach((s) => s.delete(controller)) };
}
