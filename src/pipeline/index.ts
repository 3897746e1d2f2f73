export * from './bounded-buffer';
export * from './errors';
export * from './histogram';
export * from './negotiate';
export * from './pipeline';
export * from './profile';
export type { RunOptions, RunningPipeline } from './run';
export * from './stats';
