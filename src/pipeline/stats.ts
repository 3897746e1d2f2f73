import type { DropReason, ElementReporter } from '../element';
import type { CopySummary } from '../memory/ledger';
import { Histogram, type LatencySummary } from './histogram';

export interface ElementStats {
  readonly name: string;
  readonly factory: string;
  /** Packets this element received (sinks, transforms) or produced (sources). */
  readonly packets: number;
  /** Sampled processing time per packet, ns, exclusive of time spent in upstream pulls. */
  readonly processing: LatencySummary;
  readonly queue?: { readonly depth: number; readonly maxDepth: number; readonly capacity: number };
  readonly drops: Readonly<Partial<Record<DropReason, number>>>;
  readonly copies: { readonly count: number; readonly bytes: number };
}

export interface PipelineStats {
  readonly elements: readonly ElementStats[];
  /** Glass-to-glass latency (capture time → sink), ns, every packet that carried a capture time. */
  readonly latency: LatencySummary;
  /**
   * Glass-to-glass latency to presentation (capture time → the display's word that the frame was shown), ns;
   * only when a display sink reported presentation (waylandSink's wp_presentation feedback).
   */
  readonly presented?: LatencySummary;
  readonly drops: number;
  readonly copies: CopySummary;
  /** Clock time from start to end, ns. */
  readonly duration: number;
  /** Packets that reached a sink. */
  readonly delivered: number;
}

/** Mutable per-element counters behind ElementStats. */
export class ElementRecorder implements ElementReporter {
  packets = 0;
  readonly processing = new Histogram();
  readonly drops: Partial<Record<DropReason, number>> = {};
  dropTotal = 0;
  queue: { depth: number; maxDepth: number; capacity: number } | undefined;

  constructor(readonly name: string, readonly factory: string, private readonly onPresented?: (latency: number, at: number) => void) {}

  presented(latency: number, at: number): void {
    this.onPresented?.(latency, at);
  }

  drop(reason: DropReason, count = 1): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + count;
    this.dropTotal += count;
  }

  queueDepth(depth: number, capacity: number): void {
    if (!this.queue) this.queue = { depth, maxDepth: depth, capacity };
    this.queue.depth = depth;
    this.queue.capacity = capacity;
    if (depth > this.queue.maxDepth) this.queue.maxDepth = depth;
  }

  snapshot(copies: CopySummary): ElementStats {
    return {
      name: this.name,
      factory: this.factory,
      packets: this.packets,
      processing: this.processing.summary(),
      queue: this.queue ? { ...this.queue } : undefined,
      drops: { ...this.drops },
      copies: copies.byElement[this.name] ?? { count: 0, bytes: 0 },
    };
  }
}

const ms = (ns: number) => (Number.isNaN(ns) ? '-' : (ns / 1e6).toFixed(3));
const us = (ns: number) => (Number.isNaN(ns) ? '-' : (ns / 1e3).toFixed(2));

/** A fixed-width table of the stats, as `g2g` prints it. */
export function formatStats(stats: PipelineStats): string {
  const rows = [['element', 'packets', 'proc p50 µs', 'proc p95 µs', 'queue max', 'drops', 'copies']];
  for (const e of stats.elements) {
    const drops = Object.values(e.drops).reduce((a, b) => a + (b ?? 0), 0);
    rows.push([
      e.name,
      String(e.packets),
      us(e.processing.p50),
      us(e.processing.p95),
      e.queue ? `${e.queue.maxDepth}/${Number.isFinite(e.queue.capacity) ? e.queue.capacity : '∞'}` : '-',
      String(drops),
      String(e.copies.count),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  const l = stats.latency;
  lines.push(
    '',
    l.count > 0
      ? `glass-to-glass latency (${l.count} packets): p50 ${ms(l.p50)} ms  p95 ${ms(l.p95)} ms  p99 ${ms(l.p99)} ms  max ${ms(l.max)} ms`
      : 'glass-to-glass latency: no packet carried a capture time',
    ...(stats.presented && stats.presented.count > 0
      ? [
          `glass-to-glass to presentation (${stats.presented.count} frames): p50 ${ms(stats.presented.p50)} ms  p95 ${ms(stats.presented.p95)} ms  p99 ${ms(
            stats.presented.p99
          )} ms  max ${ms(stats.presented.max)} ms`,
        ]
      : []),
    `delivered ${stats.delivered} packets in ${ms(stats.duration)} ms; drops ${stats.drops}; CPU copies ${stats.copies.count} (${stats.copies.bytes} bytes, ${
      stats.copies.implicit
    } implicit)`
  );
  return lines.join('\n');
}
