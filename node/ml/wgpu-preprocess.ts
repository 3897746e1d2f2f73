import { wgpuPreprocessElement, type GpuPreprocessOptions } from '../../src/ml/wgpu-preprocess-element';
import { nodeWebGpuDevice } from './webgpu';

/**
 * tensorPreprocess on WebGPU in Node: the portable element (src/ml/wgpu-preprocess-element.ts) on the
 * process's Dawn device unless another is given.
 */
export const WGPU_PREPROCESS = wgpuPreprocessElement(nodeWebGpuDevice);

export type WgpuPreprocessOptions = GpuPreprocessOptions;

export const wgpuPreprocess = WGPU_PREPROCESS.create;
