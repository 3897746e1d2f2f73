/** weston headless for the display tests (../shared/peers.md's recipe), its screenshots, and a wait helper. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { expect } from 'vitest';

/** The headless output's size. */
export const W = 640;
export const H = 480;

export interface Weston {
  readonly proc: ChildProcess;
  readonly dir: string;
  readonly socket: string;
  readonly env: NodeJS.ProcessEnv;
  log(): string;
}

export const westons: Weston[] = [];

/** weston's renderer: pixman (CPU, the default) or GL (`--use-gl`: EGL on Mesa's llvmpipe, needs Mesa 25 here). */
export type WestonRenderer = 'pixman' | 'gl';

export interface StartWestonOptions {
  /** Default 'pixman'. */
  readonly renderer?: WestonRenderer;
}

/**
 * weston headless, as ../shared/peers.md: a private runtime dir, a fixed-size output, the pixman renderer
 * unless `renderer: 'gl'`.
 */
export async function startWeston(name: string, options: StartWestonOptions = {}): Promise<Weston> {
  const renderer = options.renderer ?? 'pixman';
  const dir = mkdtempSync(join(tmpdir(), 'g2g-weston-'));
  const ini = join(dir, 'weston-test.ini');
  writeFileSync(ini, '[core]\nidle-time=0\n[shell]\npanel-position=none\nbackground-color=0xff000000\nlocking=false\nanimation=none\nstartup-animation=none\n');
  const env = { ...process.env, XDG_RUNTIME_DIR: dir, WAYLAND_DISPLAY: name };
  let out = '';
  const proc = spawn(
    'weston',
    [
      '--backend=headless-backend.so',
      renderer === 'gl' ? '--use-gl' : '--use-pixman',
      `--width=${W}`,
      `--height=${H}`,
      `--socket=${name}`,
      `--config=${ini}`,
      '--debug',
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] }
  );
  proc.stdout!.on('data', (d: Buffer) => void (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => void (out += d.toString()));
  const w: Weston = { proc, dir, socket: join(dir, name), env, log: () => out };
  westons.push(w);
  const deadline = Date.now() + 10_000;
  while (!existsSync(w.socket)) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`weston (${renderer}) did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  // The shell's own client (background) starts right after the socket; give it a moment to map.
  await new Promise((r) => setTimeout(r, 300));
  return w;
}

export function stopWeston(w: Weston): void {
  if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
  rmSync(w.dir, { recursive: true, force: true });
}

/** Decodes weston-screenshooter's PNG (8-bit RGB or RGBA, non-interlaced) to RGB rows. */
export function decodePng(file: string): { width: number; height: number; rgb: (x: number, y: number) => number[] } {
  const b = readFileSync(file);
  let pos = 8;
  let width = 0;
  let height = 0;
  let type = 0;
  const idat: Buffer[] = [];
  while (pos < b.length) {
    const len = b.readUInt32BE(pos);
    const kind = b.toString('latin1', pos + 4, pos + 8);
    const data = b.subarray(pos + 8, pos + 8 + len);
    if (kind === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8);
      type = data[9];
      expect(data[12]).toBe(0);
    } else if (kind === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const bpp = type === 6 ? 4 : 3;
  expect([2, 6]).toContain(type);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const px = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? px[y * stride + i - bpp] : 0;
      const up = y > 0 ? px[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= bpp ? px[(y - 1) * stride + i - bpp] : 0;
      let v = src[i];
      if (f === 1) v += a;
      else if (f === 2) v += up;
      else if (f === 3) v += (a + up) >> 1;
      else if (f === 4) {
        const p = a + up - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - up);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? up : c;
      }
      px[y * stride + i] = v & 0xff;
    }
  }
  return { width, height, rgb: (x, y) => [...px.subarray(y * stride + x * bpp, y * stride + x * bpp + 3)] };
}

/** A screenshot of weston's output (weston-screenshooter writes it into its working directory). */
export function screenshot(w: Weston): ReturnType<typeof decodePng> {
  const dir = mkdtempSync(join(w.dir, 'shot-'));
  const r = spawnSync('weston-screenshooter', [], { cwd: dir, env: w.env, encoding: 'utf8', timeout: 10_000 });
  const file = readdirSync(dir).find((f) => f.endsWith('.png'));
  if (!file) throw new Error(`weston-screenshooter wrote no PNG (exit ${r.status}): ${r.stderr}${r.stdout}`);
  return decodePng(join(dir, file));
}

export function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() > deadline) reject(new Error('timed out'));
      else setTimeout(tick, 10);
    };
    tick();
  });
}
