// glass2glass/ml: tensors, preprocess (CPU reference and WebGPU), onnxruntime inference, post-processing.
export * from '../../src/ml';
export { TENSOR_PREPROCESS, tensorPreprocess } from '../../operators/tensor-preprocess';
export type { TensorPreprocessOptions } from '../../operators/tensor-preprocess';
export { EXECUTION_PROVIDERS, loadOrtModel, ort, ORT } from './ort';
export type { ExecutionProvider, OrtExtras, OrtLog, OrtModel, OrtOptions, OrtOutput, OrtSessionOptions } from './ort';
export {
  boxRoi,
  detectionSize,
  gutenyeOcrModels,
  PP_OCR_CLS_HEIGHT,
  PP_OCR_CLS_THRESHOLD,
  PP_OCR_CLS_WIDTH,
  PP_OCR_DET,
  PP_OCR_REC,
  PP_OCR_REC_HEIGHT,
  PP_OCR_REC_WIDTH,
  PpOcr,
} from './pp-ocr';
export type { Frame, OcrLine, PpOcrModels, PpOcrOptions, TextAngle } from './pp-ocr';
export { nodeWebGpuDevice, webGpuHeld } from './webgpu';
export { WGPU_PREPROCESS, wgpuPreprocess } from './wgpu-preprocess';
export type { WgpuPreprocessOptions } from './wgpu-preprocess';
export { mlElements } from './elements';
