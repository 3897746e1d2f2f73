import { frameLayout, isVideoFormat, VIDEO_FORMATS, type VideoFormat, type VideoFrameLayout } from '../video/format';
import { checkVideoLayout } from '../video/meta';

/**
 * How the picture fills the output: 'stretch' scales each axis independently; 'letterbox' scales to fit
 * and pads the rest with `padValue`; 'crop' scales to cover and cuts the overflow off equally on both sides.
 */
export type ResizeMode = 'stretch' | 'letterbox' | 'crop';
export type ChannelOrder = 'RGB' | 'BGR';

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface PreprocessOptions {
  /** Output size in pixels. */
  readonly width: number;
  readonly height: number;
  readonly layout?: 'NCHW' | 'NHWC';
  /** Default 'stretch'. */
  readonly resize?: ResizeMode;
  /** Where letterboxed content sits: centred (YOLO) or at the top-left (PP-OCR recognition). Default 'center'. */
  readonly align?: 'center' | 'top-left';
  /** Pixel value (0–255, before normalisation) of letterbox padding; default 0. */
  readonly padValue?: number;
  /** Multiplier applied to 0–255 samples before mean/std; default 1/255. */
  readonly scale?: number;
  /** Per output channel, subtracted after scaling; default [0, 0, 0]. */
  readonly mean?: readonly [number, number, number];
  /** Per output channel, divided by after the mean; default [1, 1, 1]. */
  readonly std?: readonly [number, number, number];
  /** Default 'RGB'. */
  readonly channelOrder?: ChannelOrder;
  /** Region of the source frame to use (source pixels, may be fractional); default the whole frame. */
  readonly roi?: Rect;
}

/** Where the source region landed in the output: maps model coordinates back to frame coordinates. */
export interface PreprocessGeometry {
  /** The source region used (after crop mode's centring). */
  readonly source: Rect;
  /** The output rectangle the source region fills (smaller than the output when letterboxed). */
  readonly content: Rect;
}

export interface ResolvedPreprocess {
  readonly width: number;
  readonly height: number;
  readonly layout: 'NCHW' | 'NHWC';
  readonly geometry: PreprocessGeometry;
  /** out = sample * mul[c] + add[c], per output channel (scale, mean and std folded together). */
  readonly mul: readonly [number, number, number];
  readonly add: readonly [number, number, number];
  /** Index in RGB of each output channel. */
  readonly order: readonly [number, number, number];
  readonly padValue: number;
}

function positiveInt(what: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`preprocess ${what} must be a positive integer, got ${v}`);
}

/** Validates options and works out the geometry; shared by the CPU reference and the WebGPU kernel. */
export function resolvePreprocess(srcWidth: number, srcHeight: number, o: PreprocessOptions): ResolvedPreprocess {
  positiveInt('width', o.width);
  positiveInt('height', o.height);
  const mean = o.mean ?? [0, 0, 0];
  const std = o.std ?? [1, 1, 1];
  const scale = o.scale ?? 1 / 255;
  if (mean.length !== 3 || std.length !== 3 || !std.every((s) => Number.isFinite(s) && s !== 0) || !mean.every(Number.isFinite)) throw new RangeError('preprocess mean/std must be 3 finite numbers, std non-zero');
  if (!Number.isFinite(scale)) throw new RangeError(`preprocess scale must be finite, got ${scale}`);
  const padValue = o.padValue ?? 0;
  if (!Number.isFinite(padValue)) throw new RangeError(`preprocess padValue must be finite, got ${padValue}`);
  const roi = o.roi ?? { x: 0, y: 0, width: srcWidth, height: srcHeight };
  if (!(roi.width > 0 && roi.height > 0) || roi.x < 0 || roi.y < 0 || roi.x + roi.width > srcWidth + 1e-9 || roi.y + roi.height > srcHeight + 1e-9) {
    throw new RangeError(`preprocess roi ${JSON.stringify(roi)} is not inside the ${srcWidth}x${srcHeight} frame`);
  }
  const W = o.width;
  const H = o.height;
  let source: Rect = roi;
  let content: Rect = { x: 0, y: 0, width: W, height: H };
  const mode = o.resize ?? 'stretch';
  if (mode === 'letterbox') {
    const s = Math.min(W / roi.width, H / roi.height);
    const cw = Math.min(W, Math.max(1, Math.round(roi.width * s)));
    const ch = Math.min(H, Math.max(1, Math.round(roi.height * s)));
    const centre = (o.align ?? 'center') === 'center';
    content = { x: centre ? Math.floor((W - cw) / 2) : 0, y: centre ? Math.floor((H - ch) / 2) : 0, width: cw, height: ch };
  } else if (mode === 'crop') {
    const s = Math.max(W / roi.width, H / roi.height);
    const sw = W / s;
    const sh = H / s;
    source = { x: roi.x + (roi.width - sw) / 2, y: roi.y + (roi.height - sh) / 2, width: sw, height: sh };
  } else if (mode !== 'stretch') {
    throw new RangeError(`preprocess resize must be stretch, letterbox or crop, got '${String(mode)}'`);
  }
  const order: [number, number, number] = (o.channelOrder ?? 'RGB') === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  if (o.channelOrder !== undefined && o.channelOrder !== 'RGB' && o.channelOrder !== 'BGR') throw new RangeError(`preprocess channelOrder must be RGB or BGR, got '${String(o.channelOrder)}'`);
  const layout = o.layout ?? 'NCHW';
  if (layout !== 'NCHW' && layout !== 'NHWC') throw new RangeError(`preprocess layout must be NCHW or NHWC, got '${String(layout)}'`);
  const mul = [0, 1, 2].map((c) => scale / std[c]) as [number, number, number];
  const add = [0, 1, 2].map((c) => -mean[c] / std[c]) as [number, number, number];
  return { width: W, height: H, layout, geometry: { source, content }, mul, add, order, padValue };
}

