/**
 * `--report FILE.html`: one self-contained page (inline SVG, no script, no network) of a run — the
 * glass-to-glass histogram with p50/p95/p99 marked, latency over time, and each element's processing time
 * over time with its drops marked. Data is gathered while the run goes (`ReportRecorder`), drawn at the end.
 */
import type { PipelineStats } from '../../src/pipeline/stats';
import type { LatencySummary } from '../../src/pipeline/histogram';

/** Latencies kept for the over-time plot; past this, every second one is dropped (the histogram stays exact). */
const MAX_POINTS = 20_000;

interface ElementSample {
  readonly name: string;
  /** Mean processing time (ns) over the interval ending here; NaN when nothing was timed in it. */
  readonly processing: number;
  /** Drops in the interval ending here. */
  readonly drops: number;
}

interface Sample {
  /** Clock time of the sample, ns. */
  readonly at: number;
  readonly elements: readonly ElementSample[];
}

export interface ReportData {
  readonly title: string;
  /** The pipeline as launch syntax (passwords are never printed by Pipeline.toString). */
  readonly pipeline: string;
  readonly stats: PipelineStats;
  /** Where glass-to-glass ends: at a display's presentation (a display sink reported it) or at the sink. */
  readonly end: 'presented' | 'sink';
  /** The latency drawn: capture → presented or capture → sink. */
  readonly summary: LatencySummary;
  /** [clock time, latency] pairs, ns, in arrival order (every `stride`-th packet). */
  readonly latencies: readonly (readonly [number, number])[];
  readonly stride: number;
  readonly samples: readonly Sample[];
  /** Clock time the run started, ns. */
  readonly start: number;
}

/** [clock time, latency] pairs, halved (every other kept) each time it reaches MAX_POINTS: bounded memory. */
class LatencySeries {
  readonly points: [number, number][] = [];
  stride = 1;
  private seen = 0;

  readonly add = (latency: number, at: number): void => {
    if (this.seen++ % this.stride !== 0) return;
    this.points.push([at, latency]);
    if (this.points.length >= MAX_POINTS) {
      let w = 0;
      for (let r = 0; r < this.points.length; r += 2) this.points[w++] = this.points[r];
      this.points.length = w;
      this.stride *= 2;
    }
  };
}

/**
 * Collects what the report draws: every latency to the sink and, where a display sink reports it, to
 * presentation (decimated past MAX_POINTS), and periodic stats samples.
 */
export class ReportRecorder {
  readonly samples: Sample[] = [];
  private readonly toSink = new LatencySeries();
  private readonly toPresented = new LatencySeries();
  private last = new Map<string, { count: number; sum: number; drops: number }>();

  constructor(readonly start: number) {}

  readonly onLatency = this.toSink.add;
  readonly onPresented = this.toPresented.add;

  /** One stats sample: per element, the mean processing time and the drops since the previous sample. */
  sample(stats: PipelineStats, at: number): void {
    const elements = stats.elements.map((e): ElementSample => {
      const p = e.processing;
      const drops = Object.values(e.drops).reduce((a: number, b) => a + (b ?? 0), 0);
      const sum = p.count > 0 ? p.mean * p.count : 0;
      const prev = this.last.get(e.name) ?? { count: 0, sum: 0, drops: 0 };
      this.last.set(e.name, { count: p.count, sum, drops });
      const n = p.count - prev.count;
      return { name: e.name, processing: n > 0 ? (sum - prev.sum) / n : NaN, drops: drops - prev.drops };
    });
    this.samples.push({ at, elements });
  }

  /** The report's data: latency to presentation when a display reported it, else to the sink. */
  data(title: string, pipeline: string, stats: PipelineStats): ReportData {
    const presented = stats.presented !== undefined && this.toPresented.points.length > 0;
    const series = presented ? this.toPresented : this.toSink;
    return {
      title,
      pipeline,
      stats,
      end: presented ? 'presented' : 'sink',
      summary: presented ? stats.presented! : stats.latency,
      latencies: series.points,
      stride: series.stride,
      samples: this.samples,
      start: this.start,
    };
  }
}

