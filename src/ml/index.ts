// Runtime-agnostic ML pieces: tensors as packets, the CPU reference preprocess, WGSL, post-processing.
// Public: what glass2glass/ml and glass2glass/ml/browser re-export, named one by one.
export {
  elementCount,
  float32CapsByShape,
  float32Memory,
  frameToTensorCaps,
  TENSOR_DTYPES,
  TENSOR_MEDIA_TYPE,
  tensorByteLength,
  tensorCaps,
  tensorData,
  tensorInfo,
  tensorTemplate,
} from './tensor';
export type { TensorDType, TensorInfo, TensorLayout, TensorPacket } from './tensor';
export { frameArgs, preprocessCpu, preprocessShape, resolvePreprocess, YUV601 } from './preprocess-cpu';
export type {
  ChannelOrder,
  CpuPreprocessResult,
  PreprocessArgs,
  PreprocessGeometry,
  PreprocessOptions,
  Rect,
  ResizeMode,
  ResolvedPreprocess,
} from './preprocess-cpu';
export { PREPROCESS_WGSL, WgpuPreprocessor } from './preprocess-wgsl';
export type { GpuPreprocessDownload, GpuPreprocessResult } from './preprocess-wgsl';
export { rotateContent180 } from './rotate';
export {
  convexHull,
  ctcCharset,
  ctcGreedyDecode,
  dbBoxes,
  minAreaRect,
  readingOrder,
  rectCorners,
  softmax,
  textLines,
  topkClassification,
  unclipRect,
} from './postprocess';
export type { Classification, CtcResult, DbOptions, Point, RotatedRect, TextBox, TopkOptions } from './postprocess';
