import { Caps, structure, type FieldValue, type Structure } from '../caps';
import { nearestInt } from '../video/fixate';
import { AUDIO_FORMATS, defaultChannelMask, isAudioFormat, type AudioFormat, type AudioLayout } from './format';

/** GStreamer's audio defaults (GST_AUDIO_DEF_RATE, _CHANNELS, _FORMAT): what audiotestsrc fixates to. */
export const DEFAULT_AUDIO = { format: 'S16LE' as AudioFormat, rate: 44100, channels: 1, layout: 'interleaved' as AudioLayout };

function strings(v: FieldValue | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return [v];
  if (typeof v === 'object' && v.kind === 'list') return v.values.filter((x): x is string => typeof x === 'string');
  return [];
}

/** `prefer` if allowed, else the first allowed (in the caps' preference order), else undefined. */
function pick<T extends string>(v: FieldValue | undefined, prefer: T, all?: readonly T[]): T | undefined {
  const s = strings(v);
  if (s === undefined) return prefer;
  if (s.includes(prefer)) return prefer;
  return (s.find((x) => !all || all.includes(x as T)) as T | undefined) ?? undefined;
}

/** A fixed mask from an allowed value: the fixed one, or the first int of a list, else the default. */
function mask(v: FieldValue | undefined, channels: number): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'object' && v.kind === 'list') {
    const n = v.values.find((x): x is number => typeof x === 'number');
    if (n !== undefined) return n;
  }
  if (v === undefined) return channels > 1 ? defaultChannelMask(channels) : undefined;
  return undefined;
}

function fixateOne(s: Structure, preferred: typeof DEFAULT_AUDIO): Structure | undefined {
  const format = pick(s.fields.format, preferred.format, AUDIO_FORMATS);
  const layout = pick(s.fields.layout, preferred.layout);
  const rate = nearestInt(s.fields.rate, preferred.rate);
  const channels = nearestInt(s.fields.channels, preferred.channels);
  if (format === undefined || !isAudioFormat(format) || layout === undefined || rate === undefined || channels === undefined) return undefined;
  const m = mask(s.fields['channel-mask'], channels);
  const rest = s.fixate().fields;
  const fields: Record<string, FieldValue> = { ...rest, format, layout, rate, channels };
  if (m !== undefined) fields['channel-mask'] = m;
  return structure(s.name, fields, s.features);
}

/**
 * Fixates raw audio caps as GStreamer's audio elements do: the preferred format and layout when allowed (else
 * the first allowed), rate and channels nearest the preferred, the channel mask GStreamer assumes for that
 * many channels. EMPTY when nothing can be fixated.
 */
export function fixateRawAudio(allowed: Caps, preferred: Partial<typeof DEFAULT_AUDIO> = {}): Caps {
  const want = { ...DEFAULT_AUDIO, ...preferred };
  for (const s of allowed.structures) {
    const f = fixateOne(s, want);
    if (f && Caps.of(f).isSubset(Caps.of(s))) return Caps.of(f);
  }
  return Caps.empty();
}

/**
 * The caps an audio converter accepts given what its output may be: the same structures without the fields
 * it converts (GStreamer's transform_caps dropping format, channels and so on). ANY stays ANY.
 */
export function withoutFields(c: Caps, fields: readonly string[]): Caps {
  if (c.isAny || c.isEmpty()) return c;
  const out = c.structures.map((s) => {
    const kept: Record<string, FieldValue> = {};
    for (const k of Object.keys(s.fields)) if (!fields.includes(k)) kept[k] = s.fields[k];
    return structure(s.name, kept, s.features);
  });
  return out.reduce((acc, s) => acc.union(Caps.of(s)), Caps.empty());
}
