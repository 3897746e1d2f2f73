import { EventEmitter } from 'node:events';
import { Observable, map, type OperatorFunction } from 'rxjs';
import { hostTimers, type HostTimers } from '../../src/clock/host';
import { EOS, type Pulled, type Reader } from '../../src/element';
import { NO_MEMORY } from '../../src/memory/memory';
import { EMPTY_META, PacketFlags, type Packet } from '../../src/packet';
import { Caps } from '../../src/caps';
import { isPromiseLike, type MaybePromise } from '../../src/util/promise';
import { collect, timeG2g } from './g2g';
import { batchedQueue, elidedIdentityOpen, PATCHES, type Patch } from './patches';
import { queue } from '../../operators';
import { defineTransform, type Operator } from '../../src/operator';
import type { ExperimentResult } from './format';
import { median, type Progress } from './harness';

/**
 * Hot-path design experiments, for the DESIGN.md record ("why a synchronous-when-possible pull, why not
 * async iterators per hop"). Every variant moves the same packets (fresh objects of the Packet shape,
 * as fakeSrc makes) from a counting source through `hops` pass-through stages into a counting sink;
 * only the hop mechanism differs. Same method as the main benchmark: warm-up, median of 3, interleaved.
 */

const CAPS = Caps.parse('application/octet-stream');

function makePacket(i: number): Packet {
  return { caps: CAPS, pts: i, dts: i, duration: 1, flags: PacketFlags.KEYFRAME, memory: NO_MEMORY, meta: EMPTY_META };
}

/** Runs `packets` through `hops` stages; resolves with the count that reached the sink. */
type Variant = (packets: number, hops: number) => number | Promise<number>;

/** Times itself (the runtime variants, through timeG2g, which collects garbage first): ns of one run. */
type Timed = (packets: number, hops: number) => Promise<number>;

interface Experiment {
  readonly name: string;
  readonly description: string;
  readonly run: Variant | { timed: Timed };
}

/** The pull protocol with nothing else: each hop a closure that forwards pull and checks for a promise. */
const syncPull: Variant = (packets, hops) => {
  let i = 0;
  let r: Reader<Packet> = { pull: () => (i < packets ? makePacket(i++) : EOS) };
  for (let h = 0; h < hops; h++) {
    const up = r;
    r = {
      pull(signal): MaybePromise<Pulled<Packet>> {
        const x = up.pull(signal);
        return isPromiseLike(x) ? Promise.resolve(x) : x;
      },
    };
  }
  const signal = new AbortController().signal;
  let n = 0;
  for (;;) {
    const x = r.pull(signal);
    if (isPromiseLike(x)) throw new Error('unexpected promise');
    if (x === EOS) return n;
    n++;
  }
};

/** Every hop an async function: one promise and one microtask turn per packet per hop. */
const promisePerHop: Variant = async (packets, hops) => {
  let i = 0;
  let pull: () => Promise<Pulled<Packet>> = async () => (i < packets ? makePacket(i++) : EOS);
  for (let h = 0; h < hops; h++) {
    const up = pull;
    pull = async () => await up();
  }
  let n = 0;
  for (;;) {
    const x = await pull();
    if (x === EOS) return n;
    n++;
  }
};

/** The idiomatic JS stream: an async generator per hop, `for await` at the sink. */
const asyncGenerators: Variant = async (packets, hops) => {
  async function* src(): AsyncGenerator<Packet> {
    for (let i = 0; i < packets; i++) yield makePacket(i);
  }
  async function* hop(up: AsyncIterable<Packet>): AsyncGenerator<Packet> {
    for await (const p of up) yield p;
  }
  let it: AsyncIterable<Packet> = src();
  for (let h = 0; h < hops; h++) it = hop(it);
  let n = 0;
  for await (const _ of it) n++;
  return n;
};

/** Sync generators per hop: what iterators cost without the promise. */
const syncGenerators: Variant = (packets, hops) => {
  function* src(): Generator<Packet> {
    for (let i = 0; i < packets; i++) yield makePacket(i);
  }
  function* hop(up: Iterable<Packet>): Generator<Packet> {
    for (const p of up) yield p;
  }
  let it: Iterable<Packet> = src();
  for (let h = 0; h < hops; h++) it = hop(it);
  let n = 0;
  for (const _ of it) n++;
  return n;
};

/** Push instead of pull: an RxJS `map(x => x)` per hop (no backpressure, so not an option for media). */
const rxjsPush: Variant = (packets, hops) => {
  const src = new Observable<Packet>((sub) => {
    for (let i = 0; i < packets && !sub.closed; i++) sub.next(makePacket(i));
    sub.complete();
  });
  const ops: OperatorFunction<Packet, Packet>[] = Array.from({ length: hops }, () => map((p: Packet) => p));
  let n = 0;
  (ops.reduce<Observable<Packet>>((o, op) => o.pipe(op), src)).subscribe({ next: () => void n++ });
  return n;
};

const runtime = { timed: (packets: number, hops: number) => timeG2g(packets, { kind: 'identity', hops }) };

