import type { PreprocessGeometry } from '../preprocess-cpu';

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface TextBox {
  /** Corners of the (possibly rotated) box, clockwise starting nearest the top-left. */
  readonly points: readonly [Point, Point, Point, Point];
  /** Mean probability of the region's pixels. */
  readonly score: number;
  /** Axis-aligned bounds of `points`. */
  readonly bounds: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
}

export interface DbOptions {
  /** Binarisation threshold on the probability map; default 0.3 (PaddleOCR det_db_thresh). */
  readonly threshold?: number;
  /** Regions with a lower mean probability are dropped; default 0.6 (det_db_box_thresh). */
  readonly boxThreshold?: number;
  /** Grow each box by area·ratio/perimeter on every side (the shrink DB trained with); default 1.5. */
  readonly unclipRatio?: number;
  /** Boxes with a shorter side (in map pixels) are dropped; default 3. */
  readonly minSize?: number;
  /** At most this many regions, largest first; default 1000. */
  readonly maxCandidates?: number;
  /** Maps boxes from map pixels back to frame pixels (what the preprocess reported). */
  readonly geometry?: PreprocessGeometry;
}

/** Convex hull (Andrew's monotone chain), counter-clockwise in y-down coordinates' mirror; no collinear points. */
export function convexHull(points: readonly Point[]): Point[] {
  const p = [...points].sort((a, b) => a.x - b.x || a.y - b.y);
  if (p.length < 3) return p;
  const cross = (o: Point, a: Point, b: Point) => (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
  const lower: Point[] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: Point[] = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop();
    upper.push(q);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

export interface RotatedRect {
  readonly center: Point;
  readonly width: number;
  readonly height: number;
  /** Unit vector along `width`. */
  readonly axis: Point;
}

/** Minimum-area enclosing rectangle (rotating calipers over the hull's edges). */
export function minAreaRect(points: readonly Point[]): RotatedRect {
  if (points.length === 0) throw new RangeError('minAreaRect of no points');
  const hull = convexHull(points);
  let best: RotatedRect | undefined;
  let bestArea = Infinity;
  const n = hull.length;
  const edges = n < 2 ? [{ x: 1, y: 0 }] : hull.map((a, i) => ({ x: hull[(i + 1) % n].x - a.x, y: hull[(i + 1) % n].y - a.y }));
  for (const e of edges) {
    const len = Math.hypot(e.x, e.y);
    if (len === 0) continue;
    const ux = e.x / len;
    const uy = e.y / len;
    let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
    for (const q of hull) {
      const u = q.x * ux + q.y * uy;
      const v = -q.x * uy + q.y * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea - 1e-9) {
      bestArea = area;
      const cu = (minU + maxU) / 2;
      const cv = (minV + maxV) / 2;
      best = { center: { x: cu * ux - cv * uy, y: cu * uy + cv * ux }, width: maxU - minU, height: maxV - minV, axis: { x: ux, y: uy } };
    }
  }
  return best ?? { center: hull[0], width: 0, height: 0, axis: { x: 1, y: 0 } };
}

/** The four corners of a rotated rectangle, clockwise (y down) from the one nearest the top-left. */
export function rectCorners(r: RotatedRect): [Point, Point, Point, Point] {
  const { center: c, axis: a } = r;
  const hw = r.width / 2;
  const hh = r.height / 2;
  const n = { x: -a.y, y: a.x };
  const pts = [
    { x: c.x - a.x * hw - n.x * hh, y: c.y - a.y * hw - n.y * hh },
    { x: c.x + a.x * hw - n.x * hh, y: c.y + a.y * hw - n.y * hh },
    { x: c.x + a.x * hw + n.x * hh, y: c.y + a.y * hw + n.y * hh },
    { x: c.x - a.x * hw + n.x * hh, y: c.y - a.y * hw + n.y * hh },
  ];
  // Clockwise in y-down coordinates: sort by angle around the centre, then start at the smallest x+y.
  pts.sort((p, q) => Math.atan2(p.y - c.y, p.x - c.x) - Math.atan2(q.y - c.y, q.x - c.x));
  let start = 0;
  for (let i = 1; i < 4; i++) if (pts[i].x + pts[i].y < pts[start].x + pts[start].y) start = i;
  return [0, 1, 2, 3].map((k) => pts[(start + k) % 4]) as [Point, Point, Point, Point];
}

/**
 * Unclip as DB does (pyclipper offset by area·ratio/perimeter), specialised to a rectangle: its offset
 * polygon is the rectangle grown by that distance on every side (rounded corners squared off).
 */
export function unclipRect(r: RotatedRect, ratio: number): RotatedRect {
  const area = r.width * r.height;
  const perimeter = 2 * (r.width + r.height);
  const d = perimeter === 0 ? 0 : (area * ratio) / perimeter;
  return { ...r, width: r.width + 2 * d, height: r.height + 2 * d };
}

/**
 * DB (differentiable binarisation) text detection post-processing: threshold the probability map,
 * label 8-connected regions, score each by its mean probability, fit a minimum-area rectangle to each
 * region's pixel centres, unclip it, and map it to frame coordinates. `prob` is [height × width].
 */
export function dbBoxes(prob: ArrayLike<number>, width: number, height: number, options: DbOptions = {}): TextBox[] {
  const threshold = options.threshold ?? 0.3;
  const boxThreshold = options.boxThreshold ?? 0.6;
  const unclipRatio = options.unclipRatio ?? 1.5;
  const minSize = options.minSize ?? 3;
  const maxCandidates = options.maxCandidates ?? 1000;
  if (prob.length < width * height) throw new RangeError(`db map has ${prob.length} values for ${width}x${height}`);
  const labels = new Int32Array(width * height);
  const stack = new Int32Array(width * height);
  const regions: { pixels: Point[]; sum: number }[] = [];
  for (let start = 0; start < width * height; start++) {
    if (labels[start] !== 0 || !(prob[start] > threshold)) continue;
    const id = regions.length + 1;
    const region = { pixels: [] as Point[], sum: 0 };
    let top = 0;
    stack[top++] = start;
    labels[start] = id;
    while (top > 0) {
      const i = stack[--top];
      const x = i % width;
      const y = (i - x) / width;
      // Pixel centres in continuous map coordinates.
      region.pixels.push({ x: x + 0.5, y: y + 0.5 });
      region.sum += prob[i];
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const j = ny * width + nx;
          if (labels[j] === 0 && prob[j] > threshold) {
            labels[j] = id;
            stack[top++] = j;
          }
        }
      }
    }
    regions.push(region);
  }
  regions.sort((a, b) => b.pixels.length - a.pixels.length);
  const g = options.geometry;
  const toFrame = (p: Point): Point =>
    g ? { x: g.source.x + ((p.x - g.content.x) * g.source.width) / g.content.width, y: g.source.y + ((p.y - g.content.y) * g.source.height) / g.content.height } : p;
  const boxes: TextBox[] = [];
  for (const region of regions.slice(0, maxCandidates)) {
    const score = region.sum / region.pixels.length;
    if (score < boxThreshold) continue;
    const rect = minAreaRect(region.pixels);
    if (Math.min(rect.width, rect.height) < minSize) continue;
    const grown = unclipRect(rect, unclipRatio);
    if (Math.min(grown.width, grown.height) < minSize + 2) continue;
    const points = rectCorners(grown).map(toFrame) as [Point, Point, Point, Point];
    const xs = points.map((p) => p.x);
    const ys = points.map((p) => p.y);
    const x = Math.min(...xs);
    const y = Math.min(...ys);
    boxes.push({ points, score, bounds: { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y } });
  }
  return readingOrder(boxes);
}

/** True when two boxes share more than half of the shorter one's height: words of one line. */
function sameLine(a: TextBox, b: TextBox): boolean {
  const top = Math.max(a.bounds.y, b.bounds.y);
  const bottom = Math.min(a.bounds.y + a.bounds.height, b.bounds.y + b.bounds.height);
  return bottom - top > Math.min(a.bounds.height, b.bounds.height) / 2;
}

/** Groups boxes into lines (vertical overlap), lines top to bottom, words left to right. */
export function textLines(boxes: readonly TextBox[]): TextBox[][] {
  const lines: TextBox[][] = [];
  for (const b of [...boxes].sort((p, q) => p.bounds.y + p.bounds.height / 2 - (q.bounds.y + q.bounds.height / 2))) {
    const line = lines.find((l) => l.some((o) => sameLine(o, b)));
    if (line) line.push(b);
    else lines.push([b]);
  }
  for (const l of lines) l.sort((p, q) => p.bounds.x - q.bounds.x);
  return lines;
}

/** Reading order: line by line top to bottom, left to right within a line. */
export function readingOrder(boxes: readonly TextBox[]): TextBox[] {
  return textLines(boxes).flat();
}
