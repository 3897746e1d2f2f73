import type { ElementContext } from '../../src/element';
import { Histogram, type LatencySummary } from '../../src/pipeline/histogram';

/** Committed frames whose fate never comes (a compositor that lost them) are forgotten past this many. */
const MAX_IN_FLIGHT = 64;

/**
 * What a display sink knows of its frames' presentation: the capture time of each committed frame until the
 * display says it was shown (or not), then capture → presented on the pipeline clock — kept in a fixed-memory
 * histogram and reported to the pipeline stats. Shared by waylandSink and kmsSink.
 */
export class PresentationTracker {
  private readonly captures = new Map<number, number>();
  private readonly histogram = new Histogram();
  /** Last presented frame's time on the pipeline clock (ns). */
  lastPresented: number | undefined;

  /** A frame was committed under feedback id `id` (null: not committed). */
  committed(id: number | null, capture: number | undefined): void {
    if (id === null || capture === undefined) return;
    this.captures.set(id, capture);
    if (this.captures.size > MAX_IN_FLIGHT) this.captures.delete(this.captures.keys().next().value!);
  }

  /**
   * The display's word on frame `id`: presented at `presented` on its own clock (`offset` moves that to the
   * pipeline clock: both clocks' now, read together, subtracted), or never (null/undefined).
   */
  settled(ctx: ElementContext, id: number, presented: number | null | undefined, offset: number): void {
    const capture = this.captures.get(id);
    this.captures.delete(id);
    if (presented === undefined || presented === null) return;
    const at = presented + offset;
    this.lastPresented = at;
    if (capture === undefined) return;
    this.histogram.record(at - capture);
    ctx.report.presented(at - capture, at);
  }

  /** Capture → presented (ns) of every frame that carried a capture time; undefined before the first. */
  latency(): LatencySummary | undefined {
    const s = this.histogram.summary();
    return s.count > 0 ? s : undefined;
  }
}
