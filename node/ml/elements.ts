import { ORT } from './ort';
import { WGPU_PREPROCESS } from './wgpu-preprocess';

/** The ML elements (onnxruntime, WebGPU through Dawn), for a registry beside `builtinElements` and `nodeElements`. */
export const mlElements = Object.freeze([ORT, WGPU_PREPROCESS]);
