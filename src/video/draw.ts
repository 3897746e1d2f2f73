import type { Color } from './color';
import { CELL_WIDTH, GLYPH_HEIGHT, GLYPH_WIDTH, glyph, textSize } from './font';
import { frameLayout, type VideoFrameLayout } from './format';

/** A frame's bytes with their layout: what the drawing helpers draw into. */
export interface FrameView {
  readonly layout: VideoFrameLayout;
  readonly data: Uint8Array;
}

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A new zeroed frame (for RGBA transparent black; for YUV formats call fillRect to make it black). */
export function allocFrame(layout: VideoFrameLayout): FrameView {
  return { layout, data: new Uint8Array(layout.size) };
}

/**
 * Fills a rectangle, clipped to the frame. Chroma of 4:2:0 formats is sited at the top-left luma
 * sample of each 2x2 block (as GStreamer's packers take it): a chroma sample is written when its
 * top-left luma sample lies in the rectangle, so adjacent rectangles never fight over a sample.
 */
export function fillRect(view: FrameView, x: number, y: number, w: number, h: number, c: Color): void {
  const { layout, data } = view;
  const W = layout.width;
  const H = layout.height;
  let x0 = Math.max(0, Math.floor(x));
  let y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(W, Math.floor(x + w));
  const y1 = Math.min(H, Math.floor(y + h));
  if (x1 <= x0 || y1 <= y0) return;
  const planes = layout.planes;
  if (layout.format === 'RGBA') {
    const stride = planes[0].stride;
    const first = y0 * stride + x0 * 4;
    const bytes = (x1 - x0) * 4;
    data[first] = c.r;
    data[first + 1] = c.g;
    data[first + 2] = c.b;
    data[first + 3] = c.a;
    // Doubling copies fill a row in log2(width) calls; the other rows copy the first.
    for (let n = 4; n < bytes; n *= 2) data.copyWithin(first + n, first, first + Math.min(n, bytes - n));
    for (let row = y0 + 1, o = first + stride; row < y1; row++, o += stride) data.copyWithin(o, first, first + bytes);
    return;
  }
  const ys = planes[0].stride;
  for (let row = y0, o = y0 * ys; row < y1; row++, o += ys) data.fill(c.y, o + x0, o + x1);
  if (layout.format === 'Y444') {
    const [, u, v] = planes;
    for (let row = y0; row < y1; row++) {
      data.fill(c.u, u.offset + row * ys + x0, u.offset + row * ys + x1);
      data.fill(c.v, v.offset + row * ys + x0, v.offset + row * ys + x1);
    }
    return;
  }
  x0 = (x0 + 1) >> 1;
  y0 = (y0 + 1) >> 1;
  const cx1 = (x1 + 1) >> 1;
  const cy1 = (y1 + 1) >> 1;
  if (cx1 <= x0 || cy1 <= y0) return;
  if (layout.format === 'I420') {
    const u = planes[1];
    const v = planes[2];
    for (let row = y0; row < cy1; row++) {
      data.fill(c.u, u.offset + row * u.stride + x0, u.offset + row * u.stride + cx1);
      data.fill(c.v, v.offset + row * v.stride + x0, v.offset + row * v.stride + cx1);
    }
  } else {
    const uv = planes[1];
    for (let row = y0; row < cy1; row++) {
      const o = uv.offset + row * uv.stride;
      for (let i = o + 2 * x0, end = o + 2 * cx1; i < end; i += 2) {
        data[i] = c.u;
        data[i + 1] = c.v;
      }
    }
  }
}

export function fillFrame(view: FrameView, c: Color): void {
  fillRect(view, 0, 0, view.layout.width, view.layout.height, c);
}

/** A disc of pixels whose centres lie within `radius` of (cx, cy), clipped to the frame. */
export function fillCircle(view: FrameView, cx: number, cy: number, radius: number, c: Color): void {
  const r2 = radius * radius;
  const top = Math.max(0, Math.floor(cy - radius));
  const bottom = Math.min(view.layout.height - 1, Math.ceil(cy + radius));
  for (let py = top; py <= bottom; py++) {
    const dy = py + 0.5 - cy;
    if (dy * dy > r2) continue;
    const half = Math.sqrt(r2 - dy * dy);
    const x0 = Math.ceil(cx - half - 0.5);
    const x1 = Math.floor(cx + half - 0.5);
    if (x1 >= x0) fillRect(view, x0, py, x1 - x0 + 1, 1, c);
  }
}

