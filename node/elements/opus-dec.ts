import { defineElement, prop } from '../../src/descriptor';
import { Caps } from '../../src/caps';
import { fromHex } from '../../src/codecs/h264';
import { parseOpusHead } from '../../src/codecs/opus/head';
import { defineTransform, type Transform } from '../../src/operator';
import type { Packet } from '../../src/packet';
import { rawAudioTemplate } from '../../src/audio/format';
import { loadNative, type NativeBinding } from '../native/loader';
import { AUDIO_CODEC_METAS, DECODED_FORMATS, decodedCaps, openAudioDecoder, type AudioDecoderSetup, type AudioPacket } from './audio-codec';

const SINK_CAPS = Caps.parse('audio/x-opus');
export const OPUS_DECODERS = ['opus', 'libopus'] as const;

export const OPUS_DEC = defineElement({
  name: 'opusDec',
  kind: 'transform',
  description: "Decodes Opus packets to interleaved S16LE/F32LE at 48 kHz with libavcodec (its native opus decoder, or libopus) in the native addon (GStreamer opusdec)",
  caps: { sink: SINK_CAPS, src: rawAudioTemplate(DECODED_FORMATS, ['interleaved']) },
  metas: AUDIO_CODEC_METAS,
  notes:
    'Decodes on the libuv thread pool. codec_data (OpusHead) gives channels, mapping and pre-skip (trimmed from the start by libavcodec); without it, channel-mapping-family 0 with channels from the caps (default 2) and encoder-delay as pre-skip. A damaged packet is dropped (counted corrupt).',
  properties: {
    format: prop.enum(DECODED_FORMATS, { defaultDoc: 'F32LE unless downstream takes only S16LE', doc: 'Output sample format' }),
    codec: prop.enum(OPUS_DECODERS, { default: 'opus', doc: "libavcodec decoder: opus (FFmpeg's own, what ffmpeg uses by default) or libopus" }),
  },
});

export type OpusDecOptions = NonNullable<Parameters<typeof opusDec>[0]>;

export function opusSetup(c: Caps, element: string, codec: string): AudioDecoderSetup {
  const hex = c.get('codec_data');
  if (typeof hex === 'string') {
    const extradata = fromHex(hex);
    const head = parseOpusHead(extradata);
    if (!head) throw new RangeError(`${element}: codec_data is not an OpusHead: ${hex}`);
    // libavcodec's opus and libopus decoders drop the OpusHead pre-skip themselves (avctx->delay, skip_samples).
    return { codec, extradata, rate: 48000, channels: head.channels, skip: 0 };
  }
  const family = c.get('channel-mapping-family') ?? 0;
  const channels = c.get('channels') ?? 2;
  if (family !== 0 || typeof channels !== 'number' || channels < 1 || channels > 2)
    throw new RangeError(`${element}: without codec_data (OpusHead) only channel-mapping-family 0 with 1 or 2 channels is decodable, got ${c.toString()}`);
  const delay = c.get('encoder-delay');
  return { codec, rate: 48000, channels, skip: typeof delay === 'number' && delay > 0 ? delay : 0 };
}

/** Opus decoder (GStreamer opusdec): `audio/x-opus` packets in, interleaved 48 kHz audio/x-raw out. */
export const opusDec = OPUS_DEC.implement((options, x: { addon?: NativeBinding }): Transform<Packet, AudioPacket> => {
  const addon = x.addon ?? loadNative();
  const name = options.name ?? OPUS_DEC.name;
  return defineTransform<Packet, AudioPacket>({
    sinkCaps: SINK_CAPS,
    srcCaps: rawAudioTemplate(options.format ? [options.format] : DECODED_FORMATS, ['interleaved']),
    metas: AUDIO_CODEC_METAS,
    acceptCaps: () => SINK_CAPS,
    outputCaps: (_input, allowed) => decodedCaps(allowed, options.format),
    open: (ctx, up) => {
      const f = ctx.outputCaps.get('format');
      return openAudioDecoder(ctx, up, addon, (c) => opusSetup(c, name, options.codec), f === 'S16LE' || f === 'F32LE' ? f : options.format ?? 'F32LE');
    },
  });
});
