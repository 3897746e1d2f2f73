import { describe, expect, it } from 'vitest';
import { PtsTimeline } from '../../node/elements/rtsp-src/timestamps';
import { MILLISECOND } from '../../src/time';

const FRAME = 3000; // RTP ticks of one 30 fps frame at 90 kHz
const FRAME_NS = (1000 * MILLISECOND) / 30;

/** Units captured every 1/30 s from running time `t0`, each arriving `delay(i)` after its capture. */
function play(n: number, delay: (i: number) => number, t0 = 0, ts0 = 12345, stampLate = false): { arrival: number[]; pts: number[] } {
  let now = 0;
  const tl = new PtsTimeline(() => now);
  tl.stampLate = stampLate;
  const arrival: number[] = [];
  const pts: number[] = [];
  for (let i = 0; i < n; i++) {
    now = t0 + Math.round(i * FRAME_NS) + delay(i);
    arrival.push(now);
    pts.push(tl.pts(ts0 + i * FRAME, 0));
  }
  return { arrival, pts };
}

const increasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]);

describe('PtsTimeline follows the smallest arrival delay (as rtpjitterbuffer slave mode)', () => {
  it('a first unit handled 200 ms late does not delay the whole session: pts come back to arrival within 14 s, never backwards, at the frame rate within 1.6%', () => {
    const { arrival, pts } = play(450, (i) => (i === 0 ? 200 * MILLISECOND : 2 * MILLISECOND));
    expect(pts[0]).toBe(arrival[0]);
    expect(increasing(pts)).toBe(true);
    // Without following, every pts would stay 198 ms past its unit's arrival.
    for (let i = 400; i < 450; i++) expect(Math.abs(pts[i] - arrival[i])).toBeLessThan(MILLISECOND);
    for (let i = 1; i < 450; i++) expect(Math.abs(pts[i] - pts[i - 1] - FRAME_NS)).toBeLessThanOrEqual(FRAME_NS / 64 + 1);
  });

  it('B-frames (units in decode order): presentation-order gaps stay within 1/64 of the RTP time moved on per unit', () => {
    let now = 0;
    const tl = new PtsTimeline(() => now);
    // Decode order I0 P3 B1 B2 P6 B4 B5 …, each sent when its frame's reference is encoded; the first 150 ms late.
    const order = [0, ...Array.from({ length: 200 }, (_, g) => [3 * g + 3, 3 * g + 1, 3 * g + 2]).flat()];
    const pts = new Map<number, number>();
    order.forEach((f, k) => {
      now = Math.round((k + 2) * FRAME_NS) + (k === 0 ? 150 * MILLISECOND : 0);
      pts.set(f, tl.pts(1000 + f * FRAME, 0));
    });
    const sorted = [...pts.keys()].sort((a, b) => a - b).map((f) => pts.get(f)!);
    for (let i = 1; i < sorted.length; i++) expect(Math.abs(sorted[i] - sorted[i - 1] - FRAME_NS)).toBeLessThanOrEqual((3 * FRAME_NS) / 64 + 1);
    // And the late start was followed: the last frames are no longer 150 ms behind.
    expect(sorted[sorted.length - 1] - pts.get(0)!).toBeLessThan(600 * FRAME_NS - 100 * MILLISECOND);
  });

  it('jitter does not move the mapping: pts stay on the promptest units, at the RTP spacing, none ahead of its arrival', () => {
    // Delays 5–35 ms, pseudo-random; the smallest recurs in every window.
    const { arrival, pts } = play(900, (i) => 5 * MILLISECOND + ((i * 7919) % 31) * MILLISECOND);
    expect(increasing(pts)).toBe(true);
    for (let i = 0; i < 900; i++) expect(pts[i]).toBeLessThanOrEqual(arrival[i]);
    for (let i = 61; i < 900; i++) expect(Math.abs(pts[i] - pts[i - 1] - FRAME_NS)).toBeLessThan(0.01 * MILLISECOND);
  });

  it('live (stampLate): a unit later than the mapping is stamped at its arrival, the promptest keep the mapping, pts never go back', () => {
    const delay = (i: number) => 5 * MILLISECOND + ((i * 7919) % 31) * MILLISECOND;
    const { arrival, pts } = play(900, delay, 0, 12345, true);
    expect(increasing(pts)).toBe(true);
    for (let i = 0; i < 900; i++) expect(pts[i]).toBeGreaterThanOrEqual(arrival[i]);
    const prompt = [...Array(900).keys()].filter((i) => i >= 60 && delay(i) === 5 * MILLISECOND);
    expect(prompt.length).toBeGreaterThan(20);
    for (const i of prompt) expect(Math.abs(pts[i] - arrival[i])).toBeLessThan(0.01 * MILLISECOND);
  });

  it('live (stampLate): a keyframe arriving 60 ms after the mapping is stamped at its arrival, not late; the next unit 1 ms after it, then the mapping again', () => {
    const { arrival, pts } = play(120, (i) => (i === 90 ? 62 : 2) * MILLISECOND, 0, 12345, true);
    expect(pts[90]).toBe(arrival[90]);
    expect(pts[91]).toBe(pts[90] + MILLISECOND);
    expect(Math.abs(pts[93] - arrival[93])).toBeLessThan(0.01 * MILLISECOND);
    expect(increasing(pts)).toBe(true);
    // Not live: the mapping's pts, 60 ms before that unit's arrival.
    const plain = play(120, (i) => (i === 90 ? 62 : 2) * MILLISECOND);
    expect(plain.pts[90]).toBe(plain.arrival[90] - 60 * MILLISECOND);
  });

  it('a sender clock slower than ours (delay growing 2 ms a second) is followed: units never fall behind their pts by more than a few ms', () => {
    const { arrival, pts } = play(30 * 60, (i) => Math.round((i / 30) * 2 * MILLISECOND));
    const behind = arrival.map((a, i) => a - pts[i]);
    // A fixed mapping would have them 120 ms behind after a minute: late for any synced sink.
    expect(Math.max(...behind.slice(60))).toBeLessThan(8 * MILLISECOND);
    expect(increasing(pts)).toBe(true);
  });

  it('audio (followArrival off) keeps sample-exact pts from the first unit, late or not', () => {
    let now = 0;
    const tl = new PtsTimeline(() => now);
    tl.clockRate = 48000;
    tl.followArrival = false;
    const pts: number[] = [];
    for (let i = 0; i < 200; i++) {
      now = Math.round((i * 1024 * 1e9) / 48000) + (i === 0 ? 150 * MILLISECOND : 0);
      pts.push(tl.pts(5000 + i * 1024, 0));
    }
    for (let i = 1; i < 200; i++) expect(Math.abs(pts[i] - pts[i - 1] - (1024 * 1e9) / 48000)).toBeLessThan(1);
  });

  it('a new session (epoch) starts again from its first unit, after the last pts', () => {
    let now = 0;
    const tl = new PtsTimeline(() => now);
    for (let i = 0; i < 60; i++) {
      now = Math.round(i * FRAME_NS) + (i === 0 ? 100 * MILLISECOND : 0);
      tl.pts(1000 + i * FRAME, 0);
    }
    const last = tl.pts(1000 + 59 * FRAME, 0);
    // Reconnected: unrelated timestamps, arriving 3 s later.
    now = 5000 * MILLISECOND;
    const first = tl.pts(777_777, 1);
    expect(first).toBe(now);
    expect(first).toBeGreaterThan(last);
    now += FRAME_NS;
    expect(tl.pts(777_777 + FRAME, 1)).toBeCloseTo(first + FRAME_NS, -4);
  });
});
