/// <reference types="@webgpu/types" />
import { G2gError } from '../src/errors';

/*
 * canvasSink's WebGPU mode: a VideoFrame imported as a GPUExternalTexture (no copy through the CPU, and the
 * YUV → RGB conversion done by the browser as for <video>), drawn by one full-screen triangle onto the
 * canvas's 'webgpu' context. Its own module so that the 2D path carries no WebGPU code.
 */

const WGSL = /* wgsl */ `
@group(0) @binding(0) var frame: texture_external;
@group(0) @binding(1) var smp: sampler;

struct VsOut {
  @builtin(position) pos: vec4f,
  @location(0) uv: vec2f,
};

// One triangle that covers the viewport: (-1,-1), (3,-1), (-1,3); uv (0,0) at the top left.
@vertex fn vs(@builtin(vertex_index) i: u32) -> VsOut {
  let xy = vec2f(f32((i << 1u) & 2u), f32(i & 2u));
  var o: VsOut;
  o.pos = vec4f(xy * 2.0 - 1.0, 0.0, 1.0);
  o.uv = vec2f(xy.x, 1.0 - xy.y);
  return o;
}

@fragment fn fs(v: VsOut) -> @location(0) vec4f {
  return textureSampleBaseClampToEdge(frame, smp, v.uv);
}
`;

/** The part of a canvas the WebGPU mode uses (HTMLCanvasElement, OffscreenCanvas). */
export interface WebGpuCanvasLike {
  getContext(contextId: 'webgpu'): unknown;
}

/**
 * Draws VideoFrames on one canvas with one device. Nothing to destroy: the context stays configured when the
 * sink closes, because unconfigure() blanks the canvas, and the last frame stays on screen as in the 2D mode.
 */
export interface WebGpuPresenter {
  /** Imports `frame` and draws it over the whole canvas; rejects on a WebGPU validation error. The caller closes the frame. */
  draw(frame: object): Promise<void>;
}

/** Configures the canvas's 'webgpu' context on `device` and builds the pipeline that draws frames on it. */
export function webGpuPresenter(canvas: WebGpuCanvasLike, gpuDevice: object): WebGpuPresenter {
  // Typed structurally in the signature (a GPUDevice), so the package's declarations need no @webgpu/types.
  const device = gpuDevice as GPUDevice;
  const context = canvas.getContext('webgpu') as GPUCanvasContext | null;
  if (!context) throw new G2gError('CANVAS_SINK_CONTEXT', "canvasSink: the canvas gave no 'webgpu' context (it may already have another kind)");
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  // The preferred format spares the compositor a conversion; bgra8unorm is what every browser accepts.
  const format = gpu?.getPreferredCanvasFormat() ?? 'bgra8unorm';
  context.configure({ device, format, alphaMode: 'opaque' });
  const module = device.createShaderModule({ code: WGSL });
  const pipeline = device.createRenderPipeline({
    layout: 'auto',
    vertex: { module, entryPoint: 'vs' },
    fragment: { module, entryPoint: 'fs', targets: [{ format }] },
    primitive: { topology: 'triangle-list' },
  });
  // Linear: frames scaled to a canvas of another size are filtered; at the frame's own size texel centres are hit exactly.
  const sampler = device.createSampler({ magFilter: 'linear', minFilter: 'linear' });
  return {
    async draw(frame) {
      device.pushErrorScope('validation');
      // An external texture expires when its frame is closed; the commands below are submitted before that.
      const texture = device.importExternalTexture({ source: frame as VideoFrame });
      const bindGroup = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: texture },
          { binding: 1, resource: sampler },
        ],
      });
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginRenderPass({
        colorAttachments: [{ view: context.getCurrentTexture().createView(), loadOp: 'clear', storeOp: 'store', clearValue: [0, 0, 0, 1] }],
      });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.draw(3);
      pass.end();
      device.queue.submit([encoder.finish()]);
      // WebGPU reports misuse asynchronously: without the scope a failed draw would pass silently.
      const error = await device.popErrorScope();
      if (error) throw new G2gError('CANVAS_SINK_WEBGPU', `canvasSink: drawing the frame with WebGPU failed: ${error.message}`);
    },
  };
}
