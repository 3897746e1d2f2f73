/**
 * examples/browser: main.ts bundled by esbuild for the browser (the package names mapped to the core, as the
 * package's browser entries are), index.html served as is, the page run in headless Chromium.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, REPO_ROOT } from '../browser/harness';
import { requirePeer } from '../peers';

requirePeer('chromium');

const EXAMPLE = join(REPO_ROOT, 'examples/browser');
/** What a browser gets for each name: the core, never node/ (no `node` condition there). */
const BROWSER_ALIASES = { glass2glass: join(REPO_ROOT, 'operators/entry.ts'), 'glass2glass/operators': join(REPO_ROOT, 'operators/index.ts') };

let server: Server | undefined;
let browser: Browser | undefined;
let origin = '';
let bundledFrom: string[] = [];

beforeAll(async () => {
  // platform 'browser': a node: import anywhere in the graph fails the build.
  const r = await build({
    entryPoints: [join(EXAMPLE, 'main.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    alias: BROWSER_ALIASES,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  bundledFrom = Object.keys(r.metafile.inputs);
  const mainJs = r.outputFiles[0].text;
  const html = await readFile(join(EXAMPLE, 'index.html'), 'utf8');
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/' || path === '/index.html') res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    else if (path === '/main.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(mainJs);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => server!.once('error', reject).listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
});

/** Opens the page with a query; resolves with what #stats reports once the run ended, and the page's errors. */
async function openPage(query: string) {
  const page = await browser!.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  try {
    await page.goto(`${origin}/${query}`);
    await page.waitForSelector('#stats[data-state="done"], #stats[data-state="error"]', { timeout: 30_000 });
    const stats = await page.$eval('#stats', (e) => ({
      state: (e as HTMLElement).dataset.state,
      frames: Number((e as HTMLElement).dataset.frames ?? 0),
      text: e.textContent ?? '',
    }));
    const pixel = await page.$eval('canvas#video', (c) => {
      const canvas = c as HTMLCanvasElement;
      return [...canvas.getContext('2d')!.getImageData(canvas.width >> 1, canvas.height >> 1, 1, 1).data];
    });
    return { stats, pixel, errors };
  } finally {
    await page.close();
  }
}

describe('examples/browser', () => {
  it('bundles from the core alone: nothing under node/', () => {
    expect(bundledFrom).toContain('examples/brightness.ts');
    expect(bundledFrom.filter((f) => f.startsWith('node/'))).toEqual([]);
  });

  it('plays frames through brightness onto the canvas and reports them', async () => {
    // black is Y=16; +100 gives Y=116, which BT.601 video range maps to RGB 116.
    const { stats, pixel, errors } = await openPage('?frames=30&delta=100&pattern=black');
    expect(errors).toEqual([]);
    expect(stats.state).toBe('done');
    expect(stats.frames).toBeGreaterThanOrEqual(25); // a late frame may be dropped on a busy machine (live)
    expect(stats.text).toMatch(/^\d+ frames, glass-to-glass latency p50 [\d.]+ ms, p99 [\d.]+ ms$/);
    expect(pixel).toEqual([116, 116, 116, 255]);
  });

  it('reports a bad setting in the page', async () => {
    const { stats } = await openPage('?frames=3&delta=999');
    expect(stats).toMatchObject({ state: 'error', text: expect.stringContaining('brightness delta') });
  });
});
