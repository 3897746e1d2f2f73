import { fakeSink } from '../../operators/fake-sink';
import { systemClock } from '../../src/clock';
import { pipe } from '../../src/pipeline';
import { Histogram } from '../../src/pipeline/histogram';
import { LIVE, type LatencyProfile } from '../../src/pipeline/profile';
import type { RunningPipeline } from '../../src/pipeline/run';
import { h264Dec } from '../elements/h264-dec';
import { rtspSrc } from '../elements/rtsp-src';
import type { SideSnapshot, StreamsSide } from './streams-side';
import { MILLISECOND } from '../../src/time';

/**
 * The live profile with GStreamer's sync budget: GStreamer's fakesink adds its processing-deadline (20 ms)
 * to the pipeline latency that every synced frame may use, then drops past max-lateness (20 ms); the
 * live profile's latency is 0. The same 20 + 20 ms on both sides, so that "late" means the same.
 */
export const BENCH_PROFILE: LatencyProfile = Object.freeze({ ...LIVE, name: 'live (latency 20 ms)', latency: 20 * MILLISECOND });

/**
 * glass2glass's side of `g2g bench streams`: N pipelines `rtspSrc ! h264Dec live=true ! fakeSink
 * sync=true` in this process under the live profile (BENCH_PROFILE), as `g2g run` runs a file of N cameras (each its
 * own pipeline, so one failing never stops the others). Per stream, its pipeline's stats: frames that
 * reached the sink, the sink's late drops (past the sync target by more than maxLateness, 20 ms) and every
 * other drop. The live profile's 100 ms glass-to-glass deadline is off in the sink (dropLate=false):
 * GStreamer has no such rule, and late must mean the same on both sides. Glass-to-glass is capture time
 * (the server's RTCP sender reports map each frame to our source's capture stamp) → the sink taking it.
 */
export function startG2gStreams(url: string, n: number, protocols: 'tcp' | 'udp'): StreamsSide {
  const latency = new Histogram();
  let recording = false;
  const errors: (string | undefined)[] = new Array(n).fill(undefined);
  const runs: RunningPipeline[] = [];
  for (let i = 0; i < n; i++) {
    const running = pipe(rtspSrc({ location: url, protocols, latency: 0 }), h264Dec({ live: true }), fakeSink({ sync: true, dropLate: false })).start({
      profile: BENCH_PROFILE,
      clock: systemClock,
      onLatency: (ns) => {
        if (recording) latency.record(ns);
      },
    });
    running.done.catch((e: unknown) => {
      errors[i] ??= e instanceof Error ? e.message : String(e);
    });
    runs.push(running);
  }
  return {
    name: 'g2g',
    snap(): Promise<SideSnapshot> {
      const c = process.cpuUsage();
      const at = performance.now() * 1e6;
      const streams = runs.map((r, i) => {
        const s = r.stats();
        const late = s.elements.reduce((a, e) => a + (e.drops.late ?? 0), 0);
        return { delivered: s.delivered, late, drops: s.drops, error: errors[i] };
      });
      return Promise.resolve({ at, cpu: (c.user + c.system) * 1000, streams });
    },
    openWindow() {
      recording = true;
    },
    closeWindow() {
      recording = false;
      return { p95: latency.quantile(0.95), count: latency.count };
    },
    async stop() {
      for (const r of runs) r.abort();
      await Promise.allSettled(runs.map((r) => r.done));
    },
  };
}
