/// <reference types="@webgpu/types" />
import type { VideoFormat, VideoFrameLayout } from '../video/format';
import { frameArgs, preprocessShape, resolvePreprocess, YUV601, type PreprocessArgs, type PreprocessGeometry, type PreprocessOptions } from './preprocess-cpu';

// The spec's flag values, so that this file needs no GPUBufferUsage/GPUMapMode globals (Node has none).
const MAP_READ = 0x1;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const UNIFORM = 0x40;
const STORAGE = 0x80;
const MAP_MODE_READ = 0x1;

const f = (v: number) => v.toFixed(9);

/**
 * The preprocess of preprocess-cpu.ts in WGSL, one invocation per output pixel: the same half-pixel
 * bilinear taps, the same nearest co-sited chroma, the same BT.601 constants; f32 instead of f64, which
 * is the whole of the difference (tested against the CPU reference). Planes are read at their own byte
 * offset and row stride (yOff/yStride, uOff/uStride, vOff/vStride), so a strided frame (VIDEO_META) needs
 * no repacking; for NV12 the UV plane is U's, and V is the byte after each U.
 */
export const PREPROCESS_WGSL = /* wgsl */ `
struct Params {
  srcW: u32, srcH: u32, format: u32, nhwc: u32,
  dstW: u32, dstH: u32, uOff: u32, vOff: u32,
  cx: u32, cy: u32, cw: u32, ch: u32,
  sx: f32, sy: f32, sw: f32, sh: f32,
  yOff: u32, yStride: u32, uStride: u32, vStride: u32,
  mul: vec4f,
  add: vec4f,
  order: vec4u,
  pad: vec4f,
};
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

fn byteAt(i: u32) -> f32 {
  return f32((src[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu);
}

fn rgbAt(x: u32, y: u32) -> vec3f {
  if (P.format == 0u) {
    let i = P.yOff + y * P.yStride + x * 4u;
    return vec3f(byteAt(i), byteAt(i + 1u), byteAt(i + 2u));
  }
  // NV12: U/V pairs, so two bytes a chroma sample and vOff = uOff + 1, vStride = uStride.
  let cx = (x / 2u) * select(1u, 2u, P.format == 1u);
  let cy = y / 2u;
  let u = byteAt(P.uOff + cy * P.uStride + cx) - 128.0;
  let v = byteAt(P.vOff + cy * P.vStride + cx) - 128.0;
  let l = (byteAt(P.yOff + y * P.yStride + x) - 16.0) * ${f(YUV601.ys)};
  return clamp(vec3f(l + ${f(YUV601.rv)} * v, l - ${f(YUV601.gu)} * u - ${f(YUV601.gv)} * v, l + ${f(YUV601.bu)} * u), vec3f(0.0), vec3f(255.0));
}

// Source index pair and weight for output index i of n covering [start, start + len) of size samples.
fn tap(i: u32, start: f32, len: f32, n: u32, size: u32) -> vec3f {
  let s = clamp(start + (f32(i) + 0.5) * (len / f32(n)) - 0.5, 0.0, f32(size - 1u));
  let fl = floor(s);
  return vec3f(fl, min(fl + 1.0, f32(size - 1u)), s - fl);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let x = id.x;
  let y = id.y;
  if (x >= P.dstW || y >= P.dstH) { return; }
  var o: u32;
  var cs: u32;
  if (P.nhwc == 0u) {
    o = y * P.dstW + x;
    cs = P.dstW * P.dstH;
  } else {
    o = (y * P.dstW + x) * 3u;
    cs = 1u;
  }
  let cx = i32(x) - i32(P.cx);
  let cy = i32(y) - i32(P.cy);
  if (cx < 0 || cy < 0 || cx >= i32(P.cw) || cy >= i32(P.ch)) {
    dst[o] = P.pad.x;
    dst[o + cs] = P.pad.y;
    dst[o + 2u * cs] = P.pad.z;
    return;
  }
  let tx = tap(u32(cx), P.sx, P.sw, P.cw, P.srcW);
  let ty = tap(u32(cy), P.sy, P.sh, P.ch, P.srcH);
  let a = rgbAt(u32(tx.x), u32(ty.x));
  let b = rgbAt(u32(tx.y), u32(ty.x));
  let c = rgbAt(u32(tx.x), u32(ty.y));
  let d = rgbAt(u32(tx.y), u32(ty.y));
  let top = a + (b - a) * tx.z;
  let bot = c + (d - c) * tx.z;
  let px = top + (bot - top) * ty.z;
  dst[o] = px[P.order.x] * P.mul.x + P.add.x;
  dst[o + cs] = px[P.order.y] * P.mul.y + P.add.y;
  dst[o + 2u * cs] = px[P.order.z] * P.mul.z + P.add.z;
}
`;

const FORMAT_CODE: Readonly<Record<VideoFormat, number>> = { RGBA: 0, NV12: 1, I420: 2 };

/** Size of Params: 20 scalars (80 bytes), then four 16-byte vectors. */
const PARAMS_BYTES = 144;

export interface GpuPreprocessDownload {
  readonly data: Float32Array;
  readonly byteLength: number;
  readonly shape: number[];
  readonly geometry: PreprocessGeometry;
}

export interface GpuPreprocessResult {
  /** A STORAGE | COPY_SRC buffer of float32 elements, owned by the caller (destroy it when done). */
  readonly buffer: GPUBuffer;
  readonly byteLength: number;
  readonly shape: number[];
  readonly geometry: PreprocessGeometry;
}

