/** Byte I/O abstractions for elements that read and write bytes (files, streams, memory). */
export * from './byte-source';
export * from './byte-target';
export * from './opener';
export { OpenOnce } from './once';
