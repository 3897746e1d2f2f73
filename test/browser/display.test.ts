// webCodecsDec and canvasSink in headless Chromium: an H.264 stream made by ffmpeg decoded by the page's
// WebCodecs VideoDecoder, drawn on a 2D canvas, the canvas read back after each presented frame and compared
// with ffmpeg's own decode converted to RGB (BT.709 limited range, what drawImage uses for an untagged stream).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePeer } from '../peers';
import type { DisplayPageApi } from './display-page';
import { CHROMIUM, CHROMIUM_ARGS, REPO_ROOT } from './harness';

requirePeer('chromium', 'ffmpeg');

const run = promisify(execFile);
const W = 320;
const H = 240;
const N = 10;

let dir: string;
/** Each clip's Annex B bytes and ffmpeg's decode of it, one RGB buffer per frame. */
const clips = new Map<string, { h264: Buffer; reference: Buffer[] }>();

async function encode(name: string, gop: string[]): Promise<{ h264: Buffer; reference: Buffer[] }> {
  const h264 = join(dir, `${name}.h264`);
  const rgb = join(dir, `${name}.rgb`);
  const ff = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y'];
  await run('ffmpeg', [
    ...ff,
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${W}x${H}:rate=30`,
    '-frames:v',
    String(N),
    '-c:v',
    'libx264',
    '-profile:v',
    'baseline',
    '-pix_fmt',
    'yuv420p',
    '-bf',
    '0',
    ...gop,
    '-f',
    'h264',
    h264,
  ]);
  // ffmpeg's own decode, converted with the BT.709 limited-range matrix (swscale's default scaler: mean abs diff
  // ≈1 against Chromium's drawImage here, ≈10 with BT.601).
  await run('ffmpeg', [...ff, '-i', h264, '-vf', 'scale=in_color_matrix=bt709:in_range=tv:out_range=pc', '-pix_fmt', 'rgb24', '-f', 'rawvideo', rgb]);
  const all = await readFile(rgb);
  return {
    h264: await readFile(h264),
    reference: Array.from({ length: all.length / (W * H * 3) }, (_, i) => all.subarray(i * W * H * 3, (i + 1) * W * H * 3)),
  };
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
  dir = await mkdtemp(join(tmpdir(), 'g2g-display-'));
  // Baseline profile (no B-frames), yuv420p, untagged colour: Chromium takes it as BT.709 limited range. The
  // second clip has a keyframe every 5 frames with its parameter sets repeated, to join mid-stream.
  clips.set('clip', await encode('clip', ['-g', '30']));
  clips.set('bframes', await encode('bframes', ['-g', '30', '-profile:v', 'main', '-bf', '2']));
  clips.set('late', await encode('late', ['-g', '5', '-x264-params', 'repeat-headers=1']));
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
    if (path === '/')
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><body><script type="module" src="/page.js"></script>');
    else if (path === '/page.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(pageJs);
    else if (path.endsWith('.h264') && clips.has(path.slice(1, -5)))
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(clips.get(path.slice(1, -5))!.h264);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r)); // 127.0.0.1: a secure context, as WebCodecs needs
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  page = await browser.newPage();
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

function meanAbsDiff(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

describe('webCodecsDec → canvasSink in headless Chromium', () => {
  for (const profile of ['live', 'throughput'] as const)
    it(`${profile}: every frame presented, in order, matching ffmpeg's decode`, async () => {
      const { reference } = clips.get('clip')!;
      expect(reference).toHaveLength(N);
      const r = await call('display', '/clip.h264', profile);
      expect(r.width).toBe(W);
      expect(r.height).toBe(H);
      expect(r.frames).toHaveLength(N);
      expect(r.counters).toMatchObject({ presented: N, replaced: 0, late: 0, skipped: 0, decoded: N, frames: N, lost: 0 });
      expect(r.unclosed).toBe(0);
      expect(r.error).toBeUndefined();
      // Live keeps one unit in the decoder (a baseline stream does not reorder), throughput a few.
      if (profile === 'live') expect(r.maxInDecoder).toBe(1);
      else expect(r.maxInDecoder).toBeLessThanOrEqual(4);
      // pts rise (h264Parse's timestamps at 30/1 from the SPS or its default), presentation times too.
      for (let i = 1; i < N; i++) {
        expect(r.pts[i]!).toBeGreaterThan(r.pts[i - 1]!);
        expect(r.presentedAt[i]).toBeGreaterThan(r.presentedAt[i - 1]);
      }
      const diffs = r.frames.map((f, i) => meanAbsDiff(Buffer.from(f, 'base64'), reference[i]));
      // Each frame against its own reference, and against the neighbours (order: frames differ from each other).
      for (let i = 0; i < N; i++) expect(diffs[i], `frame ${i}: mean abs diff ${diffs.map((d) => d.toFixed(2)).join(' ')}`).toBeLessThan(3);
      for (let i = 1; i < N; i++) expect(meanAbsDiff(Buffer.from(r.frames[i], 'base64'), reference[i - 1])).toBeGreaterThan(diffs[i]);
      // Each unit's meta (captureTime) reaches its frame.
      expect(r.captureTimes).toEqual(r.stamped);
      expect(r.captureTimes.every((t) => typeof t === 'number')).toBe(true);
      expect(errors).toEqual([]);
    });

  it('joined mid-stream: units before the first keyframe with an SPS are dropped and counted, then every frame matches', async () => {
    const { reference } = clips.get('late')!;
    // Units 0 and 1 never reach the decoder; 2–4 are delta units (skipped); 5 is a keyframe with SPS and PPS.
    const r = await call('display', '/late.h264', 'live', 2);
    expect(r.counters).toMatchObject({ presented: 5, skipped: 3, decoded: 5, frames: 5, lost: 0 });
    expect(r.unclosed).toBe(0);
    expect(r.pts).toEqual([5, 6, 7, 8, 9].map((i) => Math.round((i * 1e9) / 30)));
    r.frames.forEach((f, i) => expect(meanAbsDiff(Buffer.from(f, 'base64'), reference[i + 5]), `frame ${i + 5}`).toBeLessThan(3));
    expect(errors).toEqual([]);
  });

  it('main profile with B-frames: frames come out reordered, in presentation order, each with its pts', async () => {
    const { reference } = clips.get('bframes')!;
    let first: number | undefined;
    for (const profile of ['throughput', 'live'] as const) {
      const r = await call('display', '/bframes.h264', profile);
      // Live drops what comes past its deadline, which a loaded machine may make happen to a frame: every frame
      // is still accounted for (shown or counted late), and what is shown is in order and right.
      expect(r.counters, profile).toMatchObject({ decoded: N, frames: N, lost: 0 });
      expect(r.counters.presented + r.counters.late, profile).toBe(N);
      if (profile === 'throughput') expect(r.counters.presented).toBe(N);
      expect(r.unclosed).toBe(0);
      // Presentation order: pts rise by whole frames (h264Parse starts them after the reorder delay); the
      // throughput run, where nothing is dropped, names the pts of frame 0.
      first ??= r.pts[0]!;
      const index = r.pts.map((t) => Math.round(((t! - first!) * 30) / 1e9));
      r.pts.slice(1).forEach((t, i) => expect(t! - r.pts[i]!).toBeGreaterThan(1e9 / 30 - 1e6));
      index.slice(1).forEach((k, i) => expect(k).toBeGreaterThan(index[i]));
      r.frames.forEach((f, i) => expect(meanAbsDiff(Buffer.from(f, 'base64'), reference[index[i]]), `${profile} frame ${index[i]}`).toBeLessThan(3));
    }
  });

  it('live: frames past the deadline are closed undrawn and counted late', async () => {
    const r = await call('display', '/clip.h264', 'live', 0, 1e9);
    expect(r.counters).toMatchObject({ presented: 0, late: N, decoded: N, frames: N });
    expect(r.unclosed).toBe(0);
  });

  it('aborted mid-stream: the run rejects and every VideoFrame is closed', async () => {
    for (const profile of ['live', 'throughput'] as const) {
      const r = await call('display', '/clip.h264', profile, 0, 0, 3);
      expect(r.error).toMatch(/stopped by the test/);
      expect(r.counters.presented).toBe(3);
      expect(r.unclosed, profile).toBe(0);
    }
  });

  it('without VideoDecoder, webCodecsDec fails at once with a clear error', async () => {
    const e = await call('noDecoder');
    expect(e).toBeDefined();
    expect(e!.name).toBe('WebCodecsUnavailableError');
    expect(e!.code).toBe('WEBCODECS_UNAVAILABLE');
    expect(e!.message).toMatch(/webCodecsDec needs the WebCodecs VideoDecoder, which this host lacks \(globalThis\.VideoDecoder is undefined\)/);
  });
});
