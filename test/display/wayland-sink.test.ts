import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRegistry } from '../../node/cli/registry';
import { waylandSink } from '../../node/elements/wayland-sink';
import { loadNative } from '../../node/native/loader';
import { identity } from '../../operators/identity';
import { parseLaunch } from '../../operators/launch';
import { videoTestSrc } from '../../operators/video-test-src';
import { pipe } from '../../src';
import { ElementError } from '../../src/pipeline/errors';
import { formatStats } from '../../src/pipeline/stats';
import { requirePeer } from '../peers';
import { H, screenshot, startWeston, stopWeston, until, W, westons, type Weston } from './weston';

requirePeer('native', 'weston');

/** videoTestSrc pattern=smpte75: seven full-height 75% bars (src/video/test-pattern.ts). */
const BARS_75 = [
  [191, 191, 191],
  [191, 191, 0],
  [0, 191, 191],
  [0, 191, 0],
  [191, 0, 191],
  [191, 0, 0],
  [0, 0, 191],
];

describe('waylandSink under weston (headless, pixman)', () => {
  let weston: Weston;
  beforeAll(async () => {
    weston = await startWeston('wayland-g2g-test');
  }, 20_000);
  afterAll(() => {
    for (const w of westons.splice(0)) stopWeston(w);
  });

  const cases = [
    { format: 'RGBA', width: W, height: H, tol: 0, what: '' },
    { format: 'I420', width: W, height: H, tol: 4, what: '' },
    { format: 'NV12', width: W, height: H, tol: 4, what: '' },
    // Scaled to the output by wp_viewporter (pixman filters only across bar edges: centres stay exact).
    { format: 'RGBA', width: 320, height: 240, tol: 0, what: ', scaled from 320x240' },
  ] as const;
  for (const { format, width, height, tol, what } of cases) {
    it(`shows ${format} test bars fullscreen${what}: feedback for every frame, the screenshot has the pattern`, async () => {
      const frames = 45;
      const sink = waylandSink({ fullscreen: true, title: `g2g ${format}`, display: weston.socket });
      const running = pipe(videoTestSrc({ numBuffers: frames, width, height, pattern: 'smpte75', format, isLive: true, framerate: '30/1' }), sink).run();
      await until(() => sink.counters.presented >= 10, 10_000);
      const shot = screenshot(weston);
      await running;
      const c = sink.counters;
      // Every frame is accounted for: committed, replaced while waiting for a repaint, or dropped.
      expect(c.committed + c.replaced + c.dropped).toBe(frames);
      // Every committed frame's feedback came (presented, or discarded by the compositor).
      expect(c.presented + c.discarded).toBe(c.committed);
      expect(c.presented).toBeGreaterThanOrEqual(frames / 2);
      expect(c.clockId).toBe(4); // CLOCK_MONOTONIC_RAW
      expect([c.poolAllocations, c.buffersCreated]).toEqual([1, 3]);
      // Capture → presented on the pipeline clock: positive, below a few repaint periods.
      const lat = c.latency()!;
      expect(lat.count).toBeGreaterThan(0);
      expect(lat.p50).toBeGreaterThan(0);
      expect(lat.p95).toBeLessThan(500e6);
      // The screenshot shows the bars where the source drew them, across the whole output; RGBA exactly, YUV
      // within rounding.
      expect([shot.width, shot.height]).toEqual([W, H]);
      for (let i = 0; i < 7; i++) {
        const x = Math.floor(((i + 0.5) * W) / 7);
        for (const y of [10, H / 2, H - 10]) {
          const got = shot.rgb(x, y);
          for (let k = 0; k < 3; k++) expect(Math.abs(got[k] - BARS_75[i][k]), `bar ${i} at ${x},${y}: ${got} vs ${BARS_75[i]}`).toBeLessThanOrEqual(tol);
        }
      }
    }, 30_000);
  }

  it('runs from launch text (videoTestSrc ! waylandSink fullscreen=true)', async () => {
    const stats = await parseLaunch(
      `videoTestSrc num-buffers=20 pattern=ball ! waylandSink fullscreen=true title=launched display=${weston.socket}`,
      cliRegistry()
    ).run();
    expect(stats.delivered).toBe(20);
  }, 20_000);

  it('one pool for a whole stream; everything closed at the end: fds and threads back where they were', async () => {
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const threads = (): number => readdirSync('/proc/self/task').length;
    const run = async (n: number) => {
      const sink = waylandSink({ display: weston.socket, buffers: 3 });
      await pipe(videoTestSrc({ numBuffers: n, width: 320, height: 240, pattern: 'ball', format: 'I420' }), sink).run();
      return sink.counters;
    };
    await run(10);
    const before = { fds: fds(), threads: threads() };
    const c = await run(300);
    expect(c.committed + c.replaced + c.dropped).toBe(300);
    expect(c.poolAllocations).toBe(1);
    expect(c.buffersCreated).toBe(3);
    // Closed when the pipeline ends, not when the garbage collector gets to the window: socket, memfd, wake pipe.
    expect(fds()).toBe(before.fds);
    await run(300);
    expect(fds()).toBe(before.fds);
    expect(threads()).toBeLessThanOrEqual(before.threads);
  }, 30_000);

  it('pacing=frame-callback: a source faster than the compositor has its frames replaced, not queued', async () => {
    // Not live: 200 frames as fast as the pipeline goes, against a ~25 ms headless repaint.
    const sink = waylandSink({ display: weston.socket, fullscreen: true, pacing: 'frame-callback' });
    const stats = await pipe(videoTestSrc({ numBuffers: 200, width: 320, height: 240, pattern: 'ball', format: 'RGBA' }), sink).run();
    const c = sink.counters;
    expect(c.committed + c.replaced + c.dropped).toBe(200);
    // Committed only once the compositor repainted: it never has to discard one of ours, and the frames that
    // came between repaints were replaced by newer ones (the pipeline's late drops).
    expect(c.replaced).toBeGreaterThan(100);
    expect(c.discarded).toBe(0);
    expect(c.presented).toBe(c.committed);
    expect(c.dropped).toBe(0);
    expect(stats.drops).toBe(c.replaced);
  }, 30_000);

  it('pacing=latest (the default): every frame committed at once, the compositor shows the newest and discards the rest', async () => {
    const sink = waylandSink({ display: weston.socket, fullscreen: true });
    await pipe(videoTestSrc({ numBuffers: 200, width: 320, height: 240, pattern: 'ball', format: 'RGBA' }), sink).run();
    const c = sink.counters;
    expect(c.replaced).toBe(0);
    expect(c.committed + c.dropped).toBe(200);
    // Faster than the repaints: most commits are replaced in the compositor before one takes them.
    expect(c.discarded).toBeGreaterThan(c.presented);
    expect(c.presented + c.discarded).toBe(c.committed);
  }, 30_000);

  it('glass-to-glass to presentation in the pipeline stats', async () => {
    const sink = waylandSink({ display: weston.socket, fullscreen: true });
    const stats = await pipe(videoTestSrc({ numBuffers: 30, width: 320, height: 240, format: 'I420', isLive: true, framerate: '30/1' }), sink).run();
    const p = stats.presented!;
    expect(p.count).toBe(sink.counters.latency()!.count);
    expect(p.count).toBeGreaterThan(15);
    // Presented after the sink took the frame: later than capture → sink, and within a few repaints.
    expect(p.p50).toBeGreaterThan(stats.latency.p50);
    expect(p.p95).toBeLessThan(500e6);
    expect(formatStats(stats)).toMatch(/glass-to-glass to presentation \(\d+ frames\): p50 [\d.]+ ms/);
  }, 30_000);

  it('without WAYLAND_DISPLAY: a clear error naming the sink before any frame is made', async () => {
    const saved = process.env.WAYLAND_DISPLAY;
    delete process.env.WAYLAND_DISPLAY;
    let made = 0;
    try {
      const err = await pipe(
        videoTestSrc({ numBuffers: 5 }),
        // Counts frames that reach the sink: none, the sink fails when it opens.
        identity({ handoff: () => void made++ }),
        waylandSink()
      )
        .run()
        .then(
          () => undefined,
          (e: unknown) => e
        );
      expect(err).toBeInstanceOf(ElementError);
      expect((err as ElementError).element).toMatch(/^waylandSink/);
      expect((err as Error).message).toMatch(/no Wayland display: WAYLAND_DISPLAY is not set/);
      expect(made).toBe(0);
    } finally {
      if (saved !== undefined) process.env.WAYLAND_DISPLAY = saved;
    }
  });

  it('a socket where no compositor listens: a clear error', () => {
    const addon = loadNative();
    expect(() => new addon.WaylandWindow({ display: join(weston.dir, 'nobody-here') })).toThrow(/no Wayland compositor at .*nobody-here/);
  });

  it('compositor killed mid-stream: the pipeline fails naming the sink, no hang', async () => {
    const doomed = await startWeston('wayland-g2g-doomed');
    const fdsBefore = readdirSync('/proc/self/fd').length;
    const sink = waylandSink({ fullscreen: true, display: doomed.socket });
    const running = pipe(videoTestSrc({ numBuffers: 600, width: 320, height: 240, format: 'RGBA', isLive: true }), sink)
      .run()
      .then(
        () => undefined,
        (e: unknown) => e
      );
    await until(() => sink.counters.presented >= 3, 10_000);
    doomed.proc.kill('SIGKILL');
    const t0 = Date.now();
    const err = await running;
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(err).toBeInstanceOf(ElementError);
    expect((err as ElementError).element).toMatch(/^waylandSink/);
    expect((err as Error).message).toMatch(/waylandSink\d* failed.*lost the Wayland compositor/);
    // No fd left behind (the socket, the pool's memfd, the wake pipe); weston's own pipes may have closed too.
    expect(readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(fdsBefore);
  }, 30_000);
});
