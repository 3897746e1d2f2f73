/** Raw video: formats and plane layouts, BT.601 colours, a bitmap font, drawing and test patterns. */
export * from './color';
export * from './draw';
export * from './font';
export * from './format';
export * from './test-pattern';
export * from './timing';
export * from './fixate';
export * from './meta';
