// Strided frames for the VIDEO_META tests, free of fast-check so that the browser page can bundle it too.
import { frameLayout, type VideoFormat, type VideoFrameLayout } from '../../src/video/format';
import { stridedLayout, type PlanePlacement } from '../../src/video/meta';

/** Bytes from a seed (an LCG): frames and garbage that a failing case reproduces exactly. */
export function seededBytes(size: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  return new Uint8Array(size).map(() => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24) & 255);
}

/**
 * Where a producer might put a frame's planes: per plane (Y, U or UV, V), extra bytes at the end of each
 * row and a gap before the plane; the order the planes come in (V before U, chroma before luma); bytes
 * after the last row; the seed of the garbage in every byte that is not a sample.
 */
export interface StridedPlacement {
  readonly rowPad: readonly [number, number, number];
  readonly gap: readonly [number, number, number];
  readonly order: readonly number[];
  readonly tail: number;
  readonly garbageSeed: number;
}

/**
 * The packed frame's rows copied to strided positions in a bigger buffer whose every other byte is
 * garbage: a reader that ignores offsets or strides, or reads past a row, sees different pixels.
 */
export function stridedFrame(format: VideoFormat, w: number, h: number, packed: Uint8Array, s: StridedPlacement): { data: Uint8Array; layout: VideoFrameLayout } {
  const p = frameLayout(format, w, h);
  const order = s.order.filter((k) => k < p.planes.length);
  const placement: PlanePlacement[] = new Array(p.planes.length);
  let at = 0;
  let end = 0;
  for (const k of order) {
    const q = p.planes[k];
    const stride = q.stride + s.rowPad[k];
    placement[k] = { offset: at + s.gap[k], stride };
    at = placement[k].offset + stride * q.height;
    end = placement[k].offset + stride * (q.height - 1) + q.stride;
  }
  // The buffer may end right after the last row (no padding after it), as stridedLayout allows.
  const size = end + s.tail;
  const layout = stridedLayout(format, w, h, placement, size);
  const data = seededBytes(size, s.garbageSeed);
  p.planes.forEach((q, k) => {
    for (let y = 0; y < q.height; y++) data.set(packed.subarray(q.offset + y * q.stride, q.offset + (y + 1) * q.stride), placement[k].offset + y * placement[k].stride);
  });
  return { data, layout };
}
