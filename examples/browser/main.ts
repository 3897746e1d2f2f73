/// <reference lib="dom" />
/**
 * glass2glass's runtime-agnostic core in a web page: videoTestSrc → brightness (../brightness.ts, an element
 * written in one file) → a sink that paints each I420 frame onto a <canvas>, on the browser's own clock.
 * Nothing here is Node-only: `glass2glass` and `glass2glass/operators` are the core.
 *
 * Bundle it (the browser cannot resolve package names itself), serve the folder, open index.html:
 *   npx esbuild main.ts --bundle --format=esm --outfile=main.js
 * Query: ?frames=N (default: run until the page closes) &delta=D (brightness, default 40) &pattern=ball|smpte|…
 */
import { pipe, rawVideoInfo, TEST_PATTERNS, yuv601ToRgb, type CpuMemory, type Packet, type PipelineStats } from 'glass2glass';
import { fakeSink, videoTestSrc } from 'glass2glass/operators';
import { brightness } from '../brightness.js';

export interface PlayOptions {
  /** Frames to play; -1: until the page closes. */
  frames: number;
  /** brightness delta (-255..255). */
  delta: number;
  pattern: (typeof TEST_PATTERNS)[number];
}

/** Paints packed I420 onto the canvas (RGBA through ImageData). */
function paint(canvas: HTMLCanvasElement, p: Packet<CpuMemory>): void {
  const { width, height } = rawVideoInfo(p.caps);
  const data = p.memory.data;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2d context');
  if (canvas.width !== width || canvas.height !== height) Object.assign(canvas, { width, height });
  const image = ctx.createImageData(width, height);
  const rgba = image.data;
  const cw = (width + 1) >> 1;
  const uOffset = width * height;
  const vOffset = uOffset + cw * ((height + 1) >> 1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = (y >> 1) * cw + (x >> 1);
      const [r, g, b] = yuv601ToRgb(data[y * width + x] ?? 0, data[uOffset + c] ?? 128, data[vOffset + c] ?? 128);
      const o = (y * width + x) * 4;
      rgba[o] = r;
      rgba[o + 1] = g;
      rgba[o + 2] = b;
      rgba[o + 3] = 255;
    }
  }
  ctx.putImageData(image, 0, 0);
}

/** Runs the pipeline, painting into `canvas` and reporting into `out` (text and data-* attributes a test can read). */
export async function play(canvas: HTMLCanvasElement, out: HTMLElement, options: PlayOptions): Promise<PipelineStats> {
  let frames = 0;
  const sink = fakeSink<Packet<CpuMemory>>({
    onPacket: (p) => {
      paint(canvas, p);
      out.dataset.frames = String(++frames);
      out.textContent = `${frames} frames`;
    },
  });
  out.dataset.state = 'playing';
  // Live: the source paces frames on the clock and stamps capture time, so the stats measure glass-to-glass latency.
  const src = videoTestSrc({ isLive: true, pattern: options.pattern, format: 'I420', width: 320, height: 240, framerate: '30/1', numBuffers: options.frames });
  const stats = await pipe(src, brightness({ delta: options.delta }), sink).run({ profile: 'live' });
  out.dataset.state = 'done';
  out.textContent = `${stats.delivered} frames, glass-to-glass latency p50 ${(stats.latency.p50 / 1e6).toFixed(2)} ms, p99 ${(stats.latency.p99 / 1e6).toFixed(
    2
  )} ms`;
  return stats;
}

// Started by the page; bundling or importing this file elsewhere starts nothing.
const canvas = typeof document === 'undefined' ? null : document.querySelector<HTMLCanvasElement>('canvas#video');
const out = typeof document === 'undefined' ? null : document.querySelector<HTMLElement>('#stats');
if (canvas && out) {
  const q = new URLSearchParams(location.search);
  const options: PlayOptions = {
    frames: Number(q.get('frames') ?? -1),
    delta: Number(q.get('delta') ?? 40),
    pattern: TEST_PATTERNS.find((p) => p === q.get('pattern')) ?? 'ball',
  };
  play(canvas, out, options).catch((e: unknown) => {
    out.dataset.state = 'error';
    out.textContent = `error: ${e instanceof Error ? e.message : String(e)}`;
  });
}
