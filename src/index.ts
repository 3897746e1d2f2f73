export * from './caps'; // an explicit list
export { hostTimers, sleep, systemClock, SystemClock, VirtualClock } from './clock';
export type { Clock, HostTimers } from './clock';
export { EOS } from './element';
export type {
  AnyElement,
  BranchPort,
  Chain,
  DropReason,
  ElementContext,
  ElementReporter,
  InputReader,
  QueueReporter,
  LogSink,
  Pulled,
  Reader,
  SinkElement,
  SourceElement,
  TransformElement,
  Writer,
} from './element';
export { byteLength, CopyLedger, cpuMemory, ImplicitCopyError, leasedMemory, MEMORY_FEATURE, NO_MEMORY, RELEASE, releasePacket, retainPacket } from './memory';
export type {
  CopyRecord,
  CopySummary,
  CpuMemory,
  CudaMemory,
  DmabufMemory,
  LeasedCpuMemory,
  Memory,
  MemoryDomain,
  NoMemory,
  VideoFrameMemory,
  WebGpuBufferMemory,
  WebGpuTextureMemory,
} from './memory';
export { defineSink, defineSource, defineTransform } from './operator';
export type { ElementDefinition, Operator, Sink, Source, Transform } from './operator';
export { EMPTY_META, hasFlag, packet, PacketFlags, withPacket } from './packet';
export type { CpuPacket, Packet, PacketMeta, TraceEntry } from './packet';
export {
  BoundedBuffer,
  checkRenegotiation,
  compose,
  ElementError,
  ElementRecorder,
  formatStats,
  Histogram,
  LIVE,
  namer,
  negotiate,
  NegotiationError,
  pipe,
  Pipeline,
  resolveProfile,
  THROUGHPUT,
} from './pipeline';
export type {
  ElementStats,
  LatencyProfile,
  LatencySummary,
  Namer,
  NegotiatedChain,
  OverflowPolicy,
  PipelineStats,
  RunningPipeline,
  RunOptions,
} from './pipeline';
export { drain, mapReader, queuedReader } from './reader';
export { formatTime, MICROSECOND, MILLISECOND, nsToTicks, SECOND, ticksToNs } from './time';
export { AbortError, isAbortError, newAbortController } from './util/abort';
export { isPromiseLike, type MaybePromise } from './util/promise';
export * from './launch'; // an explicit list
export {
  allocFrame,
  argb,
  ballPosition,
  BLACK,
  CELL_HEIGHT,
  CELL_WIDTH,
  checkVideoLayout,
  drawText,
  fillCircle,
  fillFrame,
  fillRect,
  fixateRawVideo,
  FONT_CHARACTERS,
  formatClock,
  formatFrameNumber,
  frameLayout,
  frameTime,
  glyph,
  GLYPH_HEIGHT,
  GLYPH_WIDTH,
  glyphPixel,
  isPackedLayout,
  isVariableFramerate,
  isVideoFormat,
  MAX_DIMENSION,
  nearestFraction,
  nearestInt,
  OVERLAYS,
  packedFrame,
  parseArgb,
  parseFramerate,
  rawVideoCaps,
  rawVideoInfo,
  rawVideoTemplate,
  readPixel,
  rgb,
  rgbToYuv601,
  stridedLayout,
  subsample444,
  TEST_PATTERNS,
  TestPatternGenerator,
  textSize,
  VIDEO_FORMATS,
  VIDEO_META,
  videoLayoutOf,
  videoLayoutReader,
  WHITE,
  withoutVideoMeta,
  withVideoMeta,
  yuv601ToRgb,
  yuvColor,
} from './video';
export type {
  Color,
  FrameView,
  Glyph,
  LayoutFormat,
  Overlay,
  PlaneLayout,
  PlanePlacement,
  RawVideoInfo,
  Rect,
  TestPattern,
  TestPatternOptions,
  TextStyle,
  VideoFormat,
  VideoFrameLayout,
} from './video';
export {
  FileOpenError,
  getFileOpener,
  isByteSource,
  isByteTarget,
  iterableSource,
  memorySource,
  memoryTarget,
  NoFileOpenerError,
  OpenOnce,
  readableStreamSource,
  resolveOpener,
  setFileOpener,
  toByteSource,
  toByteTarget,
  writableStreamTarget,
} from './io';
export type { ByteSource, ByteSourceInput, ByteTarget, ByteTargetInput, FileOpener, MemoryTarget } from './io';
export * as audio from './audio';
export * as h264 from './codecs/h264';
export * as mp4 from './formats/mp4';
export * as rtp from './rtp';
export * as rtsp from './rtsp';
export { findType, UnsupportedTypeError, type FindTypeOptions, type TypeFound, type TypeKind } from './typefind';
export * as typefind from './typefind';
export { G2gError, MissingDependencyError } from './errors';
export * from './descriptor'; // an explicit list
