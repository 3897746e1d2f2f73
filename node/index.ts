// Node-only drivers (files, sockets, the CLI's helpers) extend the universal core here.
export * from '../src/index';
export * from './drivers/fs';
export * from './elements/udp-sink';
export * from './elements/udp-src';
export * from './elements/h264-dec';
export * from './elements/h264-enc';
export * from './elements/rtsp-src';
export * from './elements/rtsp-server-sink';
export * from './drivers/start-code';
