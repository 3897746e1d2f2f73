/**
 * glass2glass/ml for browsers and workers: the runtime-agnostic ML pieces plus WebGPU through navigator.gpu
 * (gpuPreprocess) and inference through onnxruntime-web (ortWeb, the module passed in by the caller).
 *
 * @packageDocumentation
 */
export * from './index';
export { navigatorGpuDevice } from './navigator-gpu';
export { GPU_PREPROCESS, gpuPreprocess, wgpuPreprocessElement } from './wgpu-preprocess-element';
export type { GpuPreprocessExtras, GpuPreprocessOptions } from './wgpu-preprocess-element';
export { ortWeb } from './ort-web';
export type { OrtWebOptions, OrtWebProvider, OrtWebRuntime, OrtWebSession, OrtWebTensor } from './ort-web';
