/** The native layer (Node only): H.264 decode/encode through the system's libavcodec and a Wayland client, see native/. */
export {
  ADDON_FILE,
  BUILD_HINT,
  defaultAddonPath,
  explainLoadFailure,
  loadNative,
  NativeAddonError,
  platformTriple,
  PREBUILT_TRIPLES,
  type NativeBinding,
} from './loader';
export type {
  BackendStatus,
  DecodedFrame,
  DecodeResult,
  DecoderOptions,
  EncodedPacket,
  EncoderOptions,
  NativeDecoder,
  NativeEncoder,
  PresentationFeedback,
  WaylandOptions,
  WaylandStats,
  WaylandWindow,
} from '../../native/index';
