import {
  newQuickJSWASMModule,
  RELEASE_SYNC,
  shouldInterruptAfterDeadline,
  TestQuickJSWASMModule,
  type QuickJSContext,
  type QuickJSHandle,
} from 'quickjs-emscripten';

/**
 * The release build (the debug one evaluates the bundle ~15× slower). It still asserts when a runtime is
 * freed with live objects, so a leaked handle fails the test; the wrapper also tracks undisposed contexts.
 */
export async function loadQuickJS(): Promise<TestQuickJSWASMModule> {
  return new TestQuickJSWASMModule(await newQuickJSWASMModule(RELEASE_SYNC));
}

/**
 * The minimal host an embedder of glass2glass writes, as plain JS inside the VM: a FIFO of macrotasks and
 * a list of timers, run one at a time by the embedder (here, the Node test) through `__host.step()`.
 * Host time is a counter in ms that moves only when the host idles forward to a timer, so runs are exact.
 */
export const HOST_SHIM = String.raw`
(() => {
  let now = 0;
  let seq = 0;
  const tasks = [];
  const timers = [];
  const counts = { macrotasks: 0, timersSet: 0, timersCleared: 0, timersFired: 0 };
  g2g.hostTimers.delegate = {
    macrotask(fn) { tasks.push(fn); },
    setTimeout(fn, ms) {
      const t = { due: now + Math.max(0, ms), seq: seq++, fn };
      let i = timers.length;
      while (i > 0 && (timers[i - 1].due > t.due || (timers[i - 1].due === t.due && timers[i - 1].seq > t.seq))) i--;
      timers.splice(i, 0, t);
      counts.timersSet++;
      return t;
    },
    clearTimeout(t) {
      const i = timers.indexOf(t);
      if (i >= 0) { timers.splice(i, 1); counts.timersCleared++; }
    },
    now() { return now; },
  };
  globalThis.__host = {
    counts,
    /** Runs one macrotask, else the next timer; says which, or 'idle' when nothing is left to run. */
    step() {
      if (tasks.length) { counts.macrotasks++; tasks.shift()(); return 'task'; }
      if (timers.length) { const t = timers.shift(); now = Math.max(now, t.due); counts.timersFired++; t.fn(); return 'timer'; }
      return 'idle';
    },
  };
})();
`;

/** The globals a host need not provide; the QuickJS context these tests use has none of them. */
export const OPTIONAL_GLOBALS = ['AbortController', 'AbortSignal', 'performance', 'TextEncoder', 'TextDecoder', 'structuredClone', 'queueMicrotask', 'setTimeout', 'setImmediate', 'MessageChannel', 'console', 'Event', 'EventTarget'];

/**
 * The value of a VM evaluation, or a plain Error carrying the VM's message and stack. Not quickjs-emscripten's
 * own error: it references the whole WebAssembly module, which a test runner would spend a minute serialising.
 */
function unwrap(vm: QuickJSContext, result: ReturnType<QuickJSContext['evalCode']>): QuickJSHandle {
  if (!result.error) return result.value;
  const dumped = vm.dump(result.error) as { name?: string; message?: string; stack?: string } | string;
  result.error.dispose();
  throw new Error(typeof dumped === 'object' && dumped ? `QuickJS ${dumped.name}: ${dumped.message}\n${dumped.stack ?? ''}` : `QuickJS threw ${JSON.stringify(dumped)}`);
}

/** Evaluates `code` and returns its value through JSON, disposing every handle on the way. */
export function evalJson<T = unknown>(vm: QuickJSContext, code: string, filename = 'eval.js'): T {
  const handle = unwrap(vm, vm.evalCode(`JSON.stringify((() => { return ${code}; })())`, filename));
  try {
    const s = vm.getString(handle);
    return s === undefined ? (undefined as T) : (JSON.parse(s) as T);
  } finally {
    handle.dispose();
  }
}

export function evalVoid(vm: QuickJSContext, code: string, filename: string): void {
  unwrap(vm, vm.evalCode(code, filename)).dispose();
}

/** Drains the VM's microtasks; an exception escaping a job fails the test. */
function drainJobs(vm: QuickJSContext): void {
  const r = vm.runtime.executePendingJobs();
  if (r.error) {
    const err = r.error.context.dump(r.error);
    r.error.dispose();
    throw new Error(`a QuickJS job threw: ${JSON.stringify(err)}`);
  }
}

/**
 * The embedder's event loop: drain microtasks, then run one macrotask (or timer), until `settled`
 * (a VM expression) is true. Bounded, and a host with nothing left to run while unsettled is a deadlock.
 */
export function runUntil(vm: QuickJSContext, settled: string, maxTurns = 10_000): number {
  for (let turn = 0; turn < maxTurns; turn++) {
    drainJobs(vm);
    if (evalJson<boolean>(vm, `!!(${settled})`)) return turn;
    const ran = evalJson<string>(vm, '__host.step()');
    if (ran === 'idle') throw new Error(`deadlock: nothing left to run after ${turn} turns and '${settled}' is still false`);
  }
  throw new Error(`'${settled}' still false after ${maxTurns} turns`);
}

/**
 * A fresh context (on a runtime of its own) with the bundle and the host shim evaluated; always disposed,
 * which frees its runtime too. An interrupt deadline and a memory cap keep a runaway core from hanging
 * or swamping the test.
 */
export function withVm<T>(mod: TestQuickJSWASMModule, bundleText: string, fn: (vm: QuickJSContext) => T): T {
  // mod.newContext, not mod.newRuntime: in quickjs-emscripten 0.32 only contexts report their disposal to the
  // test wrapper, so only they can be checked by assertNoMemoryAllocated.
  const vm = mod.newContext();
  try {
    vm.runtime.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + 5_000));
    vm.runtime.setMemoryLimit(64 * 1024 * 1024);
    evalVoid(vm, bundleText, 'g2g.js');
    evalVoid(vm, HOST_SHIM, 'host-shim.js');
    return fn(vm);
  } finally {
    vm.dispose();
  }
}
