// glass2glass/ml: tensors, preprocess (CPU reference and WebGPU), onnxruntime inference, post-processing.
export * from '../../src/ml';
export * from '../../operators/tensor-preprocess';
export * from './ort';
export * from './pp-ocr';
export * from './webgpu';
export * from './wgpu-preprocess';
