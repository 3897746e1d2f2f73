import { MILLISECOND } from '../time';
import { argb, BLACK, rgb, WHITE, yuvColor, type Color } from './color';
import { drawText, fillCircle, fillFrame, fillRect, subsample444, type FrameView, type Rect } from './draw';
import { textSize } from './font';
import { frameLayout, type VideoFormat, type VideoFrameLayout } from './format';

/**
 * Test patterns, as GStreamer's videotestsrc names them: `smpte` is its pattern 0 (SMPTE bars with the
 * top bars at 100%, the -I/white/+Q and PLUGE row below), `smpte75` its pattern 13 (full-height 75% bars).
 */
export type TestPattern = 'smpte' | 'smpte75' | 'ball' | 'solid' | 'black' | 'white';
export const TEST_PATTERNS: readonly TestPattern[] = Object.freeze(['smpte', 'smpte75', 'ball', 'solid', 'black', 'white']);

/** Burnt-in text: the frame number, the running time (pts) as hh:mm:ss.mmm, or a fixed string. */
export type Overlay = 'none' | 'frame' | 'clock' | 'text';
export const OVERLAYS: readonly Overlay[] = Object.freeze(['none', 'frame', 'clock', 'text']);

export interface TestPatternOptions {
  readonly pattern?: TestPattern;
  /** 0xAARRGGBB: the `solid` colour and the ball; default opaque white. */
  readonly foregroundColor?: number;
  /** 0xAARRGGBB: behind the ball; default opaque black. */
  readonly backgroundColor?: number;
  readonly overlay?: Overlay;
  /** The string drawn by overlay 'text'. */
  readonly text?: string;
  /** Pixels per font pixel (4: 28-pixel-high glyphs in a 36-pixel box); default 4. */
  readonly overlayScale?: number;
  /** Top-left corner of the overlay box; default two font pixels from the frame's corner. */
  readonly overlayX?: number;
  readonly overlayY?: number;
}

// SMPTE palette. Bars derive YUV from RGB; the three patches defined only in YCbCr (the -I and +Q chroma
// references and super-black below black) carry the same code values as GStreamer's BT.601 table.
const BARS_100 = [rgb(255, 255, 255), rgb(255, 255, 0), rgb(0, 255, 255), rgb(0, 255, 0), rgb(255, 0, 255), rgb(255, 0, 0), rgb(0, 0, 255)];
const BARS_75 = [rgb(191, 191, 191), rgb(191, 191, 0), rgb(0, 191, 191), rgb(0, 191, 0), rgb(191, 0, 191), rgb(191, 0, 0), rgb(0, 0, 191)];
const NEG_I = yuvColor(16, 198, 21, [0, 0, 128]);
const POS_Q = yuvColor(16, 235, 198, [0, 128, 255]);
const SUPER_BLACK = yuvColor(0, 128, 128, [0, 0, 0]);
const DARK_GREY = rgb(19, 19, 19);

/** Running time as hh:mm:ss.mmm (truncated to the millisecond, as a clock shows it). */
export function formatClock(ns: number): string {
  const ms = Math.floor(Math.max(0, ns) / MILLISECOND);
  const p = (n: number, w: number) => String(n).padStart(w, '0');
  return `${p(Math.floor(ms / 3_600_000), 2)}:${p(Math.floor(ms / 60_000) % 60, 2)}:${p(Math.floor(ms / 1000) % 60, 2)}.${p(ms % 1000, 3)}`;
}

/** The frame counter's text: at least six digits, so the box keeps its size. */
export function formatFrameNumber(i: number): string {
  return String(i).padStart(6, '0');
}

function bounce(t: number, span: number): number {
  if (span <= 0) return 0;
  const p = t % (2 * span);
  return p <= span ? p : 2 * span - p;
}

