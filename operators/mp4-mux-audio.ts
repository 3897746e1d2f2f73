import type { Caps } from '../src/caps';
import type { FieldValue } from '../src/caps/value';
import { buildDOps, parseAudioSpecificConfig, parseDOps } from '../src/formats/mp4/audio-config';
import { hexToBytes } from '../src/formats/mp4/avcc';
import { Mp4Error } from '../src/formats/mp4/errors';
import type { Mp4AudioTrackConfig } from '../src/formats/mp4/mux-track';
import { SECOND } from '../src/time';

function fieldInt(v: FieldValue | undefined): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

/** Whether caps are audio mp4Mux can write (AAC raw or Opus). */
export function isAudioCaps(c: Caps): boolean {
  const name = c.structures[0]?.name;
  return name === 'audio/mpeg' || name === 'audio/x-opus';
}

/**
 * The audio track of a muxed file from fixed caps. AAC (`audio/mpeg, mpegversion=4, stream-format=raw`)
 * needs codec_data (the AudioSpecificConfig, hex); its timescale is its rate, as ffmpeg's. Opus takes its
 * dOps from codec_data, or builds one (mapping family 0) from channels and pre-skip; timescale 48000, the
 * rate Opus always decodes at.
 */
export function audioTrackFromCaps(c: Caps): Mp4AudioTrackConfig {
  const s = c.structures[0];
  const hex = s?.get('codec_data');
  const bytes = typeof hex === 'string' ? hexToBytes(hex) : undefined;
  if (typeof hex === 'string' && !bytes) throw new Mp4Error('invalid-argument', 'codec_data is not hex');
  if (s?.name === 'audio/x-opus') {
    const channels = fieldInt(s.get('channels'));
    const dOps = bytes ?? buildDOps({ channels: channels ?? 2, preSkip: fieldInt(s.get('pre-skip')) ?? 0, inputSampleRate: fieldInt(s.get('rate')) ?? 48000 });
    const cfg = parseDOps(dOps);
    if (cfg instanceof Mp4Error) throw new Mp4Error('invalid-argument', `Opus codec_data: ${cfg.message}`);
    return {
      kind: 'audio',
      codec: 'Opus',
      codecPrivate: dOps,
      sampleRate: 48000,
      channels: cfg.channels,
      timescale: 48000,
      defaultSampleDuration: SECOND / 50,
    };
  }
  if (s?.name !== 'audio/mpeg' || s.get('mpegversion') !== 4 || (s.get('stream-format') ?? 'raw') !== 'raw')
    throw new Mp4Error('invalid-argument', `mp4Mux needs video/x-h264, raw AAC or Opus caps, got ${c.toString()}`);
  if (!bytes) throw new Mp4Error('invalid-argument', `AAC caps have no codec_data (the AudioSpecificConfig, as hex): ${c.toString()}`);
  const asc = parseAudioSpecificConfig(bytes);
  if (asc instanceof Mp4Error) throw new Mp4Error('invalid-argument', `AAC codec_data: ${asc.message}`);
  const rate = fieldInt(s.get('rate')) ?? asc.sampleRate;
  const channels = fieldInt(s.get('channels')) ?? asc.channels;
  if (!channels) throw new Mp4Error('invalid-argument', `AAC caps without channels and a codec_data without a channel configuration: ${c.toString()}`);
  return { kind: 'audio', codec: 'mp4a', codecPrivate: bytes, sampleRate: rate, channels, timescale: rate, defaultSampleDuration: (1024 * SECOND) / rate };
}
