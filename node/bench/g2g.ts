import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fakeSink, fakeSrc, identity, queue } from '../../operators';
import type { Operator } from '../../src/operator';
import { compose, type Pipeline } from '../../src/pipeline/pipeline';

/** The glass2glass side of one case: which pipeline, and how one run of it is timed. */
export interface G2gCase {
  readonly kind: 'identity' | 'queue';
  /** Identity elements between source and sink (ignored for 'queue'). */
  readonly hops: number;
  /** Makes one hop; default `identity()` (experiments swap in variants). */
  readonly hop?: () => Operator;
}

export function g2gPipeline(packets: number, c: G2gCase): Pipeline {
  const mid: Operator[] = c.kind === 'queue' ? [queue()] : Array.from({ length: c.hops }, c.hop ?? (() => identity()));
  return compose([fakeSrc({ numBuffers: packets }), ...mid, fakeSink()]) as Pipeline;
}

let gc: (() => void) | undefined;

/**
 * A full GC before each timed run keeps one run's garbage out of the next. Exposed lazily (not at import:
 * the CLI bundle loads this module for every command); a host that refuses the flag just skips it.
 */
export function collect(): void {
  if (!gc) {
    gc = () => undefined;
    try {
      setFlagsFromString('--expose-gc');
      const fn = runInNewContext('gc') as unknown;
      if (typeof fn === 'function') gc = fn as () => void;
    } catch {
      // no forced GC on this host
    }
  }
  gc();
}

/** Wall time (ns) of one throughput-profile run of N packets, from run() to its resolution. */
export async function timeG2g(packets: number, c: G2gCase): Promise<number> {
  const p = g2gPipeline(packets, c);
  collect();
  const t0 = process.hrtime.bigint();
  const stats = await p.run({ profile: 'throughput' });
  const t = Number(process.hrtime.bigint() - t0);
  if (stats.delivered !== packets) throw new Error(`g2g delivered ${stats.delivered} of ${packets} packets (${c.kind} ${c.hops})`);
  return t;
}

