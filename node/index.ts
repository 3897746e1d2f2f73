// Node-only drivers and elements extend the universal core (itself an explicit list) here, named one by one.
export * from '../operators/entry';
import { installNodeHost } from './host';
export { installNodeFileOpener, nodeFileOpener, nodeFileSink, nodeFileSrc, openFileSource, openFileTarget, READ_AHEAD_BYTES, readAhead } from './drivers/fs';
export { UDP_SINK, udpSink } from './elements/udp-sink';
export type { UdpSinkExtras, UdpSinkOptions } from './elements/udp-sink';
export { DEFAULT_UDP_PORT, UDP_SRC, udpSrc } from './elements/udp-src';
export type { UdpSrcExtras, UdpSrcOptions } from './elements/udp-src';
export { H264_DEC, h264Dec } from './elements/h264-dec';
export type { H264DecBackend, H264DecFormat, H264DecOptions, RawVideoPacket } from './elements/h264-dec';
export { H264_ENC, h264Enc, X264_PRESETS, X264_TUNES } from './elements/h264-enc';
export type { DecodedFormat } from './elements/audio-codec';
export { AAC_DEC, aacDec } from './elements/aac-dec';
export { AAC_ENC, aacEnc, AAC_STREAM_FORMATS, type AacStreamFormat } from './elements/aac-enc';
export { OPUS_DEC, opusDec } from './elements/opus-dec';
export { OPUS_ENC, opusEnc } from './elements/opus-enc';
export type { H264EncOptions, H264Packet, X264Preset, X264Tune } from './elements/h264-enc';
export { RTSP_SRC, rtspSrc } from './elements/rtsp-src';
export type { RtspProtocols, RtspSrc, RtspSrcCounters, RtspSrcOptions } from './elements/rtsp-src';
export { MissingPasswordError, RTSP_SERVER_SINK, RtspMount, rtspServer, RtspServer, rtspServerSink } from './elements/rtsp-server-sink';
export type {
  RtspMountOptions,
  RtspServerLog,
  RtspServerOptions,
  RtspServerSink,
  RtspServerSinkExtras,
  RtspServerSinkOptions,
} from './elements/rtsp-server-sink';
export { WAYLAND_SINK, waylandSink } from './elements/wayland-sink';
export type { WaylandSink, WaylandSinkCounters, WaylandSinkExtras, WaylandSinkOptions } from './elements/wayland-sink';
export { KMS_SINK, kmsSink } from './elements/kms-sink';
export type { KmsSink, KmsSinkCounters, KmsSinkExtras, KmsSinkOptions } from './elements/kms-sink';
export { PULSE_SINK, pulseSink } from './elements/pulse-sink';
export type { PulseSink, PulseSinkCounters, PulseSinkExtras, PulseSinkOptions } from './elements/pulse-sink';
export { PULSE_SRC, pulseSrc } from './elements/pulse-src';
export type { PulseSrc, PulseSrcCounters, PulseSrcExtras, PulseSrcOptions } from './elements/pulse-src';
export { installNativeStartCodeFinder, nativeStartCodeFinder } from './drivers/start-code';
export { GST_BIN, gstBin } from './elements/gst-bin';
export type { GstBinOptions } from './elements/gst-bin';
export { GST_SRC, gstSrc } from './elements/gst-src';
export type { GstSrcOptions } from './elements/gst-src';
export { GST_SINK, gstSink } from './elements/gst-sink';
export type { GstSinkOptions } from './elements/gst-sink';
export { GstBusError } from './elements/gst/bridge';
export { loadGst } from './elements/gst/addon';
export type { GstBinding } from './elements/gst/addon';
export { nodeElements } from './elements';
export { installNodeHost } from './host';
// The native addon: apps can check for it (and read why it is missing) before building a pipeline.
export { defaultAddonPath, loadNative, NativeAddonError, platformTriple, PREBUILT_TRIPLES } from './native/loader';
export type { NativeBinding } from './native/loader';
export type { BackendStatus, DecodedFrame, DecoderOptions, EncodedPacket, EncoderOptions } from '../native/index';

// Importing glass2glass/node gives the core its Node host, as the `node` export condition of glass2glass does.
installNodeHost();
