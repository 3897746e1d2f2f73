export * from './fake-sink';
export * from './fake-src';
export * from './identity';
export * from './merge';
export * from './queue';
export * from './tee';
export * from './caps-filter';
export * from './registry';
