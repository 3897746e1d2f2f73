// `g2g bench streams` end to end, briefly (N up to 2, windows of 2 s): both sides against one real
// `g2g serve --test-pattern`, GStreamer's counters read from its fakesinks' stats by the bench's script.
// Not a timed test: it checks the shape of the report, that the search agrees with its trials, and that
// real frames were counted on both sides (a broken reader counts none).
import { beforeAll, describe, expect, it } from 'vitest';
import { benchStreams, formatStreamsReport, type StreamsReport } from '../../node/bench/streams';
import { ensureBuilt } from '../cli/cli-process';
import { requirePeer } from '../peers';

requirePeer('native', 'gstreamer', 'gst-rtsp-server');

describe('g2g bench streams', () => {
  beforeAll(() => ensureBuilt(), 300_000); // the server is the built CLI, as a child process

  it('searches N on both sides against one server and reports every trial', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await benchStreams(['--max', '2', '--duration', '2', '--warmup', '1', '--retries', '0', '--json'], {
      out: (t) => void out.push(t),
      err: (t) => void err.push(t),
    });
    expect(err.join('\n')).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(out.join('\n')) as StreamsReport;
    for (const side of ['g2g', 'GStreamer'] as const) {
      const trials = r.trials.filter((t) => t.side === side);
      // 1 first; 2 only after 1 sustained.
      expect(trials.map((t) => t.n)).toEqual(trials[0].sustained ? [1, 2] : [1]);
      const best = Math.max(0, ...trials.filter((t) => t.sustained).map((t) => t.n));
      expect(side === 'g2g' ? r.g2g : r.gst, side).toBe(best);
      for (const t of trials) {
        expect(t.seconds).toBeGreaterThan(1.9);
        expect(t.expected).toBeCloseTo(t.seconds * 30, 6);
        // Frames really counted: a reader that sees no stats counts none and never sustains.
        expect(t.framesMean, `${side} ×${t.n}`).toBeGreaterThan(0);
        expect(t.framesMin).toBeLessThanOrEqual(t.framesMean);
        expect(t.cpuPerStream).toBeGreaterThan(0);
        expect(t.serverCpu).toBeGreaterThan(0);
        expect(Number.isFinite(t.otherCpu) && t.otherCpu >= 0).toBe(true);
        expect(t.late).toBeLessThanOrEqual(t.drops);
        expect(t.sustained).toBe(t.reason === undefined);
        // GStreamer's queried pipeline latency (its fakesink's processing-deadline, 20 ms), ours set to match.
        expect(t.syncLatency).toBe(20);
        if (side === 'g2g') expect(t.g2gP95).toBeGreaterThan(0);
        else expect(t.g2gP95).toBeUndefined();
      }
    }
    expect(formatStreamsReport(r).split('\n').at(-1)).toMatch(/^streams: g2g [012], GStreamer [012]$/);
  }, 120_000);

  it('a bad command line is a usage error', async () => {
    const err: string[] = [];
    expect(await benchStreams(['--max', '0'], { out: () => undefined, err: (t) => void err.push(t) })).toBe(2);
    expect(err.join('\n')).toMatch(/--max must be a whole number ≥ 1/);
  });
});
