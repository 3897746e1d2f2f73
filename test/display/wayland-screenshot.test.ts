/**
 * What waylandSink shows, pixel for pixel: a rich source frame (ffmpeg's testsrc2: gradients, saturated colours,
 * text, chroma edges at odd columns) shown fullscreen (so it covers the 640x480 output exactly, at a known place),
 * read back with weston-screenshooter and compared over the whole output with the SAME source bytes converted to
 * RGB by ffmpeg, under weston's pixman and GL (llvmpipe) renderers.
 *
 * The reference conversion is what the sink documents (native/src/wayland/convert.rs): YUV is BT.601 limited range
 * and chroma is replicated (pixel x of row y takes the chroma sample at x/2, y/2; no interpolation). ffmpeg is asked
 * for exactly that: `scale=in_color_matrix=bt601:in_range=tv:out_range=pc` with `neighbor+full_chroma_int+accurate_rnd`
 * (nearest chroma, exact rounding). The sink's 8-bit fixed-point maths lands within ±1 of that reference (about 10% of
 * YUV channel values are off by 1, none by more; RGBA is exact), and both renderers copy the XRGB8888 buffer 1:1
 * (measured: GL on llvmpipe gives the same pixels as pixman). Tolerance: TOL = 1 per channel, on every pixel.
 * Under GL weston offers linux-dmabuf, and I420/NV12 go as YUV dma-bufs (dmabuf=auto): weston's shader converts
 * them, within ±2 of the same reference (about 0.02 % of channels at 2: its float rounding); dmabuf=never keeps
 * them on the shm path (±1).
 *
 * Each case also checks that a wrong conversion would have been caught: BT.709 or full-range references (YUV), or
 * R/B swapped / alpha applied (RGBA) differ from the screenshot by far more than TOL on many pixels.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waylandSink } from '../../node/elements/wayland-sink';
import { fraction } from '../../src/caps';
import { EOS, type Reader } from '../../src/element';
import { cpuMemory, type CpuMemory } from '../../src/memory/memory';
import { defineSource, type Source } from '../../src/operator';
import { packet, type Packet } from '../../src/packet';
import { pipe } from '../../src';
import { MILLISECOND } from '../../src/time';
import { rawVideoCaps, type VideoFormat } from '../../src/video/format';
import { requirePeer } from '../peers';
import { H, screenshot, startWeston, stopWeston, until, W, type Weston, type WestonRenderer } from './weston';

requirePeer('native', 'weston', 'ffmpeg');

/** Per channel, every pixel: the sink's fixed-point BT.601 rounds within 1 of ffmpeg's exact conversion. */
const TOL = 1;
/** ffmpeg's names for the sink's formats. */
const PIX_FMT: Record<'I420' | 'NV12' | 'RGBA', string> = { I420: 'yuv420p', NV12: 'nv12', RGBA: 'rgba' };

let work: string;

function ffmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', ...args], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
}

/** One testsrc2 frame (at `second`, so each case shows a different picture) as raw bytes in `format`. */
function sourceFrame(format: keyof typeof PIX_FMT, second: number): Buffer {
  const out = join(work, `src-${format}-${second}.raw`);
  ffmpeg(['-f', 'lavfi', '-i', `testsrc2=s=${W}x${H}:r=1`, '-ss', String(second), '-frames:v', '1', '-pix_fmt', PIX_FMT[format], '-f', 'rawvideo', out]);
  const b = readFileSync(out);
  if (format === 'RGBA') {
    // testsrc2 is opaque: give A every value (0 included) so that a sink showing alpha (ARGB over the black
    // background) would darken the picture. ffmpeg's rgba → rgb24 drops A, as the sink must.
    for (let i = 0; i < W * H; i++) b[i * 4 + 3] = (i * 37 + ((i / W) | 0) * 11) & 0xff;
  }
  return b;
}

