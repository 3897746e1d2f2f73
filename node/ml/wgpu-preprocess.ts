import { Caps } from '../../src/caps';
import { EOS, type Pulled, type Reader } from '../../src/element';
import type { CpuMemory, WebGpuBufferMemory } from '../../src/memory/memory';
import { preprocessShape, resolvePreprocess, type PreprocessOptions } from '../../src/ml/preprocess-cpu';
import { WgpuPreprocessor } from '../../src/ml/preprocess-wgsl';
import { float32Memory, tensorCaps, type TensorPacket } from '../../src/ml/tensor';
import { defineTransform, type Transform } from '../../src/operator';
import type { Packet } from '../../src/packet';
import { rawVideoInfo, rawVideoTemplate } from '../../src/video/format';
import type { ElementEntry } from '../../operators/registry';
import { nodeWebGpuDevice } from './webgpu';

export interface WgpuPreprocessOptions extends Omit<PreprocessOptions, 'roi'> {
  name?: string;
  /** Download each tensor to CPU memory (for a CPU consumer such as ort); default false: webgpu-buffer memory. */
  download?: boolean;
  /** The device; default the process's Dawn device (node/ml/webgpu.ts). */
  device?: () => Promise<GPUDevice>;
}

/**
 * tensorPreprocess on WebGPU: the same maths in WGSL (src/ml/preprocess-wgsl.ts). Output tensors live in
 * WebGPU buffers (memory:WebGPU) released by their last holder, or in CPU memory with `download`, the
 * download recorded in the copy ledger as an explicit transfer.
 */
export function wgpuPreprocess(options: WgpuPreprocessOptions): Transform<Packet<CpuMemory>, TensorPacket> {
  const probe = resolvePreprocess(options.width, options.height, options);
  const download = options.download ?? false;
  const base = tensorCaps({ dtype: 'float32', shape: preprocessShape(probe), layout: probe.layout });
  const outCaps = download ? base : Caps.parse(base.toString().replace('application/x-tensor', 'application/x-tensor(memory:WebGPU)'));
  return defineTransform<Packet<CpuMemory>, TensorPacket>({
    factory: 'wgpuPreprocess',
    name: options.name,
    props: { width: options.width, height: options.height, layout: probe.layout, resize: options.resize, download },
    sinkCaps: rawVideoTemplate(),
    srcCaps: outCaps,
    acceptCaps: () => rawVideoTemplate(),
    outputCaps: (_input, allowed) => outCaps.intersect(allowed),
    open(ctx, up): Reader<TensorPacket> {
      let kernel: Promise<WgpuPreprocessor> | undefined;
      return {
        async pull(signal): Promise<Pulled<TensorPacket>> {
          const k = await (kernel ??= (options.device ?? nodeWebGpuDevice)().then((d) => WgpuPreprocessor.create(d)));
          const p = await up.pull(signal);
          if (p === EOS) return EOS;
          const info = rawVideoInfo(p.caps);
          const r = k.run(info.format, info.width, info.height, p.memory.data, options);
          const meta = { ...p.meta, geometry: r.geometry };
          if (download) {
            const data = await k.download(r);
            r.buffer.destroy();
            ctx.ledger.record({ element: ctx.name, bytes: r.byteLength, from: 'webgpu-buffer', to: 'cpu', reason: 'wgpuPreprocess download', explicit: true });
            return { ...p, caps: ctx.outputCaps, memory: float32Memory(data), meta };
          }
          const memory: WebGpuBufferMemory = { domain: 'webgpu-buffer', buffer: r.buffer, byteLength: r.byteLength, release: () => r.buffer.destroy() };
          return { ...p, caps: ctx.outputCaps, memory, meta };
        },
        close: () => void kernel?.then((k) => k.destroy()).catch(() => {}),
      };
    },
  });
}

/** Launch-syntax entry (Node registry: node/cli/registry.ts). */
export const wgpuPreprocessEntry: ElementEntry = {
  name: 'wgpuPreprocess',
  kind: 'transform',
  description: 'Raw video to a float32 image tensor on WebGPU (Dawn): bilinear resize, letterbox/crop, mean/std, channel order',
  caps: { sink: rawVideoTemplate().toString(), src: 'application/x-tensor, dtype=(string)float32' },
  properties: [
    { name: 'width', type: 'uint', description: 'Tensor width' },
    { name: 'height', type: 'uint', description: 'Tensor height' },
    { name: 'layout', type: 'enum', values: ['NCHW', 'NHWC'], default: 'NCHW', description: 'Dimension order' },
    { name: 'resize', type: 'enum', values: ['stretch', 'letterbox', 'crop'], default: 'stretch', description: 'How the frame fills the tensor' },
    { name: 'pad-value', type: 'double', default: 0, description: 'Letterbox padding, as a 0-255 pixel value' },
    { name: 'channel-order', type: 'enum', values: ['RGB', 'BGR'], default: 'RGB', description: 'Channel order of the tensor' },
    { name: 'download', type: 'boolean', default: false, description: 'Output CPU memory instead of WebGPU buffers' },
  ],
  create: (p) => {
    if (p.width === undefined || p.height === undefined) throw new RangeError('wgpuPreprocess needs width and height');
    return wgpuPreprocess({ name: p.name, width: p.width, height: p.height, layout: p.layout, resize: p.resize, padValue: p['pad-value'], channelOrder: p['channel-order'], download: p.download });
  },
};
