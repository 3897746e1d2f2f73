import { Caps, caps, intRange, list, type FieldValue } from '../caps';

/**
 * Raw audio sample formats, named as GStreamer's: little-endian signed 16/24/32-bit integers (S24LE is
 * packed, 3 bytes a sample), unsigned 8-bit (silence is 128) and 32-bit float in [-1, 1].
 */
export type AudioFormat = 'S16LE' | 'S32LE' | 'F32LE' | 'S24LE' | 'U8';

/** In preference order: a source fixates to the first one downstream allows (S16LE, as audiotestsrc). */
export const AUDIO_FORMATS: readonly AudioFormat[] = Object.freeze(['S16LE', 'S32LE', 'F32LE', 'S24LE', 'U8']);

/** interleaved: frames of one sample per channel; non-interleaved: one packed plane per channel. */
export type AudioLayout = 'interleaved' | 'non-interleaved';
export const AUDIO_LAYOUTS: readonly AudioLayout[] = Object.freeze(['interleaved', 'non-interleaved']);

/** Bounds of the templates: GStreamer's audio templates say rate=[1, MAX] and channels=[1, MAX]; 64 is what any
 * element here can mix (the channel mask has 64 bits). */
export const MAX_RATE = 2147483647;
export const MAX_CHANNELS = 64;

const BYTES: Readonly<Record<AudioFormat, number>> = { S16LE: 2, S32LE: 4, F32LE: 4, S24LE: 3, U8: 1 };

export function isAudioFormat(v: unknown): v is AudioFormat {
  return typeof v === 'string' && (AUDIO_FORMATS as readonly string[]).includes(v);
}

/** Bytes of one sample of one channel. */
export function sampleBytes(format: AudioFormat): number {
  return BYTES[format];
}

/** What fixed `audio/x-raw` caps say about the samples. */
export interface RawAudioInfo {
  readonly format: AudioFormat;
  readonly rate: number;
  readonly channels: number;
  readonly layout: AudioLayout;
  /** GStreamer's channel-mask: one bit per position (bit 0 front left…); 0 = unpositioned or mono. */
  readonly channelMask: number;
  /** Bytes of one sample of one channel. */
  readonly bps: number;
  /** Bytes of one frame (a sample of every channel). */
  readonly bpf: number;
}

/**
 * GStreamer's default channel masks (gst_audio_channel_get_fallback_mask) for 1–8 channels: mono, stereo,
 * 2.1, 4.0, 5.0, 5.1, 6.1, 7.1. Samples are ordered by ascending bit, as GStreamer, WAV and FFmpeg order them.
 */
const FALLBACK_MASKS = [0, 0, 0x3, 0xb, 0x33, 0x37, 0x3f, 0x13f, 0xc3f];

/** The mask GStreamer assumes for `channels` when caps carry none (0: unpositioned, or mono). */
export function defaultChannelMask(channels: number): number {
  return FALLBACK_MASKS[channels] ?? 0;
}

function popcount(m: number): number {
  let n = 0;
  for (let b = 0; b < 64 && m > 0; b++, m = Math.floor(m / 2)) n += m % 2;
  return n;
}

/** Reads fixed raw audio caps; throws a RangeError naming the field that is missing or out of contract. */
export function rawAudioInfo(c: Caps): RawAudioInfo {
  if (c.mediaType !== 'audio/x-raw') throw new RangeError(`expected audio/x-raw caps, got ${c.toString()}`);
  const format = c.get('format');
  const rate = c.get('rate');
  const channels = c.get('channels');
  const layout = c.get('layout') ?? 'interleaved';
  const mask = c.get('channel-mask');
  if (!isAudioFormat(format)) throw new RangeError(`audio/x-raw caps need format=${AUDIO_FORMATS.join('|')}, got ${c.toString()}`);
  if (typeof rate !== 'number' || !Number.isSafeInteger(rate) || rate < 1)
    throw new RangeError(`audio/x-raw caps need a fixed positive rate, got ${c.toString()}`);
  if (typeof channels !== 'number' || !Number.isSafeInteger(channels) || channels < 1 || channels > MAX_CHANNELS)
    throw new RangeError(`audio/x-raw caps need fixed channels in [1, ${MAX_CHANNELS}], got ${c.toString()}`);
  if (layout !== 'interleaved' && layout !== 'non-interleaved')
    throw new RangeError(`audio/x-raw layout must be interleaved or non-interleaved, got ${c.toString()}`);
  let channelMask = defaultChannelMask(channels);
  if (mask !== undefined) {
    // A mask names exactly `channels` positions, or none (0: unpositioned), as GStreamer checks.
    if (typeof mask !== 'number' || !Number.isSafeInteger(mask) || mask < 0 || (mask !== 0 && popcount(mask) !== channels))
      throw new RangeError(`audio/x-raw channel-mask must have one bit per channel (${channels}), got ${c.toString()}`);
    channelMask = mask;
  }
  const bps = sampleBytes(format);
  return Object.freeze({ format, rate, channels, layout, channelMask, bps, bpf: bps * channels });
}

/** Fixed raw audio caps; channel-mask as gst_audio_info_to_caps writes it (for more than one channel). */
export function rawAudioCaps(info: { format: AudioFormat; rate: number; channels: number; layout?: AudioLayout; channelMask?: number }): Caps {
  const fields: Record<string, FieldValue> = { format: info.format, layout: info.layout ?? 'interleaved', rate: info.rate, channels: info.channels };
  const mask = info.channelMask ?? defaultChannelMask(info.channels);
  if (info.channels > 1) fields['channel-mask'] = mask;
  return caps('audio/x-raw', fields);
}

/** The template of a raw audio pad: these formats and layouts, any rate, 1–64 channels, any mask. */
export function rawAudioTemplate(formats: readonly AudioFormat[] = AUDIO_FORMATS, layouts: readonly AudioLayout[] = AUDIO_LAYOUTS): Caps {
  return caps('audio/x-raw', {
    format: formats.length === 1 ? formats[0] : list(...formats),
    layout: layouts.length === 1 ? layouts[0] : list(...layouts),
    rate: intRange(1, MAX_RATE),
    channels: intRange(1, MAX_CHANNELS),
  });
}

/** Frames in `bytes` of this format (throws when the size is not a whole number of frames). */
export function frameCount(info: RawAudioInfo, bytes: number): number {
  if (bytes % info.bpf !== 0) throw new RangeError(`${bytes} bytes is not a whole number of ${info.bpf}-byte ${info.format} frames`);
  return bytes / info.bpf;
}
