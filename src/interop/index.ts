export { fromAsyncIterable } from './async-iterable';
export { toAsyncIterable } from './ix';
export type { PacketMapContext, SourceAdapterOptions } from './common';
export { fromObservable, OverflowError, through, toObservable } from './observable';
export type { FromObservableOptions, ObservableOverflow, OverflowOptions, ThroughOptions } from './observable';
export { PipelineIterator } from './pipeline-iterator';
export { fromReadableStream, toReadableStream } from './readable-stream';
export type { ToReadableStreamOptions } from './readable-stream';
