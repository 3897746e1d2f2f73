/** A one-line progress bar for long CLI jobs (remux), redrawn in place on a terminal. */

export interface ProgressState {
  /** Bytes read so far. */
  readonly bytes: number;
  /** Total bytes, where known (a file's size). */
  readonly total?: number;
  /** Frames (access units) done so far. */
  readonly frames: number;
  /** Time since the job started, ms. */
  readonly elapsedMs: number;
}

/** Where the bar is drawn: a terminal stream (process.stderr). */
export interface ProgressOutput {
  write(text: string): unknown;
  /** Terminal width; 80 when unknown (or 0, as some pseudo-terminals say). */
  readonly columns?: number;
}

const MB = 1e6;

/** `0:07` or `1:02:03`. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const t = Math.round(seconds);
  const s = t % 60;
  const m = Math.floor(t / 60) % 60;
  const h = Math.floor(t / 3600);
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : `${m}:${String(s).padStart(2, '0')}`;
}

/**
 * The bar's text for `columns` terminal columns, never wider (a wider line would wrap, and `\r` would
 * then redraw only its last row): `[█████░░░░░]  45%  12.3/27.1 MB  1234 frames  85.2 MB/s  ETA 0:07`.
 * The bar itself shrinks first, then disappears; without a total there is no bar, percentage or ETA.
 */
export function formatProgress(s: ProgressState, columns = 80): string {
  const secs = s.elapsedMs / 1000;
  const rate = secs > 0 ? s.bytes / MB / secs : 0;
  const known = s.total !== undefined && s.total > 0;
  const fraction = known ? Math.min(1, s.bytes / s.total!) : 0;
  const parts: string[] = [];
  if (known) parts.push(`${(fraction * 100).toFixed(0).padStart(3)}%`, `${(s.bytes / MB).toFixed(1)}/${(s.total! / MB).toFixed(1)} MB`);
  else parts.push(`${(s.bytes / MB).toFixed(1)} MB`);
  parts.push(`${s.frames} frames`, `${rate.toFixed(1)} MB/s`);
  if (known) parts.push(`ETA ${rate > 0 ? formatEta((s.total! - s.bytes) / MB / rate) : '--:--'}`);
  let text = parts.join('  ');
  const room = columns - 1 - text.length - 4; // one column spare: writing the last one wraps on some terminals
  if (known && room >= 10) {
    const width = Math.min(room, 40);
    const full = Math.round(fraction * width);
    text = `[${'█'.repeat(full)}${'░'.repeat(width - full)}]  ${text}`;
  }
  return text.length > columns - 1 ? text.slice(0, Math.max(0, columns - 1)) : text;
}

/**
 * Redraws the line at most every `intervalMs` (a terminal write per packet would cost more than the
 * work it reports); `finish()` erases it so that the summary that follows starts on a clean line.
 */
export class ProgressBar {
  private last = -Infinity;
  private drawn = false;

  constructor(
    private readonly out: ProgressOutput,
    private readonly intervalMs = 100,
    private readonly now: () => number = () => performance.now(),
  ) {}

  update(state: ProgressState, force = false): void {
    const t = this.now();
    if (!force && t - this.last < this.intervalMs) return;
    this.last = t;
    this.out.write(`\r${formatProgress(state, this.out.columns || 80)}\x1b[K`);
    this.drawn = true;
  }

  finish(): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }
}
