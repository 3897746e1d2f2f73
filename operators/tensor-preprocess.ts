import { releasePacket } from '../src/memory/release';
import { Caps } from '../src/caps';
import { defineElement, type ElementOptions } from '../src/descriptor';
import { PREPROCESS_PROPERTIES } from '../src/ml/preprocess-properties';
import { RELEASE } from '../src/memory/release';
import { EOS, type Pulled, type Reader } from '../src/element';
import { preprocessCpu, preprocessShape, resolvePreprocess, type PreprocessOptions } from '../src/ml/preprocess-cpu';
import { frameToTensorCaps, float32Memory, tensorCaps, type TensorPacket } from '../src/ml/tensor';
import { defineTransform, type Transform } from '../src/operator';
import type { CpuMemory } from '../src/memory/memory';
import type { Packet } from '../src/packet';
import { isPromiseLike } from '../src/util/promise';
import { rawVideoTemplate } from '../src/video/format';
import { VIDEO_META, videoLayoutReader, withoutVideoMeta } from '../src/video/meta';

export const TENSOR_PREPROCESS = defineElement({
  name: 'tensorPreprocess',
  kind: 'transform',
  description: 'Raw video to a float32 image tensor: bilinear resize, letterbox/crop, mean/std, channel order (CPU)',
  caps: { sink: rawVideoTemplate(), src: Caps.parse('application/x-tensor, dtype=(string)float32') },
  metas: [VIDEO_META, RELEASE],
  notes:
    "NV12, I420, RGBA in CPU memory; strided frames are read where their video meta puts them, uncopied, and released once converted. Each tensor keeps its frame's timestamps and gets meta.geometry, mapping tensor coordinates back to the frame.",
  properties: PREPROCESS_PROPERTIES,
});

export type TensorPreprocessOptions = ElementOptions<typeof TENSOR_PREPROCESS>;

/**
 * Raw video frames (NV12, I420, RGBA in CPU memory) to float32 image tensors on the CPU: bilinear resize
 * (stretch, letterbox or crop), scale, mean/std and channel order (src/ml/preprocess-cpu.ts). Each packet
 * keeps its timestamps and gets `meta.geometry`, which maps tensor coordinates back to the frame.
 * Frames may be strided (VIDEO_META): planes are read where the packet's video meta puts them, uncopied.
 */
export const tensorPreprocess = TENSOR_PREPROCESS.implement((settings): Transform<Packet<CpuMemory>, TensorPacket> => {
  const options = settings as unknown as PreprocessOptions;
  // Validates now (any frame size will do), so bad options fail at construction, not at start.
  const probe = resolvePreprocess(options.width, options.height, options);
  const outCaps = tensorCaps({ dtype: 'float32', shape: preprocessShape(probe), layout: probe.layout });
  return defineTransform<Packet<CpuMemory>, TensorPacket>({
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
});
