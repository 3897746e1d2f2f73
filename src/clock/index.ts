export * from './clock';
export * from './host';
export * from './system-clock';
export * from './virtual-clock';