/** `src` (raw `format`) converted by ffmpeg to packed RGB (rgb24), YUV read with `matrix`/`range`. */
function ffmpegRgb(src: Buffer, format: keyof typeof PIX_FMT, matrix = 'bt601', range = 'tv'): Buffer {
  const inFile = join(work, `ref-in-${format}.raw`);
  const outFile = join(work, `ref-out-${format}-${matrix}-${range}.rgb`);
  writeFileSync(inFile, src);
  const yuv = format !== 'RGBA';
  ffmpeg([
    '-f',
    'rawvideo',
    '-pix_fmt',
    PIX_FMT[format],
    '-s',
    `${W}x${H}`,
    '-i',
    inFile,
    // Nearest chroma (the sink replicates chroma) with exact rounding: the reference is the conversion itself.
    '-sws_flags',
    'neighbor+full_chroma_int+accurate_rnd',
    '-vf',
    yuv ? `scale=in_color_matrix=${matrix}:in_range=${range}:out_range=pc,format=rgb24` : 'format=rgb24',
    '-f',
    'rawvideo',
    outFile,
  ]);
  const rgb = readFileSync(outFile);
  expect(rgb.length).toBe(W * H * 3);
  return rgb;
}

interface Diff {
  max: number;
  /** Pixel channels off by more than TOL. */
  over: number;
  /** Histogram of |diff| 0..3, then > 3. */
  hist: number[];
  worst: string;
}

function diff(shot: ReturnType<typeof screenshot>, ref: Buffer, tol = TOL): Diff {
  const d: Diff = { max: 0, over: 0, hist: [0, 0, 0, 0, 0], worst: '' };
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const got = shot.rgb(x, y);
      for (let k = 0; k < 3; k++) {
        const e = Math.abs(got[k] - ref[(y * W + x) * 3 + k]);
        d.hist[Math.min(e, 4)]++;
        if (e > tol) d.over++;
        if (e > d.max) {
          d.max = e;
          d.worst = `(${x},${y}) got ${got} want ${[...ref.subarray((y * W + x) * 3, (y * W + x) * 3 + 3)]}`;
        }
      }
    }
  }
  return d;
}

/** The same frame, again and again at 30 fps (a copy each time), until `stop()`; at most 300. */
function repeat(format: VideoFormat, frame: Buffer): { src: Source<Packet<CpuMemory>>; stop(): void; sent(): number } {
  const c = rawVideoCaps({ format, width: W, height: H, framerate: fraction(30, 1) });
  let stopped = false;
  let i = 0;
  const src = defineSource<Packet<CpuMemory>>({
    factory: 'repeatSrc',
    props: {},
    srcCaps: c,
    open(ctx): Reader<Packet<CpuMemory>> {
      return {
        async pull(signal) {
          if (stopped || i >= 300) return EOS;
          const pts = i * 33 * MILLISECOND;
          await ctx.clock.sleepUntil(ctx.baseTime + pts, signal);
          i++;
          return packet({ caps: c, pts, duration: 33 * MILLISECOND, memory: cpuMemory(Buffer.from(frame)) });
        },
      };
    },
  });
  return { src, stop: () => void (stopped = true), sent: () => i };
}

const CASES: readonly { format: 'I420' | 'NV12' | 'RGBA'; second: number; dmabuf?: 'never' }[] = [
  { format: 'I420', second: 1 },
  { format: 'NV12', second: 4 },
  { format: 'RGBA', second: 7 },
  { format: 'NV12', second: 5, dmabuf: 'never' },
];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'g2g-shot-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

