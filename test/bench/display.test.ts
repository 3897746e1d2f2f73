// `g2g bench display` end to end, briefly: both sides measured on one weston, the last line tools read.
// Not a timed test: what it checks is that the measure is sound — ours read from wp_presentation feedback
// and from weston's timeline (the way GStreamer's side is read) agree, frame for frame in aggregate.
import { describe, expect, it } from 'vitest';
import { benchDisplay } from '../../node/bench/display';
import { requirePeer } from '../peers';

requirePeer('native', 'weston', 'gstreamer', 'gst-rtsp-server');

describe('g2g bench display', () => {
  it('prints ours and GStreamer side by side; the timeline reading agrees with the presentation feedback', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await benchDisplay(['--seconds', '2', '--json'], { out: (t) => void out.push(t), err: (t) => void err.push(t) });
    expect(err.join('\n')).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(out.join('\n')) as {
      sides: { sink: string; sync: boolean; timeline: { count: number; p50: number }; feedback?: { count: number; p50: number }; error?: string }[];
      g2gP95: number;
      gstP95: number;
    };
    expect(r.sides.map((s) => `${s.sink} ${s.sync}`)).toEqual([
      'g2g waylandSink false',
      'g2g waylandSink true',
      'g2g waylandSink pacing=frame-callback false',
      'GStreamer waylandsink true',
      'GStreamer waylandsink false',
    ]);
    for (const s of r.sides) {
      expect(s.error, s.sink).toBeUndefined();
      expect(s.timeline.count, `${s.sink} sync=${s.sync}: frames seen presented`).toBeGreaterThan(30);
      // A latency, not a clock offset: weston's timeline is CLOCK_MONOTONIC, its presentation clock RAW.
      expect(s.timeline.p50).toBeGreaterThan(1e6);
      expect(s.timeline.p50).toBeLessThan(200e6);
      if (s.feedback) expect(Math.abs(s.feedback.p50 - s.timeline.p50), s.sink).toBeLessThan(2e6);
    }
    expect(Number.isFinite(r.g2gP95) && Number.isFinite(r.gstP95)).toBe(true);
  }, 60_000);

  it('the text report ends with the line tools read', async () => {
    const out: string[] = [];
    const code = await benchDisplay(['--seconds', '2'], { out: (t) => void out.push(t), err: () => undefined });
    expect(code).toBe(0);
    expect(out.join('\n').trim().split('\n').at(-1)).toMatch(/^display p95: g2g \d+\.\d ms, GStreamer \d+\.\d ms$/);
  }, 60_000);
});
