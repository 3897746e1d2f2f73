// weston's timeline debug stream read as each commit's fate (node/bench/weston-timeline.ts): the reading
// `g2g bench display` uses for GStreamer's waylandsink. Lines as weston 10 writes them.
import { describe, expect, it } from 'vitest';
import { parseTimeline, presentedLatencies } from '../../node/bench/weston-timeline';

const t = (ms: number): string => `[${Math.floor(ms / 1000)}, ${Math.round((ms % 1000) * 1e6)}]`;
const commit = (ms: number, ws = 3) => `{ "T":${t(ms)}, "N":"core_commit_damage", "ws":${ws} }`;
const flush = (ms: number, ws = 3) => `{ "T":${t(ms)}, "N":"core_flush_damage", "ws":${ws}, "wo":2 }`;
const finished = (ms: number) => `{ "T":${t(ms)}, "N":"core_repaint_finished", "wo":2, "vblank_monotonic":${t(ms - 0.001)} }`;

describe('weston timeline', () => {
  it('a commit is shown at the vblank of the repaint that flushed its surface; one replaced before it is not', () => {
    const text = [
      '{ "id":3, "type":"weston_surface", "desc":"sub-surface", "main_surface":1 }',
      commit(1000),
      finished(1001), // a repaint that took nothing of ours (the loop's first, no flush)
      commit(1010), // replaces 1000 before any repaint flushed it
      `{ "T":${t(1020)}, "N":"core_repaint_begin", "wo":2 }`,
      flush(1020),
      finished(1036),
      commit(1040),
      flush(1045),
      '{ "T":[1, 50', // cut off when the stream stopped
    ].join('\n');
    const commits = parseTimeline(text);
    expect(commits.map((c) => [c.at / 1e6, c.presented === undefined ? undefined : Math.round(c.presented / 1e3) / 1e3])).toEqual([
      [1000, undefined],
      [1010, 1035.999],
      [1040, undefined], // flushed, but its repaint had not finished
    ]);
  });

  it('each shown commit is the newest frame to have reached the sink by then', () => {
    const commits = parseTimeline([commit(1010), flush(1020), finished(1036), commit(1070), flush(1080), finished(1100)].join('\n'));
    const frames = [
      { capture: 990e6, arrival: 1005e6 },
      { capture: 1000e6, arrival: 1008e6 }, // newer: this is what 1010 shows
      { capture: 1050e6, arrival: 1065e6 },
    ];
    expect(presentedLatencies(commits, frames).map((l) => Math.round(l / 1e3) / 1e3)).toEqual([35.999, 49.999]);
    // A commit with no frame before it (a window's own) is no frame's.
    expect(presentedLatencies(commits, [{ capture: 1050e6, arrival: 1065e6 }]).length).toBe(1);
  });
});
