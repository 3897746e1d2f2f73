/**
 * glass2glass/operators: the built-in elements, runtime-agnostic, one factory each (`fileSrc`, `h264Parse`,
 * `mp4Mux`, `queue`, `tee`, …) beside its descriptor (`FILE_SRC`, …), and the registry that launch syntax
 * resolves names in (`builtinElements`, `builtinRegistry`). Node-only elements (RTSP, UDP, the native
 * decoder and encoder) are in `glass2glass/node`, inference and WebGPU preprocessing in `glass2glass/ml`.
 *
 * @packageDocumentation
 */
export { AUDIO_CONVERT, audioConvert, type AudioConvertOptions } from './audio-convert';
export { AUDIO_RESAMPLE, audioResample, type AudioResampleOptions } from './audio-resample';
export { AUDIO_TEST_SRC, audioTestSrc, type AudioTestSrcOptions, type RawAudioPacket } from './audio-test-src';
export { CAPS_FILTER, capsFilter, type CapsFilterOptions } from './caps-filter';
export { FAKE_SINK, fakeSink, type FakeSinkExtras, type FakeSinkOptions } from './fake-sink';
export { FAKE_SRC, fakeSrc, type FakeSrcOptions } from './fake-src';
export { FILE_SINK, fileSink, type FileSinkExtras, type FileSinkOptions } from './file-sink';
export { DEFAULT_BLOCKSIZE, FILE_SRC, fileSrc, type FileSrcExtras, type FileSrcOptions, type FileSrcPacket } from './file-src';
export { H264_PARSE, h264Parse, type H264ParseOptions } from './h264-parse';
export { IDENTITY, identity, type IdentityExtras, type IdentityOptions } from './identity';
export { LEVEL, level, type LevelExtras, type LevelOptions } from './level';
export { MERGE, merge, type MergeOptions } from './merge';
export { MP4_DEMUX, mp4Demux, trackCaps, type Mp4DemuxOptions } from './mp4-demux';
export { MP4_MUX, mp4Mux, trackFromCaps, type Mp4MuxOptions } from './mp4-mux';
export { detectionsOf, OVERLAY, overlay, type Detection, type OverlayOptions } from './overlay';
export { QUEUE, queue, type QueueOptions } from './queue';
export { RTP_H264_DEPAY, rtpH264Depay, type RtpH264Depay, type RtpH264DepayOptions } from './rtp-h264-depay';
export { RTP_CLOCK_RATE, RTP_H264_PAY, rtpH264Caps, rtpH264Pay, type RtpH264PayOptions } from './rtp-h264-pay';
export {
  LIVE_JITTER_LATENCY,
  RTP_JITTER_BUFFER,
  rtpJitterBuffer,
  THROUGHPUT_JITTER_LATENCY,
  type RtpJitterBuffer,
  type RtpJitterBufferOptions,
} from './rtp-jitter-buffer';
export { TEE, tee, type BranchPolicy, type TeeExtras, type TeeOptions } from './tee';
export { TENSOR_PREPROCESS, tensorPreprocess, type TensorPreprocessOptions } from './tensor-preprocess';
export { TYPE_FIND, typeFind, type TypeFindOptions } from './type-find';
export { VIDEO_TEST_SRC, videoTestSrc, type RawVideoPacket, type VideoTestSrcOptions } from './video-test-src';
export { VOLUME, volume, type VolumeOptions } from './volume';
export * from './web-codecs-dec'; // webCodecsDec, WEB_CODECS_DEC, WebCodecsUnavailableError, the structural WebCodecs types
export * from './canvas-sink'; // canvasSink, CANVAS_SINK, CanvasLike, Presentation
export { builtinElements, builtinRegistry } from './elements';
export { buildLaunch, parseLaunch } from './launch';
export { limitSource, NUM_BUFFERS } from './num-buffers';
export { runLinearChain, runMuxerSink, runSourceFanout, runSourceTransformSink } from './run-helpers';
export { ElementRegistry, UnknownElementError, UnknownPropertyError, PropertyValueError, PropertyConflictError, MissingPropertyError } from '../src/descriptor';
export {
  STREAM_MUX,
  streamMux,
  StreamMuxHandle,
  batchOf,
  batchPacket,
  isBatch,
  BATCH_CAPS,
  type BatchPacket,
  type MuxControl,
  type MuxSourceState,
  type PendingFrames,
  type RemovedSource,
  type StreamMux,
  type StreamMuxOptions,
} from './stream-mux';
export { BATCH_SPLIT, batchSplit, BatchSplitHandle, type BatchSplit, type BatchSplitExtras, type BatchSplitOptions, type SplitControl } from './batch-split';
export type { BatchSlot } from '../src/batch/batcher';
