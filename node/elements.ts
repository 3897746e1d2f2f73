import { AAC_DEC } from './elements/aac-dec';
import { AAC_ENC } from './elements/aac-enc';
import { OPUS_DEC } from './elements/opus-dec';
import { OPUS_ENC } from './elements/opus-enc';
import { GST_BIN } from './elements/gst-bin';
import { GST_SINK } from './elements/gst-sink';
import { GST_SRC } from './elements/gst-src';
import { H264_DEC } from './elements/h264-dec';
import { H264_ENC } from './elements/h264-enc';
import { KMS_SINK } from './elements/kms-sink';
import { PULSE_SINK } from './elements/pulse-sink';
import { PULSE_SRC } from './elements/pulse-src';
import { RTSP_SERVER_SINK } from './elements/rtsp-server-sink';
import { RTSP_SRC } from './elements/rtsp-src';
import { UDP_SINK } from './elements/udp-sink';
import { UDP_SRC } from './elements/udp-src';
import { WAYLAND_SINK } from './elements/wayland-sink';

/**
 * Node's own elements (native addon, sockets, display, the GStreamer bridge: its addon loads when one is built), beside the package's `builtinElements`; nothing registers
 * itself. The ML elements (onnxruntime, Dawn) are `mlElements` of glass2glass/ml, so that an RTSP/MP4 app's
 * types and bundles never reach the optional ML packages or WebGPU's declarations.
 */
export const nodeElements = Object.freeze([H264_DEC, H264_ENC, AAC_DEC, AAC_ENC, OPUS_DEC, OPUS_ENC, UDP_SRC, UDP_SINK, RTSP_SRC, RTSP_SERVER_SINK, WAYLAND_SINK, KMS_SINK, PULSE_SINK, PULSE_SRC, GST_BIN, GST_SRC, GST_SINK]);
