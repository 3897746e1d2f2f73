// Node-only drivers (files, sockets, the CLI's helpers) extend the universal core here.
export * from '../src/index';
export * from './drivers/fs';
