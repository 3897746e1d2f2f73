import { defineElement, prop } from '../../src/descriptor';
import { Caps } from '../../src/caps';
import { fromHex } from '../../src/codecs/h264';
import { ADTS_HEADER, parseAdtsHeader, parseAudioSpecificConfig } from '../../src/codecs/aac/adts';
import { defineTransform, type Transform } from '../../src/operator';
import type { Packet } from '../../src/packet';
import { rawAudioTemplate } from '../../src/audio/format';
import { loadNative, type NativeBinding } from '../native/loader';
import { AUDIO_CODEC_METAS, DECODED_FORMATS, decodedCaps, openAudioDecoder, type AudioDecoderSetup, type AudioPacket } from './audio-codec';

const SINK_CAPS = Caps.parse('audio/mpeg, mpegversion=(int)4, stream-format=(string){ raw, adts }');

export const AAC_DEC = defineElement({
  name: 'aacDec',
  kind: 'transform',
  description: "Decodes AAC (raw with codec_data, or ADTS) to interleaved S16LE/F32LE with libavcodec's native AAC decoder in the native addon (GStreamer avdec_aac)",
  caps: { sink: SINK_CAPS, src: rawAudioTemplate(DECODED_FORMATS, ['interleaved']) },
  metas: AUDIO_CODEC_METAS,
  notes:
    "Decodes on the libuv thread pool. libavcodec's planar float is interleaved natively, rounded to S16 as libswresample rounds (bit-exact with ffmpeg -f s16le). ADTS packets may hold several frames or split one (re-framed). A caps encoder-delay (aacEnc's priming) is trimmed from the start. A damaged packet is dropped (counted corrupt).",
  properties: {
    format: prop.enum(DECODED_FORMATS, { defaultDoc: 'F32LE unless downstream takes only S16LE', doc: 'Output sample format' }),
  },
});

export type AacDecOptions = NonNullable<Parameters<typeof aacDec>[0]>;

/** Splits ADTS bytes into whole frames, keeping a partial one; skips bytes up to the next sync word. */
function splitAdtsCarry(b: Uint8Array): { frames: Uint8Array[]; rest: Uint8Array; skipped: number } {
  const frames: Uint8Array[] = [];
  let at = 0;
  let skipped = 0;
  while (at + ADTS_HEADER <= b.length) {
    const h = parseAdtsHeader(b, at);
    if (!h) {
      // On to the next possible sync byte: a partial header left at the end is carried, junk is not.
      let next = b.indexOf(0xff, at + 1);
      if (next < 0) next = b.length;
      skipped += next - at;
      at = next;
      continue;
    }
    if (at + h.frameBytes > b.length) break;
    frames.push(b.subarray(at, at + h.frameBytes));
    at += h.frameBytes;
  }
  return { frames, rest: b.subarray(at), skipped };
}

export function aacSetup(c: Caps, element: string): AudioDecoderSetup {
  const delay = c.get('encoder-delay');
  const skip = typeof delay === 'number' && delay > 0 ? delay : 0;
  if (c.get('stream-format') === 'adts') return { codec: 'aac', skip, split: splitAdtsCarry };
  const hex = c.get('codec_data');
  if (typeof hex !== 'string') throw new RangeError(`${element}: stream-format=raw needs codec_data (the AudioSpecificConfig, as hex), got ${c.toString()}`);
  const asc = fromHex(hex);
  if (!parseAudioSpecificConfig(asc)) throw new RangeError(`${element}: codec_data is not an AudioSpecificConfig: ${hex}`);
  return { codec: 'aac', extradata: asc, skip };
}

/**
 * AAC decoder (GStreamer avdec_aac): `audio/mpeg, mpegversion=4`, raw (codec_data) or ADTS, in;
 * interleaved audio/x-raw out, decoded by libavcodec's native AAC decoder on the libuv thread pool.
 */
export const aacDec = AAC_DEC.implement((options, x: { addon?: NativeBinding }): Transform<Packet, AudioPacket> => {
  const addon = x.addon ?? loadNative();
  const name = options.name ?? AAC_DEC.name;
  return defineTransform<Packet, AudioPacket>({
    sinkCaps: SINK_CAPS,
    srcCaps: rawAudioTemplate(options.format ? [options.format] : DECODED_FORMATS, ['interleaved']),
    metas: AUDIO_CODEC_METAS,
    acceptCaps: () => SINK_CAPS,
    outputCaps: (_input, allowed) => decodedCaps(allowed, options.format),
    open: (ctx, up) => {
      const f = ctx.outputCaps.get('format');
      return openAudioDecoder(ctx, up, addon, (c) => aacSetup(c, name), f === 'S16LE' || f === 'F32LE' ? f : options.format ?? 'F32LE');
    },
  });
});
