import { releasePacket } from '../src/memory/release';
import { Caps } from '../src/caps';
import { EOS, type Pulled, type Reader } from '../src/element';
import { preprocessCpu, preprocessShape, resolvePreprocess, type PreprocessOptions } from '../src/ml/preprocess-cpu';
import { frameToTensorCaps, float32Memory, tensorCaps, type TensorPacket } from '../src/ml/tensor';
import { defineTransform, type Transform } from '../src/operator';
import type { CpuMemory } from '../src/memory/memory';
import type { Packet } from '../src/packet';
import { isPromiseLike } from '../src/util/promise';
import { rawVideoTemplate } from '../src/video/format';
import { videoLayoutReader, withoutVideoMeta } from '../src/video/meta';
import type { ElementEntry } from './registry';

export interface TensorPreprocessOptions extends Omit<PreprocessOptions, 'roi'> {
  name?: string;
}

/**
 * Raw video frames (NV12, I420, RGBA in CPU memory) to float32 image tensors on the CPU: bilinear resize
 * (stretch, letterbox or crop), scale, mean/std and channel order (src/ml/preprocess-cpu.ts). Each packet
 * keeps its timestamps and gets `meta.geometry`, which maps tensor coordinates back to the frame.
 * Frames may be strided (VIDEO_META): planes are read where the packet's video meta puts them, uncopied.
 */
export function tensorPreprocess(options: TensorPreprocessOptions): Transform<Packet<CpuMemory>, TensorPacket> {
  // Validates now (any frame size will do), so bad options fail at construction, not at start.
  const probe = resolvePreprocess(options.width, options.height, options);
  const outCaps = tensorCaps({ dtype: 'float32', shape: preprocessShape(probe), layout: probe.layout });
  return defineTransform<Packet<CpuMemory>, TensorPacket>({
    factory: 'tensorPreprocess',
    name: options.name,
    props: { width: options.width, height: options.height, layout: probe.layout, resize: options.resize, 'channel-order': options.channelOrder, mean: options.mean?.join(','), std: options.std?.join(',') },
    ...frameToTensorCaps(outCaps),
    open(ctx, up): Reader<TensorPacket> {
      const layoutOf = videoLayoutReader();
      const convert = (p: Pulled<Packet<CpuMemory>>): Pulled<TensorPacket> => {
        if (p === EOS) return EOS;
        const { layout } = layoutOf(p);
        const r = preprocessCpu(layout, p.memory.data, options);
        releasePacket(p);
        return { ...p, caps: ctx.outputCaps, memory: float32Memory(r.data), meta: { ...withoutVideoMeta(p.meta), geometry: r.geometry } };
      };
      return {
        pull(signal) {
          const p = up.pull(signal);
          return isPromiseLike(p) ? Promise.resolve(p).then(convert) : convert(p);
        },
      };
    },
  });
}

const num3 = (s: string | undefined): [number, number, number] | undefined => {
  if (s === undefined) return undefined;
  const v = s.split(',').map(Number);
  if (v.length !== 3 || !v.every(Number.isFinite)) throw new RangeError(`expected three numbers a,b,c, got '${s}'`);
  return v as [number, number, number];
};

/** Launch-syntax entry (builtin registry: operators/registry.ts). */
export const tensorPreprocessEntry: ElementEntry = {
  name: 'tensorPreprocess',
  kind: 'transform',
  description: 'Raw video to a float32 image tensor: bilinear resize, letterbox/crop, mean/std, channel order (CPU)',
  caps: { sink: rawVideoTemplate().toString(), src: Caps.parse('application/x-tensor, dtype=(string)float32').toString() },
  properties: [
    { name: 'width', type: 'uint', description: 'Tensor width' },
    { name: 'height', type: 'uint', description: 'Tensor height' },
    { name: 'layout', type: 'enum', values: ['NCHW', 'NHWC'], default: 'NCHW', description: 'Dimension order' },
    { name: 'resize', type: 'enum', values: ['stretch', 'letterbox', 'crop'], default: 'stretch', description: 'How the frame fills the tensor' },
    { name: 'pad-value', type: 'double', default: 0, description: 'Letterbox padding, as a 0-255 pixel value' },
    { name: 'scale', type: 'double', default: 1 / 255, description: 'Multiplier applied to 0-255 samples' },
    { name: 'mean', type: 'string', default: '0,0,0', description: 'Per-channel mean (after scale), r,g,b' },
    { name: 'std', type: 'string', default: '1,1,1', description: 'Per-channel std (after mean), r,g,b' },
    { name: 'channel-order', type: 'enum', values: ['RGB', 'BGR'], default: 'RGB', description: 'Channel order of the tensor' },
  ],
  create: (p) => {
    if (p.width === undefined || p.height === undefined) throw new RangeError('tensorPreprocess needs width and height');
    return tensorPreprocess({ name: p.name, width: p.width, height: p.height, layout: p.layout, resize: p.resize, padValue: p['pad-value'], scale: p.scale, mean: num3(p.mean), std: num3(p.std), channelOrder: p['channel-order'] });
  },
};