const W = 720;
const H = 220;
const PAD = { l: 64, r: 16, t: 16, b: 36 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const ms = (ns: number): string => (Number.isFinite(ns) ? (ns / 1e6).toFixed(3) : '-');
const us = (ns: number): string => (Number.isFinite(ns) ? (ns / 1e3).toFixed(1) : '-');
const num = (v: number): string => (Math.round(v * 10) / 10).toString();

/** A linear scale from [d0, d1] to [r0, r1]; a point domain is widened so that it still draws. */
function scale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || Math.abs(d0) || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

function axes(xLabel: string, yLabel: string, x: (v: number) => number, y: (v: number) => number, xMax: number, yMax: number): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const out = [
    `<line x1="${PAD.l}" y1="${H - PAD.b}" x2="${W - PAD.r}" y2="${H - PAD.b}" stroke="#333"/>`,
    `<line x1="${PAD.l}" y1="${PAD.t}" x2="${PAD.l}" y2="${H - PAD.b}" stroke="#333"/>`,
  ];
  for (const t of ticks) {
    out.push(`<text x="${num(x(t * xMax))}" y="${H - PAD.b + 14}" font-size="10" text-anchor="middle">${(t * xMax).toFixed(xMax < 10 ? 2 : 0)}</text>`);
    out.push(`<text x="${PAD.l - 4}" y="${num(y(t * yMax) + 3)}" font-size="10" text-anchor="end">${(t * yMax).toFixed(yMax < 10 ? 2 : 0)}</text>`);
  }
  out.push(`<text x="${(PAD.l + W - PAD.r) / 2}" y="${H - 4}" font-size="11" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(
    `<text x="12" y="${(PAD.t + H - PAD.b) / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${(PAD.t + H - PAD.b) / 2})">${esc(
      yLabel
    )}</text>`
  );
  return out.join('');
}

/** The latency histogram (ms, 40 bins from 0 to the largest), p50/p95/p99 as vertical lines. */
function histogram(d: ReportData): string {
  const values = d.latencies.map(([, l]) => l / 1e6);
  if (values.length === 0) return '<p class="empty">No packet carried a capture time: no glass-to-glass latency to show.</p>';
  const max = Math.max(...values) || 1;
  const bins = new Array<number>(40).fill(0);
  for (const v of values) bins[Math.min(39, Math.floor((v / max) * 40))]++;
  const top = Math.max(...bins);
  const x = scale(0, max, PAD.l, W - PAD.r);
  const y = scale(0, top, H - PAD.b, PAD.t);
  const bw = (W - PAD.l - PAD.r) / 40;
  const bars = bins.map(
    (c, i) =>
      `<rect class="bin" data-count="${c}" x="${num(PAD.l + i * bw)}" y="${num(y(c))}" width="${num(bw - 1)}" height="${num(
        H - PAD.b - y(c)
      )}" fill="#9ecae1"/>`
  );
  const l = d.summary;
  const marks = (['p50', 'p95', 'p99'] as const).map((q, i) => {
    const v = l[q] / 1e6;
    const color = ['#2ca02c', '#ff7f0e', '#d62728'][i];
    return `<line class="quantile" data-quantile="${q}" data-ms="${ms(l[q])}" x1="${num(x(v))}" y1="${PAD.t}" x2="${num(x(v))}" y2="${
      H - PAD.b
    }" stroke="${color}" stroke-width="2"/><text x="${num(x(v) > W - 120 ? x(v) - 3 : x(v) + 3)}" text-anchor="${x(v) > W - 120 ? 'end' : 'start'}" y="${
      PAD.t + 10 + i * 12
    }" font-size="11" fill="${color}">${q} ${ms(l[q])} ms</text>`;
  });
  return `<svg id="histogram" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="latency histogram">${axes(
    `capture → ${d.end} latency (ms)`,
    'packets',
    x,
    y,
    max,
    top
  )}${bars.join('')}${marks.join('')}</svg>`;
}

/** Latency over the run: one point per kept packet. */
function overTime(d: ReportData): string {
  if (d.latencies.length === 0) return '';
  const t = (at: number) => (at - d.start) / 1e9;
  const tMax = Math.max(...d.latencies.map(([at]) => t(at))) || 1;
  const lMax = Math.max(...d.latencies.map(([, l]) => l / 1e6)) || 1;
  const x = scale(0, tMax, PAD.l, W - PAD.r);
  const y = scale(0, lMax, H - PAD.b, PAD.t);
  const path = d.latencies.map(([at, l], i) => `${i ? 'L' : 'M'}${num(x(t(at)))},${num(y(l / 1e6))}`).join('');
  return `<svg id="latency-over-time" data-points="${
    d.latencies.length
  }" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="latency over time">${axes(
    'time (s)',
    'latency (ms)',
    x,
    y,
    tMax,
    lMax
  )}<path d="${path}" fill="none" stroke="#1f77b4" stroke-width="1"/></svg>`;
}

