/// <reference types="@webgpu/types" />
import { frameLayout, type VideoFormat } from '../video/format';
import { preprocessShape, resolvePreprocess, YUV601, type PreprocessGeometry, type PreprocessOptions } from './preprocess-cpu';

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
 * is the whole of the difference (tested against the CPU reference).
 */
export const PREPROCESS_WGSL = /* wgsl */ `
struct Params {
  srcW: u32, srcH: u32, format: u32, nhwc: u32,
  dstW: u32, dstH: u32, uOff: u32, vOff: u32,
  cx: u32, cy: u32, cw: u32, ch: u32,
  sx: f32, sy: f32, sw: f32, sh: f32,
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
    let i = (y * P.srcW + x) * 4u;
    return vec3f(byteAt(i), byteAt(i + 1u), byteAt(i + 2u));
  }
  let ci = (y / 2u) * ((P.srcW + 1u) / 2u) + x / 2u;
  var u: f32;
  var v: f32;
  if (P.format == 1u) {
    u = byteAt(P.uOff + ci * 2u);
    v = byteAt(P.uOff + ci * 2u + 1u);
  } else {
    u = byteAt(P.uOff + ci);
    v = byteAt(P.vOff + ci);
  }
  let l = (byteAt(y * P.srcW + x) - 16.0) * ${f(YUV601.ys)};
  u = u - 128.0;
  v = v - 128.0;
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
    this.params = device.createBuffer({ size: 128, usage: UNIFORM | COPY_DST });
  }

  /** Uploads the frame, dispatches, and returns the output buffer (no read-back). */
  run(format: VideoFormat, width: number, height: number, data: Uint8Array, options: PreprocessOptions): GpuPreprocessResult {
    const layout = frameLayout(format, width, height);
    if (data.byteLength < layout.size) throw new RangeError(`a ${width}x${height} ${format} frame needs ${layout.size} bytes, got ${data.byteLength}`);
    const r = resolvePreprocess(width, height, options);
    const { source: s, content: c } = r.geometry;
    const u32 = new Uint32Array(32);
    const f32 = new Float32Array(u32.buffer);
    u32.set([width, height, FORMAT_CODE[format], r.layout === 'NCHW' ? 0 : 1, r.width, r.height, layout.planes[1]?.offset ?? 0, layout.planes[2]?.offset ?? 0, c.x, c.y, c.width, c.height]);
    f32.set([s.x, s.y, s.width, s.height], 12);
    f32.set(r.mul, 16);
    f32.set(r.add, 20);
    u32.set(r.order, 24);
    f32.set([0, 1, 2].map((k) => r.padValue * r.mul[k] + r.add[k]), 28);
    const device = this.device;
    device.queue.writeBuffer(this.params, 0, u32);
    // writeBuffer wants a multiple of 4 bytes: a frame of odd size goes through a padded copy.
    const size = Math.ceil(layout.size / 4) * 4;
    if (!this.input || this.input.size < size) {
      this.input?.destroy();
      this.input = device.createBuffer({ size, usage: STORAGE | COPY_DST });
    }
    const bytes = size === layout.size && data.byteLength === size ? data : padTo(data.subarray(0, layout.size), size);
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
  async runToCpu(format: VideoFormat, width: number, height: number, data: Uint8Array, options: PreprocessOptions): Promise<{ data: Float32Array; byteLength: number; shape: number[]; geometry: PreprocessGeometry }> {
    const r = this.run(format, width, height, data, options);
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
