export * from './errors';
export * from './avcc';
export * from './isobmff-boxes';
export { ByteWriter, boxSize, writeBox, serializeBoxes, mdatHeaderSize, writeMdatHeader } from './isobmff-writer';
export {
  ByteReader,
  readBoxHeader,
  parseBox,
  parseBoxTolerant,
  parseBoxes,
  IncrementalBoxReader,
  type BoxHeader,
  type BoxDamage,
  type TopLevelBox,
  type IncrementalReaderOptions,
} from './isobmff-reader';
export { ByteQueue, CHUNK_OVERHEAD, type ByteQueueOptions } from './byte-queue';
export { expandSampleTable, expandFragment, MAX_SAMPLES, type SampleBatch, type FragmentSamples } from './sample-table';
export * from './mp4-muxer';
export {
  Mp4Demuxer,
  framerateOf,
  type Mp4DemuxerOptions,
  type Mp4TrackSelection,
  type Mp4Track,
  type Mp4VideoTrack,
  type Mp4AudioTrack,
  type Mp4DemuxedSample,
  type Mp4DemuxEvent,
} from './mp4-demuxer';
export * from './audio-config';
