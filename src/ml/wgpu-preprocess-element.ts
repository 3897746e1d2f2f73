/// <reference types="@webgpu/types" />
import { releasePacket } from '../memory/release';
import { Caps } from '../caps';
import { EOS, type Pulled, type Reader } from '../element';
import type { CpuMemory, WebGpuBufferMemory } from '../memory/memory';
import { defineTransform, type Transform } from '../operator';
import type { Packet } from '../packet';
import { videoLayoutReader, withoutVideoMeta } from '../video/meta';
import { navigatorGpuDevice } from './navigator-gpu';
import { preprocessShape, resolvePreprocess, type PreprocessOptions } from './preprocess-cpu';
import { WgpuPreprocessor } from './preprocess-wgsl';
import { frameToTensorCaps, float32Memory, tensorCaps, type TensorPacket } from './tensor';

export interface GpuPreprocessOptions extends Omit<PreprocessOptions, 'roi'> {
  name?: string;
  /** Download each tensor to CPU memory (for a CPU consumer); default false: webgpu-buffer memory. */
  download?: boolean;
  /**
   * The device; default navigator.gpu's (navigatorGpuDevice). Pass the inference runtime's device (e.g.
   * onnxruntime-web's `env.webgpu.device`) to hand it the output buffers without a copy: a GPUBuffer is
   * usable only on the device that made it.
   */
  device?: () => Promise<GPUDevice>;
}

/**
 * wgpuPreprocess for any runtime with a standard GPUDevice (browsers, workers, Deno): the Node element
 * (node/ml/wgpu-preprocess.ts) with the device injected instead of Dawn's. Output tensors live in WebGPU
 * buffers released by their last holder, or in CPU memory with `download`, recorded in the copy ledger.
 * Frames may be strided (VIDEO_META): the kernel reads the planes where the packet's video meta puts them.
 */
export function gpuPreprocess(options: GpuPreprocessOptions): Transform<Packet<CpuMemory>, TensorPacket> {
  const probe = resolvePreprocess(options.width, options.height, options);
  const download = options.download ?? false;
  const base = tensorCaps({ dtype: 'float32', shape: preprocessShape(probe), layout: probe.layout });
  const outCaps = download ? base : Caps.parse(base.toString().replace('application/x-tensor', 'application/x-tensor(memory:WebGPU)'));
  const device = options.device ?? navigatorGpuDevice;
  return defineTransform<Packet<CpuMemory>, TensorPacket>({
    factory: 'wgpuPreprocess',
    name: options.name,
    props: { width: options.width, height: options.height, layout: probe.layout, resize: options.resize, download },
    ...frameToTensorCaps(outCaps),
    open(ctx, up): Reader<TensorPacket> {
      let kernel: Promise<WgpuPreprocessor> | undefined;
      const layoutOf = videoLayoutReader();
      return {
        async pull(signal): Promise<Pulled<TensorPacket>> {
          const k = await (kernel ??= device().then((d) => WgpuPreprocessor.create(d)));
          const p = await up.pull(signal);
          if (p === EOS) return EOS;
          const { layout } = layoutOf(p);
          if (download) {
            const t = await k.runToCpu(layout, p.memory.data, options);
            releasePacket(p);
            ctx.ledger.record({ element: ctx.name, bytes: t.byteLength, from: 'webgpu-buffer', to: 'cpu', reason: 'wgpuPreprocess download', explicit: true });
            return { ...p, caps: ctx.outputCaps, memory: float32Memory(t.data), meta: { ...withoutVideoMeta(p.meta), geometry: t.geometry } };
          }
          // The frame's bytes are copied into the queue's staging memory at the call (writeBuffer).
          const r = k.run(layout, p.memory.data, options);
          releasePacket(p);
          const meta = { ...withoutVideoMeta(p.meta), geometry: r.geometry };
          const memory: WebGpuBufferMemory = { domain: 'webgpu-buffer', buffer: r.buffer, byteLength: r.byteLength, release: () => r.buffer.destroy() };
          return { ...p, caps: ctx.outputCaps, memory, meta };
        },
        close: () => void kernel?.then((k) => k.destroy()).catch(() => {}),
      };
    },
  });
}
