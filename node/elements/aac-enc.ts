import { defineElement, prop } from '../../src/descriptor';
import { Caps, caps, intRange, list, type FieldValue } from '../../src/caps';
import { toHex } from '../../src/codecs/h264';
import { AAC_RATES, adtsHeader, parseAudioSpecificConfig } from '../../src/codecs/aac/adts';
import { defineTransform, type Transform } from '../../src/operator';
import type { Packet } from '../../src/packet';
import { loadNative, type NativeBinding } from '../native/loader';
import { AUDIO_CODEC_METAS, openAudioEncoder, type AudioPacket } from './audio-codec';

export const AAC_STREAM_FORMATS = ['raw', 'adts'] as const;
export type AacStreamFormat = (typeof AAC_STREAM_FORMATS)[number];

const SINK_CAPS = caps('audio/x-raw', {
  format: list('F32LE', 'S16LE'),
  layout: 'interleaved',
  rate: list(...AAC_RATES),
  channels: intRange(1, 6),
});
const SRC_CAPS = Caps.parse('audio/mpeg, mpegversion=(int)4, stream-format=(string){ raw, adts }');

export const AAC_ENC = defineElement({
  name: 'aacEnc',
  kind: 'transform',
  description: "Encodes interleaved S16LE/F32LE audio to AAC-LC with libavcodec's native AAC encoder in the native addon (GStreamer avenc_aac)",
  caps: { sink: SINK_CAPS, src: SRC_CAPS },
  metas: AUDIO_CODEC_METAS,
  notes:
    "Encodes on the libuv thread pool, 1024 samples a packet (input of any size is cut natively; the last frame is short at EOS). Packet pts come from sample counts from the first input pts. Caps carry codec_data (AudioSpecificConfig; raw) and encoder-delay (1024 priming samples at the start, for a muxer's edit list; aacDec trims it). stream-format raw unless only ADTS is allowed downstream, or as set.",
  properties: {
    bitrate: prop.uint({ min: 8000, max: 640000, defaultDoc: "libavcodec's aac default", doc: 'Target bitrate in bit/s' }),
    streamFormat: prop.enum(AAC_STREAM_FORMATS, { defaultDoc: 'raw when downstream takes it, else adts', doc: 'raw AAC frames (codec_data in caps) or ADTS (a 7-byte header on each frame)' }),
  },
});

export type AacEncOptions = NonNullable<Parameters<typeof aacEnc>[0]>;

function chooseFormat(allowed: Caps, wanted: AacStreamFormat | undefined): AacStreamFormat | undefined {
  return AAC_STREAM_FORMATS.filter((f) => wanted === undefined || f === wanted).find((f) => !allowed.intersect(caps('audio/mpeg', { mpegversion: 4, 'stream-format': f })).isEmpty());
}

/** AAC encoder (GStreamer avenc_aac): interleaved raw audio in, AAC-LC frames (raw or ADTS) out. */
export const aacEnc = AAC_ENC.implement((options, x: { addon?: NativeBinding }): Transform<Packet, AudioPacket> => {
  const addon = x.addon ?? loadNative();
  const name = options.name ?? AAC_ENC.name;
  return defineTransform<Packet, AudioPacket>({
    sinkCaps: SINK_CAPS,
    srcCaps: SRC_CAPS,
    metas: AUDIO_CODEC_METAS,
    acceptCaps: () => SINK_CAPS,
    outputCaps(input, allowed) {
      const sf = chooseFormat(allowed, options.streamFormat);
      if (!sf) return Caps.empty();
      const fields: Record<string, FieldValue> = { mpegversion: 4, 'stream-format': sf };
      for (const k of ['rate', 'channels']) {
        const v = input.get(k);
        if (typeof v === 'number') fields[k] = v;
      }
      return caps('audio/mpeg', fields).intersect(allowed);
    },
    open(ctx, up) {
      const sf = ctx.outputCaps.get('stream-format') === 'adts' ? 'adts' : 'raw';
      let header: ((n: number) => Uint8Array) | undefined;
      return openAudioEncoder(ctx, up, addon, {
        codec: 'aac',
        bitrate: options.bitrate,
        outputCaps(info, enc) {
          const asc = parseAudioSpecificConfig(enc.extradata);
          if (!asc) throw new Error(`${name}: the encoder gave no AudioSpecificConfig`);
          const fields: Record<string, FieldValue> = {
            mpegversion: 4,
            'stream-format': sf,
            rate: info.rate,
            channels: info.channels,
            'base-profile': 'lc',
            'encoder-delay': enc.delay,
            'frame-size': enc.frameSize,
          };
          if (sf === 'raw') fields.codec_data = toHex(enc.extradata);
          else header = (n) => adtsHeader(asc, n);
          return caps('audio/mpeg', fields);
        },
        frame: sf === 'adts'
          ? (data) => {
              const h = header!(data.length);
              const out = new Uint8Array(h.length + data.length);
              out.set(h);
              out.set(data, h.length);
              return out;
            }
          : undefined,
      });
    },
  });
});
