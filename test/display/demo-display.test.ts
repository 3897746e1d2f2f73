/** `g2g demo --display wayland`: what the model read, boxed and labelled, in a window of a real compositor. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo } from '../../node/cli/demo';
import { requirePeer } from '../peers';
import { H, screenshot, startWeston, stopWeston, until, W, westons, type Weston } from './weston';

requirePeer('native', 'onnxruntime', 'weston');

describe('g2g demo --display wayland', () => {
  let weston: Weston;
  const saved = { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR, WAYLAND_DISPLAY: process.env.WAYLAND_DISPLAY };
  beforeAll(async () => {
    weston = await startWeston('wayland-g2g-demo');
    Object.assign(process.env, { XDG_RUNTIME_DIR: weston.env.XDG_RUNTIME_DIR, WAYLAND_DISPLAY: weston.env.WAYLAND_DISPLAY });
  }, 20_000);
  afterAll(() => {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    for (const w of westons.splice(0)) stopWeston(w);
  });

  it('shows the frames with the OCR boxes, their text and the latency line; reports presented frames', async () => {
    const lines: string[] = [];
    const io = { out: (t: string) => void lines.push(t), err: (t: string) => void lines.push(`ERR ${t}`) };
    const report = join(weston.dir, 'demo-report.html');
    const run = demo(['--frames', '45', '--display', 'wayland', '--preprocess', 'cpu', '--report', report], io, { onInterrupt: () => () => undefined });
    // Mid-run, once frames flow: the window holds a frame with what the model read drawn on it.
    await until(() => lines.filter((l) => l.startsWith('frame ')).length >= 3, 60_000);
    await new Promise((r) => setTimeout(r, 300));
    const shot = screenshot(weston);
    expect(await run).toBe(0);
    expect([shot.width, shot.height]).toEqual([W, H]);
    let green = 0;
    let white = 0;
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const [r, g, b] = shot.rgb(x, y);
        // overlay's green (0, 220, 0) is no colour of the smpte pattern's (its green bar is 0, 255, 0).
        if (r < 30 && g > 200 && g < 240 && b < 30) green++;
        if (r > 245 && g > 245 && b > 245) white++;
      }
    expect(green, 'box outlines and label backgrounds').toBeGreaterThan(200);
    expect(white).toBeGreaterThan(0);
    const summary = lines.find((l) => l.startsWith('Display (waylandSink):'));
    expect(summary).toMatch(
      /^Display \(waylandSink\): (\d+) frames presented, \d+ discarded by the compositor, \d+ replaced by newer frames, \d+ dropped; capture → presented p50 [\d.]+ ms, p95 [\d.]+ ms$/
    );
    expect(Number(/(\d+) frames presented/.exec(summary!)![1])).toBeGreaterThan(20);
    expect(lines.join('\n')).toMatch(/'HELLO 42' read on [1-9]\d*/);
    // The report ends glass-to-glass at presentation, with the quantiles the run printed.
    const html = readFileSync(report, 'utf8');
    expect(html).toMatch(/id="latency-end" data-end="presented"/);
    expect(html).toMatch(/capture → presented latency \(ms\)/);
    expect(lines.join('\n')).toMatch(/glass-to-glass to presentation \(\d+ frames\)/);
  }, 120_000);
});
