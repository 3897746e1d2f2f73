import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TestQuickJSWASMModule } from 'quickjs-emscripten';
import { bundle, CORE_ENTRY } from './bundle';
import { evalJson, evalVoid, loadQuickJS, OPTIONAL_GLOBALS, runUntil, withVm } from './quickjs-host';

let mod: TestQuickJSWASMModule;
let g2g: string;

beforeAll(async () => {
  [mod, g2g] = await Promise.all([loadQuickJS(), bundle(CORE_ENTRY).then((b) => b.text)]);
});

afterAll(() => {
  // Every context (and with it its runtime) was disposed; a leaked handle would have aborted that dispose.
  mod.assertNoMemoryAllocated();
});

/** Frame i's time at 30 fps, as fakeSrc computes it. */
const frame = (i: number): number => Math.round((i * 1e9) / 30);

/**
 * A fakeSink whose writer records that it was closed: close is the runtime's last duty to an element,
 * and fakeSink has no option to observe it.
 */
const PROBE = String.raw`
globalThis.__probe = { packets: 0, arrivals: [], eos: 0, closed: 0 };
globalThis.__probedSink = (clock, onPacket) => {
  const inner = g2g.fakeSink({
    onPacket: (p) => { __probe.packets++; __probe.arrivals.push(clock.now()); onPacket && onPacket(p); },
    onEos: () => { __probe.eos++; },
  }).elements[0];
  return { kind: 'sink', elements: [{ ...inner, open(ctx, branches) {
    const w = inner.open(ctx, branches);
    return { ...w, close() { __probe.closed++; return w.close && w.close(); } };
  } }] };
};
globalThis.__settle = (promise, clock) => promise.then(
  (stats) => { globalThis.__outcome = { ok: true, stats, now: clock.now(), pending: clock.pending }; },
  (e) => { globalThis.__outcome = { ok: false, name: e && e.name, message: String(e && e.message), stack: String(e && e.stack), now: clock.now(), pending: clock.pending }; },
);
`;

interface Outcome {
  ok: boolean;
  name?: string;
  message?: string;
  stack?: string;
  now: number;
  pending: number | undefined;
  stats?: { delivered: number; drops: number; latency: { count: number }; duration: number };
}
interface Probe {
  packets: number;
  arrivals: number[];
  eos: number;
  closed: number;
}
interface Counts {
  macrotasks: number;
  timersSet: number;
  timersCleared: number;
  timersFired: number;
}

function results(vm: Parameters<typeof evalJson>[0]) {
  return evalJson<{ outcome: Outcome; probe: Probe; counts: Counts }>(vm, '({ outcome: __outcome, probe: __probe, counts: __host.counts })');
}