/** The moving ball: radius and centre for frame `i`, bouncing off the edges at a fixed speed. */
export function ballPosition(i: number, width: number, height: number): { x: number; y: number; radius: number } {
  const radius = Math.max(2, Math.round(Math.min(width, height) / 12));
  const vx = Math.max(1, Math.round(width / 80));
  const vy = Math.max(1, Math.round(height / 60));
  return { x: radius + bounce(i * vx, width - 2 * radius), y: radius + bounce(i * vy, height - 2 * radius), radius };
}

function bars(view: FrameView, y0: number, y1: number, colors: readonly Color[]): void {
  const w = view.layout.width;
  for (let i = 0; i < 7; i++) {
    const x0 = Math.floor((i * w) / 7);
    fillRect(view, x0, y0, Math.floor(((i + 1) * w) / 7) - x0, y1 - y0, colors[i]);
  }
}

/** GStreamer's pattern 0 geometry: bars, the reverse-blue castellations, and the -I/white/+Q/PLUGE row. */
function smpte(view: FrameView, fg: Color, bg: Color): void {
  const { width: w, height: h } = view.layout;
  const y1 = Math.floor((2 * h) / 3);
  const y2 = Math.floor((3 * h) / 4);
  bars(view, 0, y1, BARS_100);
  bars(view, y1, y2, BARS_100.map((_, i) => (i & 1 ? BLACK : BARS_100[6 - i])));
  const row = (x0: number, x1: number, c: Color) => fillRect(view, x0, y2, x1 - x0, h - y2, c);
  const six = (i: number) => Math.floor((i * w) / 6);
  row(six(0), six(1), NEG_I);
  row(six(1), six(2), WHITE);
  row(six(2), six(3), POS_Q);
  const half = Math.floor(w / 2);
  const twelfth = (i: number) => half + Math.floor((i * w) / 12);
  row(twelfth(0), twelfth(1), SUPER_BLACK);
  row(twelfth(1), twelfth(2), BLACK);
  // Up to the noise: for widths of 4k+3, w/2 + 3w/12 falls a column short of 3w/4, a column GStreamer
  // leaves unpainted (it keeps the row above); here the grey patch covers it.
  row(twelfth(2), Math.floor((3 * w) / 4), DARK_GREY);
  // Noise between the foreground and background colours, seeded so that every run draws the same frames.
  // Static frames are RGBA or Y444 (full-resolution planes), so each pixel is written directly.
  const { data, layout } = view;
  const rgba = layout.format === 'RGBA';
  const plane = w * h;
  let seed = 0x2545f491;
  const mix = (a: number, b: number, t: number) => Math.round((a * t + b * (255 - t)) / 255);
  for (let y = y2; y < h; y++) {
    for (let x = Math.floor((3 * w) / 4); x < w; x++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const t = seed >>> 24;
      const o = y * w + x;
      if (rgba) {
        data[4 * o] = mix(fg.r, bg.r, t);
        data[4 * o + 1] = mix(fg.g, bg.g, t);
        data[4 * o + 2] = mix(fg.b, bg.b, t);
        data[4 * o + 3] = mix(fg.a, bg.a, t);
      } else {
        data[o] = mix(fg.y, bg.y, t);
        data[plane + o] = mix(fg.u, bg.u, t);
        data[2 * plane + o] = mix(fg.v, bg.v, t);
      }
    }
  }
}

/**
 * Makes test frames for one format and size. The static part (pattern, fixed text) is drawn once;
 * each frame copies it into a fresh buffer and draws only what moves, so a 1080p frame costs one
 * memcpy plus a few hundred small fills. Fresh buffers, not a pool: packets may be held downstream
 * (a queue, a tee branch, an encoder's lookahead) for as long as they like.
 */
export class TestPatternGenerator {
  readonly layout: VideoFrameLayout<VideoFormat>;
  readonly pattern: TestPattern;
  readonly overlay: Overlay;
  /** The precomputed static frame. */
  readonly base: Uint8Array;
  private readonly foreground: Color;
  private readonly background: Color;
  private readonly scale: number;
  private readonly ox: number;
  private readonly oy: number;