export interface TextStyle {
  /** Pixels per font pixel: 4 draws 20x28-pixel glyphs in 24x32 cells. */
  readonly scale: number;
  readonly color: Color;
  /** Box behind the text; none when undefined. */
  readonly background?: Color;
  /** Box margin around the text, in pixels; default: one font pixel (`scale`). */
  readonly padding?: number;
}

/**
 * Draws `text` with its box's top-left corner at (x, y), clipped to the frame; returns the box.
 * Horizontal runs of set glyph pixels are filled as one rectangle, so a line costs a few dozen fills.
 */
export function drawText(view: FrameView, text: string, x: number, y: number, style: TextStyle): Rect {
  const { scale, color } = style;
  if (!Number.isInteger(scale) || scale < 1) throw new RangeError(`text scale must be a positive integer, got ${scale}`);
  const pad = style.padding ?? scale;
  const size = textSize(text, scale);
  const box: Rect = { x, y, width: size.width + 2 * pad, height: size.height + 2 * pad };
  if (style.background) fillRect(view, box.x, box.y, box.width, box.height, style.background);
  let gx = x + pad;
  const gy = y + pad;
  for (const ch of text) {
    const g = glyph(ch);
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      const bits = g[row];
      let col = 0;
      while (col < GLYPH_WIDTH) {
        if (((bits >> (GLYPH_WIDTH - 1 - col)) & 1) === 0) {
          col++;
          continue;
        }
        const start = col;
        while (col < GLYPH_WIDTH && ((bits >> (GLYPH_WIDTH - 1 - col)) & 1) === 1) col++;
        fillRect(view, gx + start * scale, gy + row * scale, (col - start) * scale, scale, color);
      }
    }
    gx += CELL_WIDTH * scale;
  }
  return box;
}

/** Reads pixel (x, y) back as [r, g, b, a] (RGBA) or [y, u, v] (YUV formats, chroma of its 2x2 block). */
export function readPixel(view: FrameView, x: number, y: number): number[] {
  const { layout, data } = view;
  if (x < 0 || y < 0 || x >= layout.width || y >= layout.height) throw new RangeError(`pixel (${x}, ${y}) is outside ${layout.width}x${layout.height}`);
  const p = layout.planes;
  if (layout.format === 'RGBA') {
    const o = y * p[0].stride + x * 4;
    return [data[o], data[o + 1], data[o + 2], data[o + 3]];
  }
  const luma = data[y * p[0].stride + x];
  if (layout.format === 'Y444') return [luma, data[p[1].offset + y * p[1].stride + x], data[p[2].offset + y * p[2].stride + x]];
  const cx = x >> 1;
  const cy = y >> 1;
  if (layout.format === 'I420') return [luma, data[p[1].offset + cy * p[1].stride + cx], data[p[2].offset + cy * p[2].stride + cx]];
  const o = p[1].offset + cy * p[1].stride + 2 * cx;
  return [luma, data[o], data[o + 1]];
}

/**
 * Converts a planar 4:4:4 frame to NV12 or I420, each chroma sample the average of its 2x2 block
 * (edge samples of odd sizes repeat the last row/column), rounding as GStreamer does: each column pair
 * first, then the two column averages. Static patterns are drawn this way once per stream, so colour
 * edges at odd positions get the chroma GStreamer gives them, code value for code value.
 */
export function subsample444(src: FrameView, format: 'NV12' | 'I420'): FrameView {
  if (src.layout.format !== 'Y444') throw new RangeError(`subsample444 needs a Y444 frame, got ${src.layout.format}`);
  const { width: W, height: H } = src.layout;
  const layout = frameLayout(format, W, H);
  const out = new Uint8Array(layout.size);
  const s = src.data;
  out.set(s.subarray(0, W * H), 0);
  const cw = (W + 1) >> 1;
  const ch = (H + 1) >> 1;
  const avg = (a: number, b: number) => (a + b + 1) >> 1;
  for (let k = 0; k < 2; k++) {
    const base = (k + 1) * W * H;
    for (let cy = 0; cy < ch; cy++) {
      const r0 = base + 2 * cy * W;
      const r1 = 2 * cy + 1 < H ? r0 + W : r0;
      for (let cx = 0; cx < cw; cx++) {
        const x0 = 2 * cx;
        const x1 = x0 + 1 < W ? x0 + 1 : x0;
        const value = avg(avg(s[r0 + x0], s[r1 + x0]), avg(s[r0 + x1], s[r1 + x1]));
        if (format === 'I420') out[layout.planes[1 + k].offset + cy * cw + cx] = value;
        else out[layout.planes[1].offset + cy * 2 * cw + 2 * cx + k] = value;
      }
    }
  }
  return { layout, data: out };
}
