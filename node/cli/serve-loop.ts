import type { Caps } from '../../src/caps';
// Not the interop entry: it loads rxjs and ix, optional peers the CLI does without.
import { fromAsyncIterable } from '../../src/interop/async-iterable';
import { PipelineIterator } from '../../src/interop/pipeline-iterator';
import type { Source } from '../../src/operator';
import type { Packet } from '../../src/packet';

/**
 * A source that plays `make()`'s stream again and again, as ffmpeg's `-stream_loop -1` or GStreamer's
 * seek back to the start on segment-done: each pass runs a fresh chain, its timestamps moved on by the
 * first pass's length (from its earliest pts to its latest pts plus duration), so pts and dts keep
 * rising across the seam and a real-time consumer paces on without a jump. Packets whose caps equal
 * the previous pass's keep that Caps object, so downstream sees no format change.
 */
export function loopSource<P extends Packet>(make: () => Source<P>, options: { name?: string; passes?: number } = {}): Source<P> {
  const passes = options.passes ?? Infinity;
  if (!(passes >= 1)) throw new RangeError(`loop passes must be at least 1, got ${passes}`);
  async function* play(signal?: AbortSignal): AsyncGenerator<P> {
    let period = 0;
    const seen: Caps[] = [];
    // Pass one's presentation times (and durations where given), to measure its length.
    const times: [pts: number, duration: number | undefined][] = [];
    for (let pass = 0; pass < passes; pass++) {
      const shift = pass * period;
      let count = 0;
      for await (const p of new PipelineIterator(make(), { signal })) {
        count++;
        if (pass === 0 && p.pts !== undefined) times.push([p.pts, p.duration]);
        const caps = seen.find((c) => c === p.caps || c.equals(p.caps)) ?? (seen.push(p.caps), p.caps);
        yield shift === 0 && caps === p.caps
          ? p
          : { ...p, caps, pts: p.pts === undefined ? undefined : p.pts + shift, dts: p.dts === undefined ? undefined : p.dts + shift };
      }
      if (count === 0) return; // an empty stream: nothing to repeat
      if (pass === 0) {
        period = streamLength(times);
        // Without timestamps there is no timeline to run on: one pass only.
        if (!(period > 0)) return;
      }
    }
  }
  return fromAsyncIterable<P>({ [Symbol.asyncIterator]: (signal?: AbortSignal) => play(signal) } as AsyncIterable<P>, { name: options.name });
}

/**
 * From the earliest pts to the latest pts plus its duration; a unit without one lasts the frame interval
 * (the smallest gap between distinct presentation times: reordered streams arrive out of pts order).
 */
function streamLength(times: readonly [number, number | undefined][]): number {
  if (times.length === 0) return 0;
  const pts = [...new Set(times.map((t) => t[0]))].sort((a, b) => a - b);
  let interval = Infinity;
  for (let i = 1; i < pts.length; i++) interval = Math.min(interval, pts[i] - pts[i - 1]);
  if (!Number.isFinite(interval)) interval = 0;
  let end = -Infinity;
  for (const [t, d] of times) end = Math.max(end, t + (d ?? interval));
  return end - pts[0];
}
