export * from './fake-sink';
export * from './fake-src';
export * from './identity';
export * from './merge';
export * from './queue';
export * from './tee';
