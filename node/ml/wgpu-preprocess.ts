import type { CpuMemory } from '../../src/memory/memory';
import type { TensorPacket } from '../../src/ml/tensor';
import { gpuPreprocess, type GpuPreprocessOptions } from '../../src/ml/wgpu-preprocess-element';
import type { Transform } from '../../src/operator';
import type { Packet } from '../../src/packet';
import { rawVideoTemplate } from '../../src/video/format';
import type { ElementEntry } from '../../operators/registry';
import { nodeWebGpuDevice } from './webgpu';

export type WgpuPreprocessOptions = GpuPreprocessOptions;

/**
 * tensorPreprocess on WebGPU in Node: the portable element (src/ml/wgpu-preprocess-element.ts) on the
 * process's Dawn device unless another is given. Output tensors live in WebGPU buffers (memory:WebGPU)
 * released by their last holder, or in CPU memory with `download`, recorded in the copy ledger.
 */
export function wgpuPreprocess(options: WgpuPreprocessOptions): Transform<Packet<CpuMemory>, TensorPacket> {
  return gpuPreprocess({ ...options, device: options.device ?? nodeWebGpuDevice });
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
