import fc from 'fast-check';
import type { PreprocessOptions } from '../../src/ml/preprocess-cpu';
import type { VideoFormat } from '../../src/video/format';
import type { StridedPlacement } from './strided-frame';

const unit = () => fc.double({ min: 0, max: 1, noNaN: true });
const std = () => fc.double({ min: 0.2, max: 1, noNaN: true });

/** A random frame (format, size, seed for its bytes) and every preprocess option: the GPU-vs-CPU property's cases. */
export const preprocessCase = fc.record({
  format: fc.constantFrom<VideoFormat>('NV12', 'I420', 'RGBA'),
  w: fc.integer({ min: 1, max: 64 }),
  h: fc.integer({ min: 1, max: 48 }),
  ow: fc.integer({ min: 1, max: 48 }),
  oh: fc.integer({ min: 1, max: 48 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  resize: fc.constantFrom<PreprocessOptions['resize']>('stretch', 'letterbox', 'crop'),
  layout: fc.constantFrom<'NCHW' | 'NHWC'>('NCHW', 'NHWC'),
  channelOrder: fc.constantFrom<'RGB' | 'BGR'>('RGB', 'BGR'),
  align: fc.constantFrom<'center' | 'top-left'>('center', 'top-left'),
  padValue: fc.integer({ min: 0, max: 255 }),
  mean: fc.tuple(unit(), unit(), unit()),
  std: fc.tuple(std(), std(), std()),
});

export type PreprocessCase = typeof preprocessCase extends fc.Arbitrary<infer T> ? T : never;

/** The preprocess options a case asks for. */
export const caseOptions = (a: PreprocessCase): PreprocessOptions => ({ width: a.ow, height: a.oh, resize: a.resize, layout: a.layout, channelOrder: a.channelOrder, align: a.align, padValue: a.padValue, mean: a.mean, std: a.std });

/**
 * Where a producer might put a frame's planes: per plane, extra bytes at the end of each row, a gap before
 * the plane, and the order the planes come in (V before U, chroma before luma); bytes after the last one.
 */
export const stridedPlacement: fc.Arbitrary<StridedPlacement> = fc.record({
  rowPad: fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 })),
  gap: fc.tuple(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 64 })),
  order: fc.shuffledSubarray([0, 1, 2], { minLength: 3, maxLength: 3 }),
  tail: fc.integer({ min: 0, max: 7 }),
  garbageSeed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});