describe('the core in QuickJS (no Node, no DOM)', () => {
  it('the VM offers none of the optional host globals, so the core cannot lean on them', () => {
    withVm(mod, g2g, (vm) => {
      const types = evalJson<Record<string, string>>(vm, `Object.fromEntries(${JSON.stringify(OPTIONAL_GLOBALS)}.map((k) => [k, typeof globalThis[k]]))`);
      expect(types).toEqual(Object.fromEntries(OPTIONAL_GLOBALS.map((k) => [k, 'undefined'])));
      expect(evalJson<string[]>(vm, "['pipe', 'VirtualClock', 'hostTimers', 'fakeSrc', 'identity', 'queue', 'fakeSink'].filter((k) => typeof g2g[k] === 'undefined')")).toEqual([]);
    });
  });

  it("runs fakeSrc(100, live) → identity → queue → fakeSink under a VirtualClock, profile 'live'", () => {
    withVm(mod, g2g, (vm) => {
      evalVoid(vm, PROBE, 'probe.js');
      evalVoid(
        vm,
        `const clock = new g2g.VirtualClock();
         __settle(g2g.pipe(g2g.fakeSrc({ numBuffers: 100, isLive: true }), g2g.identity(), g2g.queue(), __probedSink(clock))
           .run({ clock, profile: 'live' }), clock);`,
        'scenario.js',
      );
      const turns = runUntil(vm, 'globalThis.__outcome');
      const { outcome, probe, counts } = results(vm);
      expect(outcome.ok, outcome.stack).toBe(true);
      expect(probe.packets).toBe(100);
      expect(outcome.stats!.delivered).toBe(100);
      expect(outcome.now).toBe(3_300_000_000); // 99/30 s: the last frame's time, exactly
      expect(frame(99)).toBe(3_300_000_000);
      expect(probe.arrivals).toEqual(Array.from({ length: 100 }, (_, i) => frame(i)));
      expect(outcome.stats!.latency.count).toBe(100);
      expect(outcome.stats!.drops).toBe(0);
      expect(outcome.stats!.duration).toBe(3_300_000_000);
      expect(probe.eos).toBe(1);
      expect(probe.closed).toBe(1);
      expect(outcome.pending).toBe(0);
      // Virtual time moved only through the host's macrotasks; no host timer was needed.
      expect(counts.macrotasks).toBeGreaterThanOrEqual(99);
      expect(counts.timersSet).toBe(0);
      expect(turns).toBeLessThan(10_000);
    });
  });

  it('is deterministic: two runs take the same number of host turns and macrotasks', () => {
    const once = () =>
      withVm(mod, g2g, (vm) => {
        evalVoid(vm, PROBE, 'probe.js');
        evalVoid(
          vm,
          `const clock = new g2g.VirtualClock();
           __settle(g2g.pipe(g2g.fakeSrc({ numBuffers: 100, isLive: true }), g2g.identity(), g2g.queue(), __probedSink(clock))
             .run({ clock, profile: 'live' }), clock);`,
          'scenario.js',
        );
        return { turns: runUntil(vm, 'globalThis.__outcome'), ...results(vm).counts };
      });
    expect(once()).toEqual(once());
  });

  it('aborts mid-stream on the core’s own AbortController stand-in, and still closes', () => {
    withVm(mod, g2g, (vm) => {
      evalVoid(vm, PROBE, 'probe.js');
      evalVoid(
        vm,
        `const clock = new g2g.VirtualClock();
         let running;
         running = g2g.pipe(g2g.fakeSrc({ numBuffers: -1, isLive: true }), g2g.queue(),
           __probedSink(clock, () => { if (__probe.packets === 10) running.abort(); })).start({ clock, profile: 'live' });
         __settle(running.done, clock);`,
        'scenario.js',
      );
      runUntil(vm, 'globalThis.__outcome');
      const { outcome, probe } = results(vm);
      expect(outcome.ok).toBe(false);
      expect(outcome.name).toBe('AbortError');
      expect(probe.packets).toBe(10);
      expect(outcome.now).toBe(frame(9));
      expect(outcome.pending).toBe(0); // the source's pending sleep was cancelled, not left behind
      expect(probe.closed).toBe(1);
      expect(probe.eos).toBe(0);
    });
  });

  it('fans out through tee and in through merge', () => {
    withVm(mod, g2g, (vm) => {
      const r = (code: string) => {
        evalVoid(vm, `globalThis.__outcome = undefined;\n{\n${code}\n}`, 'scenario.js');
        runUntil(vm, 'globalThis.__outcome');
        return evalJson<Outcome & { a: number; b: number }>(vm, '({ ...__outcome, a: __a, b: __b })');
      };
      evalVoid(vm, PROBE, 'probe.js');
      const tee = r(`const clock = new g2g.VirtualClock(); globalThis.__a = 0; globalThis.__b = 0;
        __settle(g2g.pipe(g2g.fakeSrc({ numBuffers: 50, isLive: true }), g2g.tee({ branches: [
          g2g.pipe(g2g.queue(), g2g.fakeSink({ onPacket: () => void __a++ })), g2g.fakeSink({ onPacket: () => void __b++ })] }))
          .run({ clock, profile: 'live' }), clock);`);
      expect(tee.ok, tee.stack).toBe(true);
      expect([tee.a, tee.b, tee.now]).toEqual([50, 50, frame(49)]);
      const merged = r(`const clock = new g2g.VirtualClock(); globalThis.__a = 0; globalThis.__b = 0;
        __settle(g2g.pipe(g2g.merge([g2g.fakeSrc({ numBuffers: 20, isLive: true }), g2g.fakeSrc({ numBuffers: 30, isLive: true })]),
          g2g.fakeSink({ onPacket: () => void __a++ })).run({ clock, profile: 'throughput' }), clock);`);
      expect(merged.ok, merged.stack).toBe(true);
      expect([merged.a, merged.stats!.delivered, merged.now]).toEqual([50, 50, frame(29)]);
    });
  });

  it('runs on the system clock through the host’s setTimeout', () => {
    withVm(mod, g2g, (vm) => {
      evalVoid(vm, PROBE, 'probe.js');
      evalVoid(
        vm,
        `const clock = g2g.systemClock;
         __settle(g2g.pipe(g2g.fakeSrc({ numBuffers: 10, isLive: true }), g2g.queue(), __probedSink(clock)).run({ profile: 'live' }), clock);`,
        'scenario.js',
      );
      runUntil(vm, 'globalThis.__outcome');
      const { outcome, probe, counts } = results(vm);
      expect(outcome.ok, outcome.stack).toBe(true);
      expect(outcome.stats!.delivered).toBe(10);
      expect(outcome.stats!.latency.count).toBe(10);
      expect(probe.closed).toBe(1);
      // Nine frame waits, each one host timer; host time (ms) ends at the last frame's.
      expect(counts.timersFired).toBe(9);
      expect(Math.abs(outcome.now - frame(9))).toBeLessThanOrEqual(1);
    });
  });
});

