import { ElementRegistry } from '../src/descriptor';
import { AUDIO_CONVERT } from './audio-convert';
import { AUDIO_RESAMPLE } from './audio-resample';
import { AUDIO_TEST_SRC } from './audio-test-src';
import { CAPS_FILTER } from './caps-filter';
import { FAKE_SINK } from './fake-sink';
import { FAKE_SRC } from './fake-src';
import { FILE_SINK } from './file-sink';
import { FILE_SRC } from './file-src';
import { H264_PARSE } from './h264-parse';
import { IDENTITY } from './identity';
import { LEVEL } from './level';
import { MERGE } from './merge';
import { STREAM_MUX } from './stream-mux';
import { BATCH_SPLIT } from './batch-split';
import { MP4_DEMUX } from './mp4-demux';
import { MP4_MUX } from './mp4-mux';
import { OVERLAY } from './overlay';
import { QUEUE } from './queue';
import { RTP_H264_DEPAY } from './rtp-h264-depay';
import { RTP_H264_PAY } from './rtp-h264-pay';
import { RTP_JITTER_BUFFER } from './rtp-jitter-buffer';
import { TEE } from './tee';
import { TENSOR_PREPROCESS } from './tensor-preprocess';
import { TYPE_FIND } from './type-find';
import { VIDEO_TEST_SRC } from './video-test-src';
import { VOLUME } from './volume';

/** This package's runtime-agnostic elements; Node adds its own (node/elements.ts). */
export const builtinElements = Object.freeze([
  FAKE_SRC,
  VIDEO_TEST_SRC,
  AUDIO_TEST_SRC,
  FILE_SRC,
  MERGE,
  STREAM_MUX,
  TYPE_FIND,
  IDENTITY,
  QUEUE,
  CAPS_FILTER,
  H264_PARSE,
  MP4_MUX,
  MP4_DEMUX,
  RTP_H264_PAY,
  RTP_H264_DEPAY,
  RTP_JITTER_BUFFER,
  TENSOR_PREPROCESS,
  OVERLAY,
  AUDIO_CONVERT,
  AUDIO_RESAMPLE,
  VOLUME,
  LEVEL,
  TEE,
  BATCH_SPLIT,
  FAKE_SINK,
  FILE_SINK,
]);

/** The registry launch syntax uses unless given another. */
export const builtinRegistry = new ElementRegistry(builtinElements);
