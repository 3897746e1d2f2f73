/**
 * waylandSink over a long stream: 1000 frames (640x480 NV12 at ~100 fps, faster than weston's ~25 ms headless
 * repaint, so the sink must replace, discard or drop frames besides presenting them) with memory, fds and threads
 * flat, and every frame accounted for; once paced inside the pipeline (the sink on its own), once by a live source
 * (the usual pipeline).
 *
 * And the fd side of a compositor killed mid-stream: wayland-sink.test.ts already checks the error naming the sink
 * and the bounded time; here, the process's fds and threads are exactly what they were before weston started.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waylandSink } from '../../node/elements/wayland-sink';
import { identity } from '../../operators/identity';
import { videoTestSrc } from '../../operators/video-test-src';
import { pipe } from '../../src';
import { MILLISECOND } from '../../src/time';
import { requirePeer } from '../peers';
import { startWeston, stopWeston, until, type Weston } from './weston';

requirePeer('native', 'weston');

/** A full collection before each memory sample, so RSS measures what is kept, not garbage not yet collected. */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const FRAMES = 1000;
/** Frames before the first memory sample: pools mapped, JIT warm, allocator arenas grown. */
const WARMUP = 200;
/**
 * RSS growth allowed from frame WARMUP to the end of the stream. A leaked frame is 460 KB (NV12 640x480) and a
 * leaked pool slot 1.2 MB (XRGB8888), so leaking even one frame in twenty over 800 frames (18 MB) fails.
 */
const RSS_GROWTH_MAX = 16 * 1024 * 1024;
const MB = 1024 * 1024;

/** Open fds by number → what they point at (the listing's own fd, gone by the time it is read, is left out). */
function fdTable(): Map<string, string> {
  const t = new Map<string, string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      t.set(fd, readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the directory handle readdirSync used, already closed
    }
  }
  return t;
}
const threads = (): number => readdirSync('/proc/self/task').length;
const rss = (): number => {
  gc();
  return process.memoryUsage.rss();
};

/**
 * For failure messages: whether weston is still there. Other processes on a shared machine may kill every weston
 * (pkill weston); a stream then fails with "lost the Wayland compositor", which is not the sink's doing.
 */
function westonState(w: Weston): string {
  const p = w.proc;
  return p.exitCode === null && p.signalCode === null
    ? 'weston still running'
    : `weston exited during the test (code ${p.exitCode}, signal ${p.signalCode}); its log ends: ${w.log().slice(-400)}`;
}

/** Fds in `now` not in `before`, or changed: what leaked (named, for the failure message). */
function newFds(before: Map<string, string>, now: Map<string, string>): string[] {
  return [...now].filter(([fd, link]) => before.get(fd) !== link).map(([fd, link]) => `${fd} → ${link}`);
}