describe('the QuickJS harness can fail', () => {
  it('without the host delegate the core says it needs timers (the shim is what makes the run work)', () => {
    withVm(mod, g2g, (vm) => {
      evalVoid(vm, PROBE, 'probe.js');
      evalVoid(
        vm,
        `g2g.hostTimers.delegate = undefined;
         const clock = new g2g.VirtualClock();
         __settle(g2g.pipe(g2g.fakeSrc({ numBuffers: 3, isLive: true }), __probedSink(clock)).run({ clock, profile: 'live' }), clock);`,
        'scenario.js',
      );
      runUntil(vm, 'globalThis.__outcome');
      const { outcome, probe } = results(vm);
      expect(outcome.ok).toBe(false);
      expect(outcome.message).toMatch(/host has no timers/);
      expect(probe.packets).toBe(1); // frame 0 is due at once; frame 1 needs the clock
    });
  });

  it('reports a deadlock instead of hanging when nothing is left to run', () => {
    withVm(mod, g2g, (vm) => {
      evalVoid(vm, 'globalThis.__never = new Promise(() => {});', 'never.js');
      expect(() => runUntil(vm, 'false')).toThrow(/deadlock/);
    });
  });

  it('bounds the turns when the host never settles', () => {
    withVm(mod, g2g, (vm) => {
      evalVoid(vm, 'const spin = () => g2g.hostTimers.macrotask(spin); spin();', 'spin.js');
      expect(() => runUntil(vm, 'false', 50)).toThrow(/after 50 turns/);
    });
  });

  it('detects a leaked handle (so the no-leak assertion means something)', async () => {
    // A module of its own: the failed free aborts the WebAssembly instance it happens in.
    const leaky = await loadQuickJS();
    const vm = leaky.newContext();
    vm.newObject(); // never disposed
    // Emscripten also prints the abort; keep the expected failure out of the test output.
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(() => vm.dispose()).toThrow(/gc_obj_list/);
    } finally {
      quiet.mockRestore();
    }
  });
});
