import { RELEASE } from '../memory/release';
import { caps, type Caps } from '../caps';
import type { CpuMemory, WebGpuBufferMemory } from '../memory/memory';
import type { TransformElement } from '../element';
import type { Packet } from '../packet';
import { rawVideoTemplate } from '../video/format';
import { VIDEO_META } from '../video/meta';

/** Element types a tensor packet may carry (ONNX names). Preprocessing only produces float32. */
export type TensorDType = 'float32' | 'uint8' | 'int32' | 'int64';
export const TENSOR_DTYPES: readonly TensorDType[] = Object.freeze(['float32', 'uint8', 'int32', 'int64']);

/** Dimension order of an image tensor; 'ND' for anything that is not an image (logits, maps). */
export type TensorLayout = 'NCHW' | 'NHWC' | 'ND';

export const TENSOR_MEDIA_TYPE = 'application/x-tensor';

export interface TensorInfo {
  readonly dtype: TensorDType;
  readonly shape: readonly number[];
  readonly layout: TensorLayout;
}

/** A tensor as a packet: the bytes in CPU memory or a WebGPU buffer, described by its caps. */
export type TensorPacket = Packet<CpuMemory | WebGpuBufferMemory>;

const BYTES: Readonly<Record<TensorDType, number>> = { float32: 4, uint8: 1, int32: 4, int64: 8 };

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function tensorByteLength(info: Pick<TensorInfo, 'dtype' | 'shape'>): number {
  return elementCount(info.shape) * BYTES[info.dtype];
}

function checkShape(shape: readonly number[]): void {
  if (shape.length === 0 || !shape.every((d) => Number.isSafeInteger(d) && d >= 1))
    throw new RangeError(`tensor shape must be positive integers, got [${shape.join(',')}]`);
}

/**
 * Fixed tensor caps: `application/x-tensor, dtype=(string)float32, shape=(string)"1,3,640,640", layout=(string)NCHW`.
 * The shape is a string because caps have no integer-array type; two tensors negotiate only when equal.
 */
export function tensorCaps(info: TensorInfo): Caps {
  if (!TENSOR_DTYPES.includes(info.dtype)) throw new RangeError(`unknown tensor dtype '${String(info.dtype)}'`);
  checkShape(info.shape);
  return caps(TENSOR_MEDIA_TYPE, { dtype: info.dtype, shape: info.shape.join(','), layout: info.layout });
}

/**
 * float32 output caps by shape, built once per shape: an inference element's outputs keep their shape,
 * and the same Caps object downstream means no renegotiation per packet.
 */
export function float32CapsByShape(layout: TensorInfo['layout']): (dims: readonly number[]) => Caps {
  const cache = new Map<string, Caps>();
  return (dims) => {
    const key = dims.join(',');
    let c = cache.get(key);
    if (!c) cache.set(key, (c = tensorCaps({ dtype: 'float32', shape: [...dims], layout })));
    return c;
  };
}

/** Any tensor (the template of a pad that takes whatever a model eats). */
export function tensorTemplate(): Caps {
  return caps(TENSOR_MEDIA_TYPE, {});
}

/** Reads fixed tensor caps; throws a RangeError naming what is missing. */
export function tensorInfo(c: Caps): TensorInfo {
  if (c.mediaType !== TENSOR_MEDIA_TYPE) throw new RangeError(`expected ${TENSOR_MEDIA_TYPE} caps, got ${c.toString()}`);
  const dtype = c.get('dtype');
  const shape = c.get('shape');
  const layout = c.get('layout') ?? 'ND';
  if (typeof dtype !== 'string' || !TENSOR_DTYPES.includes(dtype as TensorDType))
    throw new RangeError(`tensor caps need dtype=${TENSOR_DTYPES.join('|')}, got ${c.toString()}`);
  if (typeof shape !== 'string' || !/^\d+(,\d+)*$/.test(shape)) throw new RangeError(`tensor caps need shape="d0,d1,…", got ${c.toString()}`);
  if (layout !== 'NCHW' && layout !== 'NHWC' && layout !== 'ND') throw new RangeError(`tensor layout must be NCHW, NHWC or ND, got ${c.toString()}`);
  const dims = shape.split(',').map(Number);
  checkShape(dims);
  return { dtype: dtype as TensorDType, shape: dims, layout };
}

/** The float32 elements of a CPU tensor packet, without copying. */
export function tensorData(p: TensorPacket): Float32Array {
  if (p.memory.domain !== 'cpu') throw new RangeError(`tensor is in ${p.memory.domain} memory; download it first`);
  const info = tensorInfo(p.caps);
  if (info.dtype !== 'float32') throw new RangeError(`tensorData reads float32 tensors, this one is ${info.dtype}`);
  const u8 = p.memory.data;
  if (u8.byteLength !== tensorByteLength(info))
    throw new RangeError(`tensor of shape [${info.shape.join(',')}] needs ${tensorByteLength(info)} bytes, packet has ${u8.byteLength}`);
  if (u8.byteOffset % 4 !== 0) throw new RangeError('float32 tensor bytes must be 4-byte aligned');
  return new Float32Array(u8.buffer, u8.byteOffset, u8.byteLength / 4);
}

/** A CPU view of float32 elements as tensor memory (shares the buffer). */
export function float32Memory(data: Float32Array): CpuMemory {
  return { domain: 'cpu', data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/**
 * The negotiation fields of an element that turns raw video into tensors of one shape (tensorPreprocess,
 * wgpuPreprocess): any raw video in, read by its video meta where it has one, `outCaps` out.
 */
export function frameToTensorCaps(outCaps: Caps): Pick<TransformElement, 'sinkCaps' | 'srcCaps' | 'acceptCaps' | 'outputCaps'> {
  const raw = rawVideoTemplate();
  // Both read a frame once into a new tensor, then release it: their descriptors declare VIDEO_META and RELEASE.
  return { sinkCaps: raw, srcCaps: outCaps, acceptCaps: () => raw, outputCaps: (_input, allowed) => outCaps.intersect(allowed) };
}

/** Tensors of one shape stacked along dimension 0 into one new buffer (a batch for one inference run). */
export function stackFloat32(parts: readonly Float32Array[]): Float32Array {
  const per = parts[0]?.length ?? 0;
  const out = new Float32Array(per * parts.length);
  parts.forEach((p, k) => {
    if (p.length !== per) throw new RangeError(`stacked tensors must be of one size, got ${per} and ${p.length} elements`);
    out.set(p, k * per);
  });
  return out;
}

/** Indices of `shapes` grouped by equal shape, in first-seen order: what one stacked run can take together. */
export function groupByShape(shapes: readonly (readonly number[])[]): number[][] {
  const groups = new Map<string, number[]>();
  shapes.forEach((s, k) => {
    const key = s.join(',');
    const g = groups.get(key);
    if (g) g.push(k);
    else groups.set(key, [k]);
  });
  return [...groups.values()];
}
