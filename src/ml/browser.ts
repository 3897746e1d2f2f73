// glass2glass/ml for browsers and workers: the runtime-agnostic ML pieces plus WebGPU through navigator.gpu
// (gpuPreprocess) and inference through onnxruntime-web (ortWeb, the module passed in by the caller).
export * from './index';
export * from './navigator-gpu';
export * from './wgpu-preprocess-element';
export * from './ort-web';