/** Each element's mean processing time per sample interval (µs), drops marked as red ticks on the time axis. */
function processing(d: ReportData): string {
  if (d.samples.length === 0) return '';
  const t = (at: number) => (at - d.start) / 1e9;
  const tMax = t(d.samples[d.samples.length - 1].at) || 1;
  const names = d.samples[0].elements.map((e) => e.name);
  const all = d.samples.flatMap((s) => s.elements.map((e) => e.processing / 1e3)).filter(Number.isFinite);
  const pMax = Math.max(1, ...all);
  const x = scale(0, tMax, PAD.l, W - PAD.r);
  const y = scale(0, pMax, H - PAD.b, PAD.t);
  const lines = names.map((name, k) => {
    const pts = d.samples.map((s) => [t(s.at), s.elements[k]?.processing / 1e3] as const).filter(([, v]) => Number.isFinite(v));
    const color = COLORS[k % COLORS.length];
    const path = pts.map(([a, v], i) => `${i ? 'L' : 'M'}${num(x(a))},${num(y(v))}`).join('');
    // Processing is timed on a sample of packets: an interval may have one value, so each is a dot too.
    const dots = pts.map(([a, v]) => `<circle cx="${num(x(a))}" cy="${num(y(v))}" r="2" fill="${color}"/>`).join('');
    return pts.length ? `<path class="element" data-element="${esc(name)}" d="${path}" fill="none" stroke="${color}" stroke-width="1.5"/>${dots}` : '';
  });
  const drops = d.samples.flatMap((s) =>
    s.elements
      .filter((e) => e.drops > 0)
      .map(
        (e) =>
          `<line class="drop" data-element="${esc(e.name)}" data-drops="${e.drops}" x1="${num(x(t(s.at)))}" y1="${H - PAD.b}" x2="${num(x(t(s.at)))}" y2="${
            H - PAD.b - 8
          }" stroke="#d62728" stroke-width="2"/>`
      )
  );
  const legend = names.map((n, k) => `<span style="color:${COLORS[k % COLORS.length]}">■ ${esc(n)}</span>`).join(' ');
  return `<svg id="processing" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="processing time per element">${axes(
    'time (s)',
    'processing (µs, mean)',
    x,
    y,
    tMax,
    pMax
  )}${lines.join('')}${drops.join('')}</svg><p class="legend">${legend} <span style="color:#d62728">| drops</span></p>`;
}

function table(stats: PipelineStats): string {
  const rows = stats.elements.map((e) => {
    const drops = Object.entries(e.drops)
      .filter(([, n]) => n)
      .map(([r, n]) => `${r} ${n}`)
      .join(', ');
    return `<tr data-element="${esc(e.name)}"><td>${esc(e.name)}</td><td>${esc(e.factory)}</td><td>${e.packets}</td><td>${us(e.processing.p50)}</td><td>${us(
      e.processing.p95
    )}</td><td>${esc(drops || '0')}</td><td>${e.copies.count}</td></tr>`;
  });
  return `<table><thead><tr><th>element</th><th>factory</th><th>packets</th><th>proc p50 µs</th><th>proc p95 µs</th><th>drops</th><th>copies</th></tr></thead><tbody>${rows.join(
    ''
  )}</tbody></table>`;
}

/** The whole page: no script, no external resource, so that it opens anywhere and can be attached to a bug. */
export function renderReport(d: ReportData): string {
  const l = d.summary;
  const summary =
    l.count > 0
      ? `<p id="summary">${l.count} packets with a capture time: p50 <b data-quantile="p50">${ms(l.p50)}</b> ms, p95 <b data-quantile="p95">${ms(
          l.p95
        )}</b> ms, p99 <b data-quantile="p99">${ms(l.p99)}</b> ms, max ${ms(l.max)} ms${d.stride > 1 ? ` (plots show every ${d.stride}th packet)` : ''}</p>`
      : '<p id="summary">No packet carried a capture time.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(d.title)}</title>
<style>body{font:13px system-ui,sans-serif;margin:24px;color:#222}code{background:#f4f4f4;padding:2px 4px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,td:nth-child(2){text-align:left}h2{font-size:15px;margin-top:24px}</style>
</head><body>
<h1>${esc(d.title)}</h1>
<p><code>${esc(d.pipeline)}</code></p>
<p>Ran ${ms(d.stats.duration)} ms; delivered ${d.stats.delivered}; drops ${d.stats.drops}; CPU copies ${d.stats.copies.count}.</p>
${summary}
<h2 id="latency-end" data-end="${d.end}">Glass-to-glass latency (capture → ${d.end === 'presented' ? 'presented on the display' : 'sink'})</h2>
${histogram(d)}
<h2>Latency over time</h2>
${overTime(d)}
<h2>Processing time per element</h2>
${processing(d)}
<h2>Elements</h2>
${table(d.stats)}
</body></html>
`;
}
