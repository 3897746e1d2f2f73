import type { Rect } from './preprocess-cpu';

/**
 * Turns the content rectangle of a batch-1 image tensor (a preprocess output) by 180° in place: the
 * padding stays where it is (PP-OCR recognition keeps its content at the top-left). Bilinear sampling with
 * half-pixel centres and edge clamping is symmetric, so this equals preprocessing the turned picture, and
 * costs one pass over the content instead of a second resample.
 */
export function rotateContent180(data: Float32Array, width: number, height: number, layout: 'NCHW' | 'NHWC', content: Rect): void {
  const { x: cx, y: cy, width: cw, height: ch } = content;
  if (!Number.isSafeInteger(cx) || !Number.isSafeInteger(cy) || !Number.isSafeInteger(cw) || !Number.isSafeInteger(ch) || cx < 0 || cy < 0 || cx + cw > width || cy + ch > height) {
    throw new RangeError(`rotateContent180: content ${JSON.stringify(content)} is not inside the ${width}x${height} tensor`);
  }
  if (data.length !== width * height * 3) throw new RangeError(`rotateContent180: a ${width}x${height}x3 tensor has ${width * height * 3} floats, got ${data.length}`);
  const nchw = layout === 'NCHW';
  const cs = nchw ? width * height : 1;
  const ps = nchw ? 1 : 3;
  const n = cw * ch;
  // Content pixel k and n-1-k swap: the first half of them in reading order.
  for (let k = 0; k < n >> 1; k++) {
    const a = ((cy + Math.floor(k / cw)) * width + cx + (k % cw)) * ps;
    const j = n - 1 - k;
    const b = ((cy + Math.floor(j / cw)) * width + cx + (j % cw)) * ps;
    for (let c = 0; c < 3; c++) {
      const t = data[a + c * cs];
      data[a + c * cs] = data[b + c * cs];
      data[b + c * cs] = t;
    }
  }
}
