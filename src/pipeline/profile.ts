import { MILLISECOND } from '../time';

/**
 * How a pipeline trades latency against completeness. Elements read their defaults from it; an explicit
 * property on an element always wins.
 *
 * live — the newest frame matters most:
 *   - queues hold `queueMaxBuffers` (2) and, when full, drop the OLDEST packet (GStreamer leaky=downstream);
 *   - a sink drops a packet whose glass-to-glass age (clock now − capture time) exceeds `deadline` (100 ms);
 *   - sinks present as soon as a packet is ready; with `sync` they wait for base time + running time +
 *     `latency`, and drop what is later than that by more than `maxLateness` (20 ms, as GStreamer's
 *     video sinks);
 *   - every drop is counted per element and reason.
 * throughput — every packet matters: queues of 200 that block (never drop), no deadline, no late drops.
 */
export interface LatencyProfile {
  readonly name: string;
  readonly queueMaxBuffers: number;
  readonly queueLeaky: 'no' | 'upstream' | 'downstream';
  /** Max glass-to-glass age (ns) at a sink before a packet is dropped; undefined: never. */
  readonly deadline: number | undefined;
  /** Sinks wait for presentation time on the clock by default. */
  readonly sync: boolean;
  /** Offset (ns) added to running time when syncing. */
  readonly latency: number;
  /** How late (ns) a synced packet may be before it is dropped; undefined: never. */
  readonly maxLateness: number | undefined;
}

export const LIVE: LatencyProfile = Object.freeze({
  name: 'live',
  queueMaxBuffers: 2,
  queueLeaky: 'downstream',
  deadline: 100 * MILLISECOND,
  sync: false,
  latency: 0,
  maxLateness: 20 * MILLISECOND,
});

export const THROUGHPUT: LatencyProfile = Object.freeze({
  name: 'throughput',
  queueMaxBuffers: 200,
  queueLeaky: 'no',
  deadline: undefined,
  sync: false,
  latency: 0,
  maxLateness: undefined,
});

export function resolveProfile(p: 'live' | 'throughput' | LatencyProfile | undefined): LatencyProfile {
  if (p === undefined || p === 'throughput') return THROUGHPUT;
  if (p === 'live') return LIVE;
  return p;
}
