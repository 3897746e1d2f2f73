// Runtime-agnostic ML pieces: tensors as packets, the CPU reference preprocess, WGSL, post-processing.
export * from './tensor';
export * from './preprocess-cpu';
export * from './preprocess-wgsl';
export * from './rotate';
export * from './postprocess';
