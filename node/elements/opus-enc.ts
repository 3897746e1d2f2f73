import { defineElement, prop } from '../../src/descriptor';
import { Caps, caps, intRange, list, type FieldValue } from '../../src/caps';
import { toHex } from '../../src/codecs/h264';
import { parseOpusHead } from '../../src/codecs/opus/head';
import { defineTransform, type Transform } from '../../src/operator';
import type { Packet } from '../../src/packet';
import { loadNative, type NativeBinding } from '../native/loader';
import { AUDIO_CODEC_METAS, openAudioEncoder, type AudioPacket } from './audio-codec';

const SINK_CAPS = caps('audio/x-raw', { format: list('F32LE', 'S16LE'), layout: 'interleaved', rate: 48000, channels: intRange(1, 2) });
const SRC_CAPS = Caps.parse('audio/x-opus, channel-mapping-family=(int)0');

export const OPUS_ENC = defineElement({
  name: 'opusEnc',
  kind: 'transform',
  description: 'Encodes interleaved S16LE/F32LE 48 kHz mono or stereo audio to Opus with libopus (through libavcodec) in the native addon (GStreamer opusenc)',
  caps: { sink: SINK_CAPS, src: SRC_CAPS },
  metas: AUDIO_CODEC_METAS,
  notes:
    "Encodes on the libuv thread pool, 960 samples (20 ms) a packet. Packet pts come from sample counts from the first input pts. Caps carry codec_data (OpusHead, whose pre-skip is the encoder's priming) and encoder-delay (the same, in samples); opusDec trims it. 48 kHz input only (audioResample before it).",
  properties: {
    bitrate: prop.uint({ min: 500, max: 512000, defaultDoc: "libopus's default", doc: 'Target bitrate in bit/s' }),
  },
});

export type OpusEncOptions = NonNullable<Parameters<typeof opusEnc>[0]>;

/** Opus encoder (GStreamer opusenc): 48 kHz interleaved raw audio in, Opus packets (20 ms) out. */
export const opusEnc = OPUS_ENC.implement((options, x: { addon?: NativeBinding }): Transform<Packet, AudioPacket> => {
  const addon = x.addon ?? loadNative();
  const name = options.name ?? OPUS_ENC.name;
  return defineTransform<Packet, AudioPacket>({
    sinkCaps: SINK_CAPS,
    srcCaps: SRC_CAPS,
    metas: AUDIO_CODEC_METAS,
    acceptCaps: () => SINK_CAPS,
    outputCaps(input, allowed) {
      const fields: Record<string, FieldValue> = { 'channel-mapping-family': 0 };
      for (const k of ['rate', 'channels']) {
        const v = input.get(k);
        if (typeof v === 'number') fields[k] = v;
      }
      return caps('audio/x-opus', fields).intersect(allowed);
    },
    open: (ctx, up) =>
      openAudioEncoder(ctx, up, addon, {
        codec: 'libopus',
        bitrate: options.bitrate,
        outputCaps(info, enc) {
          const head = parseOpusHead(enc.extradata);
          if (!head) throw new Error(`${name}: libopus gave no OpusHead`);
          return caps('audio/x-opus', {
            'channel-mapping-family': 0,
            rate: info.rate,
            channels: info.channels,
            codec_data: toHex(enc.extradata),
            'encoder-delay': enc.delay,
            'frame-size': enc.frameSize,
          });
        },
      }),
  });
});