/** Output shape of a preprocess, batch 1. */
export function preprocessShape(r: Pick<ResolvedPreprocess, 'width' | 'height' | 'layout'>): number[] {
  return r.layout === 'NCHW' ? [1, 3, r.height, r.width] : [1, r.height, r.width, 3];
}

/**
 * Source sample positions and weights along one axis: half-pixel centres (OpenCV INTER_LINEAR,
 * ONNX Resize half_pixel), clamped at the frame edge. Output pixel i of `n` covers source [start, start+len).
 */
function axisTaps(n: number, start: number, len: number, srcSize: number): { i0: Int32Array; i1: Int32Array; w: Float32Array } {
  const i0 = new Int32Array(n);
  const i1 = new Int32Array(n);
  const w = new Float32Array(n);
  const step = len / n;
  for (let i = 0; i < n; i++) {
    const s = Math.min(Math.max(start + (i + 0.5) * step - 0.5, 0), srcSize - 1);
    const f = Math.floor(s);
    i0[i] = f;
    i1[i] = Math.min(f + 1, srcSize - 1);
    w[i] = s - f;
  }
  return { i0, i1, w };
}

// BT.601 limited range to full-range RGB, the inverse of src/video/color.ts' rgbToYuv601.
const KR = 0.299;
const KB = 0.114;
const KG = 1 - KR - KB;
const YS = 255 / 219;
const CS = 255 / 224;
export const YUV601 = Object.freeze({ ys: YS, rv: 2 * (1 - KR) * CS, gu: (2 * (1 - KB) * KB * CS) / KG, gv: (2 * (1 - KR) * KR * CS) / KG, bu: 2 * (1 - KB) * CS });

/** Fills `rgb` (3 floats) with the full-range RGB of source pixel (x, y), clamped to [0, 255]. */
type PixelReader = (x: number, y: number, rgb: Float32Array) => void;

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function pixelReader(layout: VideoFrameLayout<VideoFormat>, data: Uint8Array): PixelReader {
  if (layout.format === 'RGBA') {
    const { offset, stride } = layout.planes[0];
    return (x, y, rgb) => {
      const i = offset + y * stride + x * 4;
      rgb[0] = data[i];
      rgb[1] = data[i + 1];
      rgb[2] = data[i + 2];
    };
  }
  const [yp, up] = layout.planes;
  const yOff = yp.offset;
  const yStride = yp.stride;
  // NV12's V is the byte after its U in the one interleaved plane: both formats index chroma alike.
  const nv12 = layout.format === 'NV12';
  const vp = nv12 ? up : layout.planes[2];
  const uOff = up.offset;
  const vOff = nv12 ? up.offset + 1 : vp.offset;
  const uStride = up.stride;
  const vStride = vp.stride;
  const step = nv12 ? 2 : 1;
  const { ys, rv, gu, gv, bu } = YUV601;
  // Chroma is sampled at the co-sited 2x2 block (nearest): the same rule the WGSL kernel uses.
  return (x, y, rgb) => {
    const l = (data[yOff + y * yStride + x] - 16) * ys;
    const cy = y >> 1;
    const cx = (x >> 1) * step;
    const u = data[uOff + cy * uStride + cx] - 128;
    const v = data[vOff + cy * vStride + cx] - 128;
    rgb[0] = clamp255(l + rv * v);
    rgb[1] = clamp255(l - gu * u - gv * v);
    rgb[2] = clamp255(l + bu * u);
  };
}

export interface CpuPreprocessResult {
  readonly data: Float32Array;
  readonly shape: number[];
  readonly geometry: PreprocessGeometry;
}

