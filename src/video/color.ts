/**
 * Colours for drawing into raw frames: each carries its RGBA and its BT.601 limited-range ("studio
 * swing") YCbCr values, so one drawing call serves every format without per-pixel conversion.
 */
export interface Color {
  readonly r: number;
  readonly g: number;
  readonly b: number;
  readonly a: number;
  readonly y: number;
  readonly u: number;
  readonly v: number;
}

const clamp8 = (x: number): number => (x < 0 ? 0 : x > 255 ? 255 : Math.round(x));

function check8(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 255) throw new RangeError(`${what} must be an integer in [0, 255], got ${v}`);
}

// BT.601 luma weights (Kr, Kb) and the limited-range scales: Y in [16, 235], Cb/Cr in [16, 240].
const KR = 0.299;
const KB = 0.114;
const KG = 1 - KR - KB;

/** BT.601 limited range from full-range 8-bit RGB, rounded to the nearest code value: [y, u, v]. */
export function rgbToYuv601(r: number, g: number, b: number): [number, number, number] {
  const y = KR * r + KG * g + KB * b;
  const cb = (b - y) / (2 * (1 - KB));
  const cr = (r - y) / (2 * (1 - KR));
  return [clamp8(16 + (y * 219) / 255), clamp8(128 + (cb * 224) / 255), clamp8(128 + (cr * 224) / 255)];
}

/** Inverse of rgbToYuv601 (for tests and previews), clamped to [0, 255]: [r, g, b]. */
export function yuv601ToRgb(y: number, u: number, v: number): [number, number, number] {
  const l = ((y - 16) * 255) / 219;
  const cb = ((u - 128) * 255) / 224;
  const cr = ((v - 128) * 255) / 224;
  return [clamp8(l + 2 * (1 - KR) * cr), clamp8(l - (2 * (1 - KB) * KB * cb + 2 * (1 - KR) * KR * cr) / KG), clamp8(l + 2 * (1 - KB) * cb)];
}

/** A colour from 8-bit RGB(A); its YUV is derived. */
export function rgb(r: number, g: number, b: number, a = 255): Color {
  check8('red', r);
  check8('green', g);
  check8('blue', b);
  check8('alpha', a);
  const [y, u, v] = rgbToYuv601(r, g, b);
  return Object.freeze({ r, g, b, a, y, u, v });
}

/** A colour from 0xAARRGGBB, as GStreamer's foreground-color/background-color properties. */
export function argb(value: number): Color {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`colour must be 0xAARRGGBB (an integer in [0, 0xffffffff]), got ${value}`);
  return rgb((value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff, (value >>> 24) & 0xff);
}

/**
 * A colour defined in YCbCr, with the RGB to use for RGB formats. For test-signal values that have no
 * RGB equivalent (SMPTE super-black at Y=0, the -I and +Q chroma patches).
 */
export function yuvColor(y: number, u: number, v: number, rgbApprox: readonly [number, number, number]): Color {
  check8('Y', y);
  check8('U', u);
  check8('V', v);
  const [r, g, b] = rgbApprox;
  check8('red', r);
  check8('green', g);
  check8('blue', b);
  return Object.freeze({ r, g, b, a: 255, y, u, v });
}

export const BLACK: Color = rgb(0, 0, 0);
export const WHITE: Color = rgb(255, 255, 255);

/** Parses 0xAARRGGBB, #AARRGGBB, #RRGGBB (opaque) or a decimal integer, as written in launch syntax. */
export function parseArgb(text: string): number {
  const t = text.trim();
  let v: number;
  if (/^#[0-9a-f]{6}$/i.test(t)) v = (0xff000000 | parseInt(t.slice(1), 16)) >>> 0;
  else if (/^(#|0x)[0-9a-f]{8}$/i.test(t)) v = parseInt(t.replace(/^(#|0x)/i, ''), 16);
  else if (/^\d+$/.test(t)) v = Number(t);
  else throw new RangeError(`expected a colour as 0xAARRGGBB, #RRGGBB or an integer, got '${text}'`);
  argb(v);
  return v;
}