describe('waylandSink soak under weston (headless, pixman)', () => {
  let weston: Weston;
  beforeAll(async () => {
    weston = await startWeston('wayland-g2g-soak');
  }, 20_000);
  afterAll(() => {
    if (weston) stopWeston(weston);
  });

  /**
   * Runs FRAMES frames of 640x480 NV12 (the moving ball) into a fullscreen waylandSink, paced either by the source
   * (is-live at 100 fps) or by an identity sleeping 10 ms per frame after a non-live source; checks accounting,
   * memory, fds and threads.
   */
  async function soak(paced: 'live source' | 'identity sleep'): Promise<void> {
    const stream = (n: number, probe?: (i: number) => void) => {
      const sink = waylandSink({ fullscreen: true, title: 'g2g soak', display: weston.socket });
      let written = 0;
      const live = paced === 'live source';
      const run = pipe(
        // ~100 fps: four frames per headless repaint (~25 ms): most are replaced, discarded or dropped.
        videoTestSrc({ numBuffers: n, width: 640, height: 480, format: 'NV12', pattern: 'ball', isLive: live, framerate: '100/1' }),
        identity({ sleepTime: live ? 0 : 10 * MILLISECOND, handoff: () => probe?.(++written) }),
        sink
      )
        .run()
        .catch((e: unknown) => {
          throw new Error(`${e instanceof Error ? e.message : String(e)} [${westonState(weston)}]`, { cause: e });
        });
      return { sink, run, written: () => written };
    };

    // Warm-up stream: the first pipeline loads the addon, starts libuv's pool, compiles; not part of the baseline.
    await stream(30).run;
    const fds0 = fdTable();
    const threads0 = threads();

    const samples: { at: number; rss: number; threads: number; fds: number }[] = [];
    const s = stream(FRAMES, (i) => {
      if (i === WARMUP || i === 600 || i === FRAMES) samples.push({ at: i, rss: rss(), threads: threads(), fds: fdTable().size });
    });
    await s.run;
    const after = { rss: rss(), threads: threads(), fds: fdTable() };
    const c = s.sink.counters;
    // Frames the sink held for the compositor's frame callback and replaced by a newer one before committing, where
    // the sink counts them (pacing work in progress); 0 where it does not.
    const replaced = (c as { replaced?: number }).replaced ?? 0;
    console.log(
      `[soak, ${paced}] ${FRAMES} frames: committed ${c.committed} presented ${c.presented} discarded ${c.discarded} dropped ${c.dropped} replaced ${replaced}; ` +
        `RSS (MB) ${samples.map((x) => `@${x.at} ${(x.rss / MB).toFixed(1)}`).join(', ')}, after close ${(after.rss / MB).toFixed(1)}; ` +
        `threads ${threads0} → ${samples.map((x) => x.threads).join('/')} → ${after.threads}; fds ${fds0.size} → ${samples.map((x) => x.fds).join('/')} → ${
          after.fds.size
        }`
    );

    // Every frame written reached the compositor or was counted (dropped, replaced); every commit got its feedback.
    expect(s.written()).toBe(FRAMES);
    expect(c.committed + c.dropped + replaced).toBe(FRAMES);
    expect(c.presented + c.discarded).toBe(c.committed);
    // Real presentation happened throughout (not a stream of drops): about one frame per ~25 ms repaint for ~10 s.
    expect(c.presented).toBeGreaterThan(FRAMES / 8);
    // One pool for the whole stream: no per-frame mapping or buffer.
    expect([c.poolAllocations, c.buffersCreated]).toEqual([1, 3]);

    // Memory: flat after warm-up (sampled after a full GC).
    expect(samples.map((x) => x.at)).toEqual([WARMUP, 600, FRAMES]);
    const growth = samples[2].rss - samples[0].rss;
    expect(growth, `RSS grew ${(growth / MB).toFixed(1)} MB from frame ${WARMUP} to ${FRAMES}`).toBeLessThan(RSS_GROWTH_MAX);
    // Threads and fds do not grow with frames while streaming (the dispatch thread and the sink's fds are there from
    // the first frame) …
    expect(samples[2].threads).toBe(samples[0].threads);
    expect(samples[2].fds).toBe(samples[0].fds);
    // … and are back where they were once the pipeline ends: socket, memfd, wake pipe closed, dispatch thread joined.
    expect(newFds(fds0, after.fds), 'fds left open').toEqual([]);
    expect(after.fds.size).toBe(fds0.size);
    expect(after.threads).toBe(threads0);
  }

  // The sink on its own: frames paced inside the pipeline (identity sleep-time), the source pulled synchronously.
  it(`${FRAMES} frames paced by identity: RSS, fds and threads flat; every frame accounted for`, () => soak('identity sleep'), 60_000);

  // The pipeline users write: a live source. The same checks with is-live pacing; they also catch a runtime that keeps
  // a live source's packets alive for the whole run (460 KB each here): it caught the link racing every pull against
  // the run's pending EOS promise (RSS +280..340 MB), fixed in src/pipeline/link.ts (orEos).
  it(`${FRAMES} live frames (videoTestSrc is-live): RSS, fds and threads flat; every frame accounted for`, () => soak('live source'), 60_000);

  it('compositor killed mid-stream: afterwards every fd and thread is what it was before weston started', async () => {
    const fds0 = fdTable();
    const threads0 = threads();
    const doomed = await startWeston('wayland-g2g-soak-doomed');
    const exited = new Promise<void>((r) => doomed.proc.once('close', () => r()));
    try {
      const sink = waylandSink({ fullscreen: true, display: doomed.socket });
      const running = pipe(videoTestSrc({ numBuffers: 3000, width: 640, height: 480, format: 'NV12', pattern: 'ball', isLive: true, framerate: '100/1' }), sink)
        .run()
        .then(
          () => undefined,
          (e: unknown) => e
        );
      await until(() => sink.counters.presented >= 10, 10_000);
      doomed.proc.kill('SIGKILL');
      // The error itself (naming the sink, within 3 s) is wayland-sink.test.ts's; here it only has to fail, not hang.
      const err = await Promise.race([running, new Promise((r) => setTimeout(() => r('hung'), 5000))]);
      expect(err).toBeInstanceOf(Error);
      // weston's stdout/stderr pipes close when its process is reaped.
      await exited;
      const now = fdTable();
      expect(newFds(fds0, now), 'fds left open after the compositor died').toEqual([]);
      // Nothing closed either, unless the suite's own weston died meanwhile (its stdout/stderr pipes went with it).
      const closed = [...fds0.keys()].filter((fd) => !now.has(fd));
      expect(closed, westonState(weston)).toEqual([]);
      expect(threads()).toBe(threads0);
    } finally {
      stopWeston(doomed);
    }
  }, 30_000);
});
