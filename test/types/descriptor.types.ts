/**
 * Type tests for factories derived from element descriptors: checked by `tsc --noEmit` (part of `npm test`).
 * Each `@ts-expect-error` line must fail to compile.
 */
import { fakeSrc, queue, tensorPreprocess, tee, fakeSink, rtpJitterBuffer, type QueueOptions } from '../../operators';
import { rtspSrc } from '../../node/elements/rtsp-src';

export const ok1 = queue({ maxSizeBuffers: 4, leaky: 'downstream' });
export const ok2 = tensorPreprocess({ width: 640, height: 640, mean: [0.5, 0.5, 0.5] });
export const ok3 = rtspSrc({ location: 'rtsp://cam/s', latency: 20e6 });
export const ok4 = tee({ branches: [fakeSink()], policy: ['block'] });
export const ok5 = fakeSrc();
export const ok6 = rtpJitterBuffer({ latency: 50e6 });
export const opts: QueueOptions = { name: 'q' };

// @ts-expect-error a required property (width, height) makes the options required
export const bad1 = tensorPreprocess();
// @ts-expect-error a required property left out
export const bad2 = tensorPreprocess({ width: 640 });
// @ts-expect-error rtspSrc needs a location
export const bad3 = rtspSrc();
// @ts-expect-error an enum value not declared
export const bad4 = queue({ leaky: 'sideways' });
// @ts-expect-error a misspelt option
export const bad5 = queue({ maxSizeBuffer: 4 });
// @ts-expect-error a number where a boolean is declared
export const bad6 = fakeSrc({ isLive: 1 });
// @ts-expect-error tee's branches are required (an extra, not a property)
export const bad7 = tee({});
