// canvasSink's WebGPU mode in headless Chromium: webCodecsDec's VideoFrames imported as GPUExternalTextures and
// drawn by a WGSL pass on a 'webgpu' canvas, screenshotted after each presented frame and compared with ffmpeg's own
// decode, as display.test.ts does for the 2D mode (the same page, display-page.ts). A screenshot, not a read in the
// page: Chromium clears a WebGPU canvas once presented (drawImage of it then gives transparent black), and the
// screenshot is what the compositor shows, which is what matters.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePeer } from '../peers';
import type { DisplayPageApi } from './display-page';
import { CHROMIUM, REPO_ROOT, WEBGPU_CANVAS_ARGS } from './harness';

requirePeer('chromium', 'ffmpeg');

const run = promisify(execFile);
const W = 320;
const H = 240;
const N = 10;
const WEBGPU = { context: 'webgpu' } as const;

let dir: string;
const clips = new Map<string, { h264: Buffer; reference: Buffer[] }>();

/** ffmpeg's stream and its decode to RGB with the BT.709 limited-range matrix (what Chromium uses for an untagged stream). */
async function encode(name: string, x264: string[]): Promise<{ h264: Buffer; reference: Buffer[] }> {
  const h264 = join(dir, `${name}.h264`);
  const rgb = join(dir, `${name}.rgb`);
  const ff = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y'];
  const src = ['-f', 'lavfi', '-i', `testsrc2=size=${W}x${H}:rate=30`, '-frames:v', String(N)];
  await run('ffmpeg', [...ff, ...src, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', '30', ...x264, '-f', 'h264', h264]);
  await run('ffmpeg', [...ff, '-i', h264, '-vf', 'scale=in_color_matrix=bt709:in_range=tv:out_range=pc', '-pix_fmt', 'rgb24', '-f', 'rawvideo', rgb]);
  const all = await readFile(rgb);
  const size = W * H * 3;
  return { h264: await readFile(h264), reference: Array.from({ length: all.length / size }, (_, i) => all.subarray(i * size, (i + 1) * size)) };
}

let server: Server;
let browser: Browser;
let page: Page;
const errors: string[] = [];

const call = <K extends keyof DisplayPageApi>(name: K, ...args: Parameters<DisplayPageApi[K]>): Promise<Awaited<ReturnType<DisplayPageApi[K]>>> =>
  page.evaluate(
    ([n, a]) => (globalThis as unknown as { g2gDisplay: Record<string, (...x: unknown[]) => unknown> }).g2gDisplay[n as string](...(a as unknown[])),
    [name, args] as const
  ) as never;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'g2g-display-webgpu-'));
  clips.set('clip', await encode('clip', ['-profile:v', 'baseline', '-bf', '0']));
  clips.set('bframes', await encode('bframes', ['-profile:v', 'main', '-bf', '2']));
  const pageJs = (
    await build({
      entryPoints: [join(REPO_ROOT, 'test/browser/display-page.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    })
  ).outputFiles[0].text;
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const clip = path.endsWith('.h264') ? clips.get(path.slice(1, -5)) : undefined;
    if (path === '/')
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><body><script type="module" src="/page.js"></script>');
    else if (path === '/page.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(pageJs);
    else if (clip) res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(clip.h264);
    else res.writeHead(404).end();
  });
  // 127.0.0.1: a secure context, as WebCodecs and WebGPU need.
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: WEBGPU_CANVAS_ARGS });
  page = await browser.newPage();
  // display-page.ts calls this after each presented frame, while the canvas still shows it.
  await page.exposeFunction('g2gScreenshotCanvas', async () => pngToRgb(await page.locator('canvas').last().screenshot({ type: 'png' })).toString('base64'));
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => void (m.type() === 'error' && errors.push(`console: ${m.text()}`)));
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.waitForFunction(() => 'g2gDisplay' in globalThis, undefined, { timeout: 20_000 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** RGB of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium's screenshots are). */
function pngToRgb(png: Buffer): Buffer {
  let w = 0;
  let h = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  for (let o = 8; o < png.length; ) {
    const len = png.readUInt32BE(o);
    const type = png.toString('latin1', o + 4, o + 8);
    const body = png.subarray(o + 8, o + 8 + len);
    if (type === 'IHDR') {
      [w, h] = [body.readUInt32BE(0), body.readUInt32BE(4)];
      if (body[8] !== 8 || body[12] !== 0 || (body[9] !== 2 && body[9] !== 6)) throw new Error(`unsupported PNG: depth ${body[8]}, colour type ${body[9]}`);
      channels = body[9] === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(body);
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = w * channels;
  const out = Buffer.alloc(w * h * 3);
  let prev = Buffer.alloc(stride);
  for (let y = 0; y < h; y++) {
    const filter = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? line[i - channels] : 0;
      const b = prev[i];
      const c = i >= channels ? prev[i - channels] : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a),
        pb = Math.abs(p - b),
        pc = Math.abs(p - c);
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      line[i] = (line[i] + predictor) & 0xff;
    }
    for (let x = 0; x < w; x++) line.copy(out, (y * w + x) * 3, x * channels, x * channels + 3);
    prev = line;
  }
  return out;
}

function meanAbsDiff(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

/**
 * Bound on the mean abs difference per frame. Measured 2.6–2.8 (the 2D path: ≈1): flat colours come out exactly
 * as BT.709 limited range gives them, 90% of samples are within 2, and the rest are on colour edges, where the
 * sampler's chroma upsampling differs from swscale's.
 */
const MAX_MEAN_DIFF = 4;

/** Each presented frame against ffmpeg's decode of the same frame; the diffs, for the message. */
function expectFramesMatch(frames: string[], reference: Buffer[], first = 0): number[] {
  const diffs = frames.map((f, i) => meanAbsDiff(Buffer.from(f, 'base64'), reference[first + i]));
  diffs.forEach((d, i) => expect(d, `frame ${first + i}: mean abs diff ${diffs.map((x) => x.toFixed(2)).join(' ')}`).toBeLessThan(MAX_MEAN_DIFF));
  return diffs;
}

describe("canvasSink({ context: 'webgpu' }) in headless Chromium (SwiftShader Vulkan)", () => {
  for (const profile of ['live', 'throughput'] as const)
    it(`${profile}: every frame imported, drawn and presented in order, matching ffmpeg's decode`, async () => {
      const { reference } = clips.get('clip')!;
      const r = await call('display', '/clip.h264', profile, 0, 0, 0, WEBGPU);
      expect(r.error).toBeUndefined();
      expect([r.width, r.height]).toEqual([W, H]);
      expect(r.counters).toMatchObject({ presented: N, replaced: 0, late: 0, decoded: N, frames: N, lost: 0 });
      expect(r.unclosed).toBe(0);
      for (let i = 1; i < N; i++) expect(r.presentedAt[i]).toBeGreaterThan(r.presentedAt[i - 1]);
      const diffs = expectFramesMatch(r.frames, reference);
      // Order: each frame is closer to its own reference than to the previous frame's.
      for (let i = 1; i < N; i++) expect(meanAbsDiff(Buffer.from(r.frames[i], 'base64'), reference[i - 1])).toBeGreaterThan(diffs[i]);
      expect(r.captureTimes).toEqual(r.stamped);
      expect(errors).toEqual([]);
    });

  it('main profile with B-frames: reordered frames drawn in presentation order', async () => {
    const r = await call('display', '/bframes.h264', 'throughput', 0, 0, 0, WEBGPU);
    expect(r.counters).toMatchObject({ presented: N, decoded: N, frames: N, lost: 0 });
    expect(r.unclosed).toBe(0);
    expectFramesMatch(r.frames, clips.get('bframes')!.reference);
  });

  it('live: frames past the deadline are closed undrawn and counted late', async () => {
    const r = await call('display', '/clip.h264', 'live', 0, 1e9, 0, WEBGPU);
    expect(r.counters).toMatchObject({ presented: 0, late: N, decoded: N, frames: N });
    expect(r.unclosed).toBe(0);
  });

  it('aborted mid-stream: the run rejects and every VideoFrame is closed', async () => {
    for (const profile of ['live', 'throughput'] as const) {
      const r = await call('display', '/clip.h264', profile, 0, 0, 3, WEBGPU);
      expect(r.error).toMatch(/stopped by the test/);
      expect(r.counters.presented).toBe(3);
      expect(r.unclosed, profile).toBe(0);
    }
  });

  it('no WebGPU device: the run fails with the reason and the frame it held is closed', async () => {
    const r = await call('display', '/clip.h264', 'throughput', 0, 0, 0, { context: 'webgpu', failDevice: true });
    expect(r.error).toMatch(/no device for the test/);
    expect(r.counters.presented).toBe(0);
    expect(r.unclosed).toBe(0);
  });
});
