/** `g2g launch --report FILE.html`: the page drawn from a real run, opened in headless Chromium. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch } from '../../node/cli/launch';
import { renderReport, ReportRecorder } from '../../node/cli/report';
import type { PipelineStats } from '../../src/pipeline/stats';
import { CHROMIUM, CHROMIUM_ARGS } from '../browser/harness';
import { requirePeer } from '../peers';

requirePeer('chromium');

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}, 60_000);
afterAll(() => browser?.close());

const noInterrupts = () => () => undefined;

describe('g2g launch --report', () => {
  it('draws every packet of a live run: histogram, quantiles, latency over time, elements, drops; self-contained', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'g2g-report-'));
    const file = join(dir, 'run.html');
    const out: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(`ERR ${t}`) };
    const code = await launch(
      ['--report', file, 'videoTestSrc is-live=true num-buffers=30 framerate=60/1 width=64 height=48 ! identity drop-every=10 ! fakeSink'],
      io,
      { onInterrupt: noInterrupts }
    );
    expect(code).toBe(0);
    expect(out).toContain(`Report written to ${file}`);
    const html = readFileSync(file, 'utf8');
    // Nothing to fetch, nothing to run: it opens anywhere, offline.
    expect(html).not.toMatch(/<script|\bsrc=|href=/i);

    const page = await browser.newPage();
    await page.goto(`file://${file}`);
    const shown = await page.evaluate(() => {
      const q = (s: string) => Array.from(document.querySelectorAll(s));
      return {
        binTotal: q('#histogram rect.bin').reduce((n, r) => n + Number(r.getAttribute('data-count')), 0),
        lines: Object.fromEntries(q('#histogram line.quantile').map((l) => [l.getAttribute('data-quantile'), l.getAttribute('data-ms')])),
        summary: Object.fromEntries(q('#summary b').map((b) => [b.getAttribute('data-quantile'), b.textContent])),
        points: Number(document.querySelector('#latency-over-time')?.getAttribute('data-points')),
        rows: q('tbody tr').map((r) => r.getAttribute('data-element')),
        drops: q('#processing line.drop').reduce((n, l) => n + Number(l.getAttribute('data-drops')), 0),
        dropElements: [...new Set(q('#processing line.drop').map((l) => l.getAttribute('data-element')))],
        width: (document.querySelector('#histogram') as SVGSVGElement).getBoundingClientRect().width,
      };
    });
    await page.close();
    // identity drops every 10th of 30: 27 reach the sink, each with a capture time.
    expect(shown.binTotal).toBe(27);
    expect(shown.points).toBe(27);
    expect(shown.rows).toEqual(['videoTestSrc0', 'identity0', 'fakeSink0']);
    expect(shown.drops).toBe(3);
    expect(shown.dropElements).toEqual(['identity0']);
    expect(Object.keys(shown.lines)).toEqual(['p50', 'p95', 'p99']);
    expect(shown.summary).toEqual(shown.lines);
    expect(Number(shown.lines.p50)).toBeGreaterThan(0);
    expect(Number(shown.lines.p50)).toBeLessThanOrEqual(Number(shown.lines.p99));
    expect(shown.width).toBeGreaterThan(100);
  }, 30_000);

  it('a run without capture times says so; text from the pipeline is escaped', () => {
    const rec = new ReportRecorder(0);
    const empty = { count: 0, mean: NaN, p50: NaN, p95: NaN, p99: NaN, min: NaN, max: NaN };
    const stats: PipelineStats = {
      elements: [{ name: '<b>x</b>', factory: 'fakeSink', packets: 1, processing: empty, drops: {}, copies: { count: 0, bytes: 0 } }],
      latency: empty,
      drops: 0,
      copies: { count: 0, bytes: 0, implicit: 0, byElement: {} },
      duration: 1e6,
      delivered: 1,
    };
    rec.sample(stats, 1e6);
    const html = renderReport(rec.data('t', 'fakeSrc ! fakeSink name="<script>"', stats));
    expect(html).toContain('No packet carried a capture time');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>x</b>');
  });
});