for (const renderer of ['pixman', 'gl'] as const satisfies readonly WestonRenderer[]) {
  describe(`waylandSink screenshots under weston (headless, ${renderer}) against ffmpeg's conversion`, () => {
    let weston: Weston;
    beforeAll(async () => {
      // GL needs EGL on Mesa's llvmpipe (Mesa 25 here): if weston cannot start with --use-gl, this fails with its log.
      weston = await startWeston(`wayland-g2g-shot-${renderer}`, { renderer });
    }, 30_000);
    afterAll(() => {
      if (weston) stopWeston(weston);
    });

    it('runs the renderer asked for', () => {
      // A weston that fell back to (or was started with) another renderer would make the GL cases meaningless.
      if (renderer === 'gl') expect(weston.log()).toMatch(/GL renderer: /);
      else expect(weston.log()).not.toMatch(/GL renderer: /);
    });

    for (const { format, second, dmabuf } of CASES) {
      // YUV as a dma-buf where the compositor offers it (GL): converted by weston's shader.
      const viaDmabuf = renderer === 'gl' && format !== 'RGBA' && dmabuf !== 'never';
      const tol = viaDmabuf ? 2 : TOL;
      it(`${format}${dmabuf ? ` dmabuf=${dmabuf}` : ''}: the screenshot is ffmpeg's RGB of the same frame (${
        viaDmabuf ? 'linux-dmabuf' : 'wl_shm'
      }), every pixel within ±${tol}`, async () => {
        const frame = sourceFrame(format, second);
        const ref = ffmpegRgb(frame, format);
        const { src, stop, sent } = repeat(format, frame);
        const sink = waylandSink({ fullscreen: true, title: `g2g shot ${format}`, display: weston.socket, dmabuf: dmabuf ?? 'auto' });
        const running = pipe(src, sink).run();
        // A few frames presented: fullscreen configured and the frame on the output (not the black background).
        await until(() => sink.counters.presented >= 5, 15_000);
        const shot = screenshot(weston);
        stop();
        await running.catch((e: unknown) => {
          // Other processes on a shared machine may kill every weston (pkill weston): say so when that is why.
          const p = weston.proc;
          const state = p.exitCode === null && p.signalCode === null ? 'weston still running' : `weston exited (code ${p.exitCode}, signal ${p.signalCode})`;
          throw new Error(`${e instanceof Error ? e.message : String(e)} [${state}]`, { cause: e });
        });

        const c = sink.counters;
        // Frames replaced while waiting for the compositor's frame callback are never committed (counted where the sink
        // reports them).
        expect(c.committed + c.dropped + ((c as { replaced?: number }).replaced ?? 0)).toBe(sent());
        expect(c.presented + c.discarded).toBe(c.committed);

        expect([shot.width, shot.height]).toEqual([W, H]);
        const d = diff(shot, ref, tol);
        console.log(`[${renderer} ${format}] vs ffmpeg bt601/tv: max ${d.max}, |diff| 0/1/2/3/>3: ${d.hist.join('/')}, worst ${d.worst}`);
        expect(c.dmabufFrames > 0, 'frames went as linux-dmabuf buffers').toBe(viaDmabuf);
        expect(d.over, `${d.over} channels off by more than ${tol}; worst ${d.worst}`).toBe(0);
        expect(d.max).toBeLessThanOrEqual(tol);

        // The comparison can fail: conversions the sink must not do are far from what it showed.
        const wrong: [string, Buffer][] = [];
        if (format === 'RGBA') {
          const swapped = Buffer.from(ref);
          for (let i = 0; i < W * H; i++) [swapped[i * 3], swapped[i * 3 + 2]] = [ref[i * 3 + 2], ref[i * 3]];
          const blended = Buffer.from(ref);
          for (let i = 0; i < W * H * 3; i++) blended[i] = Math.round((ref[i] * frame[Math.floor(i / 3) * 4 + 3]) / 255);
          wrong.push(['R/B swapped', swapped], ['alpha applied over black', blended]);
        } else {
          wrong.push(['BT.709', ffmpegRgb(frame, format, 'bt709', 'tv')], ['full range', ffmpegRgb(frame, format, 'bt601', 'pc')]);
        }
        for (const [what, w] of wrong) {
          const dw = diff(shot, w, tol);
          expect(dw.over, `a ${what} conversion should differ on many pixels`).toBeGreaterThan((W * H) / 20);
        }
      }, 60_000);
    }
  });
}