/** Runs the WGSL preprocess on one device; the pipeline is compiled once, the input buffer reused. */
export class WgpuPreprocessor {
  private readonly pipeline: GPUComputePipeline;
  private readonly params: GPUBuffer;
  private input: GPUBuffer | undefined;

  /** Compiles the kernel and reports WGSL or pipeline errors as a rejection (Dawn would only log them). */
  static async create(device: GPUDevice): Promise<WgpuPreprocessor> {
    device.pushErrorScope('validation');
    const p = new WgpuPreprocessor(device);
    const error = await device.popErrorScope();
    if (error) {
      p.destroy();
      throw new Error(`wgpuPreprocess: ${error.message}`);
    }
    return p;
  }

  private constructor(readonly device: GPUDevice) {
    const module = device.createShaderModule({ code: PREPROCESS_WGSL });
    this.pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    this.params = device.createBuffer({ size: PARAMS_BYTES, usage: UNIFORM | COPY_DST });
  }

  /**
   * Uploads the frame, dispatches, and returns the output buffer (no read-back). The frame is tightly
   * packed as format and size imply, or laid out as `layout` says (planes at any offset and row stride).
   */
  run(format: VideoFormat, width: number, height: number, data: Uint8Array, options: PreprocessOptions): GpuPreprocessResult;
  run(layout: VideoFrameLayout, data: Uint8Array, options: PreprocessOptions): GpuPreprocessResult;
  run(...args: PreprocessArgs<[]>): GpuPreprocessResult {
    const [layout, data, options] = frameArgs(args);
    const { format, width, height, planes } = layout;
    const r = resolvePreprocess(width, height, options);
    const { source: s, content: c } = r.geometry;
    const [yp, up] = planes;
    // NV12's V is the byte after each U: the same indexing as I420's separate plane.
    const vp = format === 'NV12' ? { offset: up.offset + 1, stride: up.stride } : planes[2];
    const u32 = new Uint32Array(PARAMS_BYTES / 4);
    const f32 = new Float32Array(u32.buffer);
    u32.set([width, height, FORMAT_CODE[format], r.layout === 'NCHW' ? 0 : 1, r.width, r.height, up?.offset ?? 0, vp?.offset ?? 0, c.x, c.y, c.width, c.height]);
    f32.set([s.x, s.y, s.width, s.height], 12);
    u32.set([yp.offset, yp.stride, up?.stride ?? 0, vp?.stride ?? 0], 16);
    f32.set(r.mul, 20);
    f32.set(r.add, 24);
    u32.set(r.order, 28);
    f32.set([0, 1, 2].map((k) => r.padValue * r.mul[k] + r.add[k]), 32);
    const device = this.device;
    device.queue.writeBuffer(this.params, 0, u32);
    // writeBuffer wants a multiple of 4 bytes: a frame whose last plane ends off a word boundary, with no
    // bytes after it in `data`, goes through a padded copy. Padding and gaps between planes go up as they are.
    const size = Math.ceil(layout.size / 4) * 4;
    if (!this.input || this.input.size < size) {
      this.input?.destroy();
      this.input = device.createBuffer({ size, usage: STORAGE | COPY_DST });
    }
    const bytes = data.byteLength >= size ? data : padTo(data.subarray(0, layout.size), size);
    device.queue.writeBuffer(this.input, 0, bytes.buffer, bytes.byteOffset, size);
    const byteLength = r.width * r.height * 3 * 4;
    const output = device.createBuffer({ size: byteLength, usage: STORAGE | COPY_SRC });
    const bind = device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.params } },
        { binding: 1, resource: { buffer: this.input, size } },
        { binding: 2, resource: { buffer: output } },
      ],
    });
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(Math.ceil(r.width / 8), Math.ceil(r.height / 8));
    pass.end();
    device.queue.submit([enc.finish()]);
    return { buffer: output, byteLength, shape: preprocessShape(r), geometry: r.geometry };
  }

  /** Copies a result back to the CPU (an explicit download: the caller records it in its ledger). */
  async download(result: GpuPreprocessResult): Promise<Float32Array> {
    const staging = this.device.createBuffer({ size: result.byteLength, usage: MAP_READ | COPY_DST });
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(result.buffer, 0, staging, 0, result.byteLength);
    this.device.queue.submit([enc.finish()]);
    await staging.mapAsync(MAP_MODE_READ);
    const out = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    return out;
  }

  /** `run` then `download`, the GPU buffer released: for a CPU consumer (the caller records the transfer). */
  async runToCpu(format: VideoFormat, width: number, height: number, data: Uint8Array, options: PreprocessOptions): Promise<GpuPreprocessDownload>;
  async runToCpu(layout: VideoFrameLayout, data: Uint8Array, options: PreprocessOptions): Promise<GpuPreprocessDownload>;
  async runToCpu(...args: PreprocessArgs<[]>): Promise<GpuPreprocessDownload> {
    const [layout, data, options] = frameArgs(args);
    const r = this.run(layout, data, options);
    try {
      return { data: await this.download(r), byteLength: r.byteLength, shape: r.shape, geometry: r.geometry };
    } finally {
      r.buffer.destroy();
    }
  }

  destroy(): void {
    this.input?.destroy();
    this.params.destroy();
  }
}

function padTo(data: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(data);
  return out;
}