/**
 * The runtime with the host clock stubbed: what the sampled per-element timing (two clock reads per
 * link every 16th packet, at ~100 ns each on a VM) costs per hop.
 */
const runtimeNoClock = { timed: async (packets: number, hops: number): Promise<number> => {
  const real = hostTimers.delegate;
  const stub: HostTimers = {
    macrotask: (fn) => void setImmediate(fn),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    now: () => 0,
  };
  hostTimers.delegate = stub;
  try {
    return await timeG2g(packets, { kind: 'identity', hops });
  } finally {
    hostTimers.delegate = real;
  }
} };

const patched = (p: Patch): Experiment => ({
  name: `runtime, ${p.name}`,
  description: p.description,
  run: {
    timed: async (packets, hops) => {
      const undo = p.apply();
      try {
        return await timeG2g(packets, { kind: 'identity', hops });
      } finally {
        undo();
      }
    },
  },
});

/** identity's plain reader wraps upstream in a closure; handing back upstream's reader saves a call. */
const elided = () => defineTransform({ factory: 'identity', props: {}, sinkCaps: Caps.any(), srcCaps: Caps.any(), passthrough: true, open: elidedIdentityOpen });
const runtimeElided = { timed: (packets: number, hops: number) => timeG2g(packets, { kind: 'identity', hops, hop: elided }) };

/**
 * Every queue links an abort listener to the pipeline's signal, so ten queues pass Node's default of ten
 * listeners per EventTarget and it warns of a leak (a finding for the runtime, not for this experiment).
 */
const queueChain = (hop: () => Operator) => ({
  timed: async (packets: number, hops: number): Promise<number> => {
    const max = EventEmitter.defaultMaxListeners;
    EventEmitter.defaultMaxListeners = 0;
    try {
      return await timeG2g(packets, { kind: 'identity', hops, hop });
    } finally {
      EventEmitter.defaultMaxListeners = max;
    }
  },
});

export const EXPERIMENTS: readonly Experiment[] = [
  { name: 'runtime', description: 'the real pipeline: Link per hop, sampled timing (same as the main table)', run: runtime },
  { name: 'runtime, clock stubbed', description: 'the real pipeline with hostTimers.now() stubbed to 0: cost of the clock reads', run: runtimeNoClock },
  ...PATCHES.map(patched),
  { name: 'runtime, identity elided', description: "identity's reader is upstream's (no forwarding closure); only the Link remains", run: runtimeElided },
  { name: 'queue per hop', description: 'a chain of queue() instead of identity() (throughput profile: 200, blocking)', run: queueChain(() => queue()) },
  { name: 'queue, batched feeder', description: 'queue whose feeder yields only when the buffer is full (or every 64 packets)', run: queueChain(() => batchedQueue()) },
  { name: 'sync pull, bare', description: 'Reader per hop, isPromiseLike check, no Link: the protocol floor', run: syncPull },
  { name: 'sync generators', description: 'function* per hop, for…of at the sink', run: syncGenerators },
  { name: 'rxjs map (push)', description: 'Observable + map(x => x) per hop, synchronous push, no backpressure', run: rxjsPush },
  { name: 'promise per hop', description: 'async pull() per hop: await at every hop', run: promisePerHop },
  { name: 'async generators', description: 'async function* per hop, for await at the sink', run: asyncGenerators },
];

const now = (): bigint => process.hrtime.bigint();

/** Packets per experiment run: capped so the slow variants stay within seconds. */
export const EXPERIMENT_MAX_PACKETS = 1_000_000;

export async function runExperiments(packets: number, hopList: readonly number[], progress: Progress = () => undefined): Promise<ExperimentResult[]> {
  const n = Math.min(packets, EXPERIMENT_MAX_PACKETS);
  const hops = [...new Set([0, ...hopList])].sort((a, b) => a - b);
  const maxHops = hops[hops.length - 1];
  const times = new Map<string, number[]>();
  const time = async (x: Experiment, h: number): Promise<number> => {
    if (typeof x.run !== 'function') return x.run.timed(n, h);
    collect();
    const t0 = now();
    const got = await x.run(n, h);
    const t = Number(now() - t0);
    if (got !== n) throw new Error(`${x.name}: ${got} of ${n} packets arrived`);
    return t;
  };
  for (const x of EXPERIMENTS) {
    progress(`experiments: warm-up ${x.name}`);
    for (const h of hops) await time(x, h);
  }
  for (let r = 0; r < 3; r++) {
    for (const x of EXPERIMENTS) {
      progress(`experiments: run ${r + 1}/3 ${x.name}`);
      for (const h of hops) {
        const k = `${x.name}/${h}`;
        if (!times.has(k)) times.set(k, []);
        times.get(k)!.push(await time(x, h));
      }
    }
  }
  return EXPERIMENTS.map((x) => {
    const per = Object.fromEntries(hops.map((h) => [String(h), median(times.get(`${x.name}/${h}`)!) / n]));
    return {
      name: x.name,
      description: x.description,
      packets: n,
      nsPerPacket: per,
      nsPerHop: maxHops > 0 ? (per[String(maxHops)] - per['0']) / maxHops : NaN,
    };
  });
}
