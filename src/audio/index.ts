/** Raw audio: formats and caps, sample conversion, channel mixing, resampling, level metering, test waves. */
export * from './format';
export * from './fixate';
export * from './samples';
export * from './mix';
export * from './resampler';
export * from './level';
export * from './test-wave';
export * from './packet';
