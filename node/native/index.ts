/** The native layer (Node only): H.264 decode/encode through the system's libavcodec, see native/. */
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
} from '../../native/index';