  constructor(layout: VideoFrameLayout<VideoFormat>, options: TestPatternOptions = {}) {
    this.layout = layout;
    this.pattern = options.pattern ?? 'smpte';
    this.overlay = options.overlay ?? 'none';
    if (!TEST_PATTERNS.includes(this.pattern)) throw new RangeError(`unknown pattern '${String(this.pattern)}' (expected ${TEST_PATTERNS.join(', ')})`);
    if (!OVERLAYS.includes(this.overlay)) throw new RangeError(`unknown overlay '${String(this.overlay)}' (expected ${OVERLAYS.join(', ')})`);
    if (this.overlay === 'text' && !options.text) throw new RangeError("overlay 'text' needs a non-empty text option");
    this.foreground = argb(options.foregroundColor ?? 0xffffffff);
    this.background = argb(options.backgroundColor ?? 0xff000000);
    this.scale = options.overlayScale ?? 4;
    if (!Number.isInteger(this.scale) || this.scale < 1 || this.scale > 64) throw new RangeError(`overlayScale must be an integer in [1, 64], got ${this.scale}`);
    this.ox = options.overlayX ?? 2 * this.scale;
    this.oy = options.overlayY ?? 2 * this.scale;
    if (!Number.isInteger(this.ox) || !Number.isInteger(this.oy)) throw new RangeError(`overlayX/overlayY must be integers, got ${this.ox}, ${this.oy}`);
    // Subsampled formats are drawn at 4:4:4 and averaged down, so that edges at odd positions get
    // blended chroma (as GStreamer's) rather than the colour of whichever side drew last.
    const full = layout.format === 'RGBA' ? layout : frameLayout('Y444', layout.width, layout.height);
    const view: FrameView = { layout: full, data: new Uint8Array(full.size) };
    switch (this.pattern) {
      case 'smpte':
        smpte(view, this.foreground, this.background);
        break;
      case 'smpte75':
        bars(view, 0, layout.height, BARS_75);
        break;
      case 'ball':
        fillFrame(view, this.background);
        break;
      case 'solid':
        fillFrame(view, this.foreground);
        break;
      case 'black':
        fillFrame(view, BLACK);
        break;
      case 'white':
        fillFrame(view, WHITE);
        break;
    }
    if (this.overlay === 'text') this.drawOverlay(view, options.text!);
    this.base = layout.format === 'NV12' || layout.format === 'I420' ? subsample444(view, layout.format).data : view.data;
  }

  /** Throws the RangeError the options would cause, without drawing anything big. */
  static validate(options: TestPatternOptions): void {
    new TestPatternGenerator(frameLayout('RGBA', 1, 1), options);
  }

  /** Frame `i` at presentation time `pts` (ns), in a new buffer. */
  frame(i: number, pts: number): Uint8Array {
    // slice() allocates and copies in one pass (no zero-fill first).
    const view: FrameView = { layout: this.layout, data: this.base.slice() };
    this.drawDynamic(view, i, pts);
    return view.data;
  }

  /** Draws frame `i` into `view`, which must hold a copy of `base` (for callers with their own buffers). */
  drawDynamic(view: FrameView, i: number, pts: number): void {
    if (this.pattern === 'ball') {
      const b = ballPosition(i, this.layout.width, this.layout.height);
      fillCircle(view, b.x, b.y, b.radius, this.foreground);
    }
    if (this.overlay === 'frame') this.drawOverlay(view, formatFrameNumber(i));
    else if (this.overlay === 'clock') this.drawOverlay(view, formatClock(pts));
  }

  /** Where the overlay box of `text` lies (clipped by drawing, not here). */
  overlayBox(text: string): Rect {
    const s = textSize(text, this.scale);
    return { x: this.ox, y: this.oy, width: s.width + 2 * this.scale, height: s.height + 2 * this.scale };
  }

  private drawOverlay(view: FrameView, text: string): void {
    drawText(view, text, this.ox, this.oy, { scale: this.scale, color: BLACK, background: WHITE });
  }
}
