import type { CpuMemory } from '../memory/memory';
import type { Packet, PacketMeta } from '../packet';
import { frameLayout, rawVideoInfo, type LayoutFormat, type PlaneLayout, type RawVideoInfo, type VideoFormat, type VideoFrameLayout } from './format';

/**
 * GStreamer's GstVideoMeta: the frame's planes are where `packet.meta.videoMeta` says (offsets and row
 * strides), not tightly packed as the caps alone imply. A decoder hands its own padded frame on this way
 * instead of copying it (H.264 decodes whole macroblock rows: a 1080-row picture sits in 1088 rows).
 *
 * As with GStreamer's allocation query, a producer may attach it only when everything downstream of it
 * honours it: an element says so with `metas: [VIDEO_META]` and the producer reads the answer in
 * `ctx.downstreamMetas`. Elements that do not declare it keep receiving tightly packed frames.
 */
export const VIDEO_META = 'VideoMeta';

/** Where one plane is, as a producer reports it. */
export interface PlanePlacement {
  readonly offset: number;
  readonly stride: number;
}

/** The layout of a raw frame: the video meta's when the packet has one, else the caps' tightly packed one. */
export function videoLayoutOf(p: Packet, info: RawVideoInfo): VideoFrameLayout {
  const m = p.meta.videoMeta as VideoFrameLayout | undefined;
  return m ?? info.layout;
}

/** `meta` with a video meta added. */
export function withVideoMeta(meta: PacketMeta, layout: VideoFrameLayout): PacketMeta {
  return { ...meta, videoMeta: layout };
}

/**
 * `meta` without a video meta: for an element whose output is not the raw frame the meta describes (an
 * encoder's access units carry their frame's meta, such as capture time, but not its plane layout).
 */
export function withoutVideoMeta(meta: PacketMeta): PacketMeta {
  if (meta.videoMeta === undefined) return meta;
  const { videoMeta: _, ...rest } = meta;
  return rest;
}

/**
 * A layout with the planes where a producer put them, checked against the buffer: every row of every
 * plane must lie inside `byteLength` bytes and strides must cover a row. Throws a RangeError naming the
 * plane otherwise, so a consumer never reads out of bounds or across planes' rows.
 */
export function stridedLayout<F extends LayoutFormat>(format: F, width: number, height: number, placement: readonly PlanePlacement[], byteLength: number): VideoFrameLayout<F> {
  const packed = frameLayout(format, width, height);
  if (placement.length !== packed.planes.length) throw new RangeError(`a ${format} frame has ${packed.planes.length} planes, got ${placement.length}`);
  let end = 0;
  const planes = packed.planes.map((p, k): PlaneLayout => {
    const { offset, stride } = placement[k];
    const row = p.stride; // bytes of one row's samples
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`plane ${k}: offset must be a non-negative integer, got ${offset}`);
    if (!Number.isSafeInteger(stride) || stride < row) throw new RangeError(`plane ${k}: stride ${stride} is less than a row of ${row} bytes`);
    const size = stride * (p.height - 1) + row;
    if (offset + size > byteLength) throw new RangeError(`plane ${k}: ${p.height} rows of stride ${stride} from offset ${offset} end past the ${byteLength}-byte buffer`);
    end = Math.max(end, offset + size);
    return Object.freeze({ offset, stride, width: p.width, height: p.height, size });
  });
  return Object.freeze({ format, width, height, planes: Object.freeze(planes), size: end });
}

/** Whether a layout is the tightly packed one its format and size imply. */
export function isPackedLayout(layout: VideoFrameLayout): boolean {
  const packed = frameLayout(layout.format, layout.width, layout.height);
  return layout.planes.every((p, k) => p.offset === packed.planes[k].offset && p.stride === packed.planes[k].stride);
}

/**
 * The frame tightly packed: `data` itself when it already is, else a copy of its rows (the caller
 * records that copy in the ledger). For consumers that need packed bytes (a raw file, a hash).
 */
export function packedFrame(data: Uint8Array, layout: VideoFrameLayout): Uint8Array {
  const packed = frameLayout(layout.format, layout.width, layout.height);
  if (isPackedLayout(layout)) return data.byteLength === packed.size ? data : data.subarray(0, packed.size);
  const out = new Uint8Array(packed.size);
  layout.planes.forEach((p, k) => {
    const q = packed.planes[k];
    for (let y = 0; y < p.height; y++) {
      const from = p.offset + y * p.stride;
      out.set(data.subarray(from, from + q.stride), q.offset + y * q.stride);
    }
  });
  return out;
}

/**
 * `layout` checked as the layout of a `format` frame of `width`×`height` (a meta for another frame is the
 * producer's bug) with every row of every plane inside `byteLength` bytes, so reads by it stay in bounds.
 * Throws a RangeError saying what is wrong.
 */
export function checkVideoLayout<F extends LayoutFormat>(format: F, width: number, height: number, layout: VideoFrameLayout, byteLength: number): VideoFrameLayout<F> {
  if (layout.format !== format || layout.width !== width || layout.height !== height) {
    throw new RangeError(`video meta for a ${layout.width}x${layout.height} ${layout.format} frame on ${width}x${height} ${format} caps`);
  }
  // Every plane row checked by its own numbers: a hand-made layout's `size` may understate where a plane ends.
  let plane = '';
  try {
    stridedLayout(format, width, height, layout.planes, byteLength);
  } catch (e) {
    plane = (e as Error).message;
  }
  if (byteLength < layout.size) throw new RangeError(`a ${width}x${height} ${format} frame needs ${layout.size} bytes, got ${byteLength}${plane ? ` (${plane})` : ''}`);
  if (plane) throw new RangeError(plane);
  return layout as VideoFrameLayout<F>;
}

/**
 * For a consumer that reads frames: each packet's layout (its video meta's, else the caps' packed one),
 * checked by checkVideoLayout against its caps and its bytes. A stream repeats its caps, meta layout and
 * buffer size frame after frame, so the answer is cached on them: no work and no allocation per packet.
 */
export function videoLayoutReader(): (p: Packet<CpuMemory>) => { readonly info: RawVideoInfo; readonly layout: VideoFrameLayout<VideoFormat> } {
  let caps: unknown;
  let meta: unknown;
  let bytes = -1;
  let info: RawVideoInfo | undefined;
  let result: { readonly info: RawVideoInfo; readonly layout: VideoFrameLayout<VideoFormat> } | undefined;
  return (p) => {
    const m = p.meta.videoMeta as VideoFrameLayout | undefined;
    const n = p.memory.data.byteLength;
    if (result && p.caps === caps && m === meta && n === bytes) return result;
    if (p.caps !== caps || !info) info = rawVideoInfo(p.caps);
    caps = p.caps;
    const layout = checkVideoLayout(info.format, info.width, info.height, m ?? info.layout, n);
    meta = m;
    bytes = n;
    return (result = { info, layout });
  };
}