/**
 * The CPU reference: a raw frame (NV12/I420 BT.601 limited range, or RGBA) to a float32 tensor.
 * Each output pixel blends the RGB of its four nearest source pixels (bilinear, half-pixel centres);
 * then out[c] = (rgb[order[c]] · scale − mean[c]) / std[c]. Pure TypeScript, no allocation per pixel.
 *
 * The frame is tightly packed as format and size imply, or laid out as `layout` says (planes at any
 * offset and row stride: a decoder's padded frame, VIDEO_META); both read the same pixels.
 */
export function preprocessCpu(format: VideoFormat, width: number, height: number, data: Uint8Array, options: PreprocessOptions, out?: Float32Array): CpuPreprocessResult;
export function preprocessCpu(layout: VideoFrameLayout, data: Uint8Array, options: PreprocessOptions, out?: Float32Array): CpuPreprocessResult;
export function preprocessCpu(...args: PreprocessArgs<[out?: Float32Array]>): CpuPreprocessResult {
  const [frame, data, options, out] = frameArgs(args);
  const { width, height } = frame;
  const r = resolvePreprocess(width, height, options);
  const { width: W, height: H, geometry, mul, add, order, padValue } = r;
  const n = W * H;
  const dst = out ?? new Float32Array(n * 3);
  if (dst.length !== n * 3) throw new RangeError(`preprocess output needs ${n * 3} floats, got ${dst.length}`);
  const read = pixelReader(frame, data);
  const { source: s, content: c } = geometry;
  const xs = axisTaps(c.width, s.x, s.width, width);
  const ys = axisTaps(c.height, s.y, s.height, height);
  const nchw = r.layout === 'NCHW';
  // Channel strides: NCHW planes of n floats; NHWC interleaved triples.
  const cs = nchw ? n : 1;
  const ps = nchw ? 1 : 3;
  const o0 = order[0];
  const o1 = order[1];
  const o2 = order[2];
  const pad0 = padValue * mul[0] + add[0];
  const pad1 = padValue * mul[1] + add[1];
  const pad2 = padValue * mul[2] + add[2];
  const a = new Float32Array(3);
  const b = new Float32Array(3);
  const cc = new Float32Array(3);
  const d = new Float32Array(3);
  const px = new Float32Array(3);
  for (let y = 0; y < H; y++) {
    const cy = y - c.y;
    const rowInside = cy >= 0 && cy < c.height;
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * ps;
      const cx = x - c.x;
      if (!rowInside || cx < 0 || cx >= c.width) {
        dst[o] = pad0;
        dst[o + cs] = pad1;
        dst[o + 2 * cs] = pad2;
        continue;
      }
      const x0 = xs.i0[cx];
      const x1 = xs.i1[cx];
      const wx = xs.w[cx];
      const y0 = ys.i0[cy];
      const y1 = ys.i1[cy];
      const wy = ys.w[cy];
      read(x0, y0, a);
      read(x1, y0, b);
      read(x0, y1, cc);
      read(x1, y1, d);
      for (let k = 0; k < 3; k++) {
        const top = a[k] + (b[k] - a[k]) * wx;
        const bot = cc[k] + (d[k] - cc[k]) * wx;
        px[k] = top + (bot - top) * wy;
      }
      dst[o] = px[o0] * mul[0] + add[0];
      dst[o + cs] = px[o1] * mul[1] + add[1];
      dst[o + 2 * cs] = px[o2] * mul[2] + add[2];
    }
  }
  return { data: dst, shape: preprocessShape(r), geometry };
}

/** The two ways to name a frame: format, width, height (packed), or a layout (packed or strided). */
export type PreprocessArgs<Rest extends unknown[]> =
  | [format: VideoFormat, width: number, height: number, data: Uint8Array, options: PreprocessOptions, ...rest: Rest]
  | [layout: VideoFrameLayout, data: Uint8Array, options: PreprocessOptions, ...rest: Rest];

/** Normalises either form to (checked layout, data, options, rest...). */
export function frameArgs<Rest extends unknown[]>(args: PreprocessArgs<Rest>): [VideoFrameLayout<VideoFormat>, Uint8Array, PreprocessOptions, ...Rest] {
  if (typeof args[0] === 'string') {
    const [format, width, height, data, options, ...rest] = args as [VideoFormat, number, number, Uint8Array, PreprocessOptions, ...Rest];
    return [checkVideoLayout(format, width, height, frameLayout(format, width, height), data.byteLength), data, options, ...rest];
  }
  const [layout, data, options, ...rest] = args as [VideoFrameLayout, Uint8Array, PreprocessOptions, ...Rest];
  if (!isVideoFormat(layout.format)) throw new RangeError(`preprocess takes ${VIDEO_FORMATS.join(', ')} frames, got ${layout.format}`);
  return [checkVideoLayout(layout.format, layout.width, layout.height, layout, data.byteLength), data, options, ...rest];
}
