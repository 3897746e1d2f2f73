/** RTP for H.264 (RFC 3550, RFC 6184), AAC (RFC 3640) and Opus (RFC 7587), sans-IO: packets in, packets out, time passed in. Sockets live in node/. */
export { AudioDepayloader, type AudioDepayCounters, type AudioDepayloaderOptions, type DepayedAudioFrame } from './audio-depayloader';
export { AAC_HBR_MAX_AU, AudioPayloader, type AudioPayloaderOptions, type AudioRtpCodec } from './audio-payloader';
export { audioClockRate, audioRtpFromCaps, audioSdpAttributes, sdpAudioStream, type AudioSdpOptions, type SdpAudioStream } from './audio-sdp';
export { decodeBase64, encodeBase64 } from './base64';
export {
  H264Depayloader,
  newDepayCounters,
  type DepayCounters,
  type DepayedAccessUnit,
  type H264DepayloaderOptions,
  type LossPolicy,
} from './h264-depayloader';
export { FU_A, H264Payloader, MIN_MTU, STAP_A, type Aggregation, type H264PayloaderOptions } from './h264-payloader';
export {
  JitterBuffer,
  MAX_DROPOUT,
  newJitterCounters,
  MAX_MISORDER,
  type InsertResult,
  type JitterBufferOptions,
  type JitterCounters,
  type JitterOutput,
} from './jitter-buffer';
export { randomUint16, randomUint32 } from './random';
export {
  buildBye,
  buildSdesCname,
  buildSenderReport,
  compound,
  looksLikeRtcp,
  NTP_UNIX_OFFSET,
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcp,
  RTCP_BYE,
  RTCP_RR,
  RTCP_SDES,
  RTCP_SR,
  type Bye,
  type OtherRtcp,
  type ReceiverReport,
  type ReportBlock,
  type RtcpPacket,
  type RtcpParseResult,
  type Sdes,
  type SdesChunk,
  type SenderReport,
} from './rtcp';
export {
  checkRtpHeader,
  looksLikeRtp,
  MAX_RTP_PACKET,
  parseRtp,
  peekSeq,
  peekSsrc,
  peekTimestamp,
  RTP_HEADER_SIZE,
  RTP_VERSION,
  rtpHeaderSize,
  RtpError,
  serializeRtp,
  writeFixedHeader,
  type RtpErrorKind,
  type RtpHeader,
  type RtpHeaderExtension,
  type RtpPacket,
} from './rtp-packet';
export {
  h264Sdp,
  isMulticast,
  parseSdp,
  parseSpropParameterSets,
  profileLevelId,
  sdpStream,
  SdpError,
  spropParameterSets,
  type H264SdpOptions,
  type SdpConnection,
  type SdpMedia,
  type SdpRtpMap,
  type SdpStream,
  type SessionDescription,
} from './sdp';
export { rtpSenderFields, type RtpSenderFields, type RtpSenderOptions } from './sender-options';
export { SeqExtender, seqBefore, seqDiff, seqNext, TimestampExtender, tsAdd, tsDiff } from './seq';
