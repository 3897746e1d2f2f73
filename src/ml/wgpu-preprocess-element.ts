/// <reference types="@webgpu/types" />
import { releasePacket } from '../memory/release';
import { Caps } from '../caps';
import { defineElement, prop, type ElementOptions, type SettingsOf } from '../descriptor';
import { RELEASE } from '../memory/release';
import { rawVideoTemplate } from '../video/format';
import { PREPROCESS_PROPERTIES } from './preprocess-properties';
import { EOS, type Pulled, type Reader } from '../element';
import type { CpuMemory, WebGpuBufferMemory } from '../memory/memory';
import { defineTransform, type Transform } from '../operator';
import type { Packet } from '../packet';
import { VIDEO_META, videoLayoutReader, withoutVideoMeta } from '../video/meta';
import { navigatorGpuDevice } from './navigator-gpu';
import { preprocessShape, resolvePreprocess, type PreprocessOptions } from './preprocess-cpu';
import { WgpuPreprocessor } from './preprocess-wgsl';
import { frameToTensorCaps, float32Memory, tensorCaps, type TensorPacket } from './tensor';

/** Options that are not properties. */
export interface GpuPreprocessExtras {
  /**
   * The device; default the runtime's (navigator.gpu here, Dawn in Node). Pass the inference runtime's
   * device (e.g. onnxruntime-web's `env.webgpu.device`) to hand it the output buffers without a copy: a
   * GPUBuffer is usable only on the device that made it.
   */
  device?: () => Promise<GPUDevice>;
}

/** wgpuPreprocess's contract; each runtime builds it on its own default device (`wgpuPreprocessElement`). */
const WGPU_PREPROCESS_SPEC = {
  name: 'wgpuPreprocess',
  kind: 'transform',
  description: 'Raw video to a float32 image tensor on WebGPU: bilinear resize, letterbox/crop, mean/std, channel order',
  caps: {
    sink: rawVideoTemplate(),
    src: Caps.parse('application/x-tensor, dtype=(string)float32; application/x-tensor(memory:WebGPU), dtype=(string)float32'),
  },
  metas: [VIDEO_META, RELEASE],
  notes:
    'Tensors live in WebGPU buffers (memory:WebGPU) released by their last holder, or in CPU memory with download (recorded in the copy ledger). Strided frames are read where their video meta puts them; frames are released once uploaded.',
  properties: { ...PREPROCESS_PROPERTIES, download: prop.boolean({ default: false, doc: 'Output CPU memory instead of WebGPU buffers' }) },
} as const;

/** The wgpuPreprocess descriptor on a runtime whose default device is `defaultDevice`. */
export function wgpuPreprocessElement(defaultDevice: () => Promise<GPUDevice>) {
  return defineElement({ ...WGPU_PREPROCESS_SPEC, build: (s, x: GpuPreprocessExtras) => buildGpuPreprocess(s, x.device ?? defaultDevice) });
}

/** wgpuPreprocess for any runtime with a standard GPUDevice (browsers, workers, Deno). */
export const GPU_PREPROCESS = wgpuPreprocessElement(navigatorGpuDevice);

export type GpuPreprocessOptions = ElementOptions<typeof GPU_PREPROCESS>;

export const gpuPreprocess: (options: GpuPreprocessOptions) => Transform<Packet<CpuMemory>, TensorPacket> = GPU_PREPROCESS.create;

function buildGpuPreprocess(
  settings: SettingsOf<typeof WGPU_PREPROCESS_SPEC.properties>,
  device: () => Promise<GPUDevice>
): Transform<Packet<CpuMemory>, TensorPacket> {
  const options = settings as unknown as PreprocessOptions;
  const { download } = settings;
  const probe = resolvePreprocess(options.width, options.height, options);
  const base = tensorCaps({ dtype: 'float32', shape: preprocessShape(probe), layout: probe.layout });
  const outCaps = download ? base : Caps.parse(base.toString().replace('application/x-tensor', 'application/x-tensor(memory:WebGPU)'));
  return defineTransform<Packet<CpuMemory>, TensorPacket>({
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
