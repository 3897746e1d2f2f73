import { levelName, profileName } from '../../codecs/h264/sps';
import { Mp4Error } from './errors';

/**
 * The parts of an AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1) that a container needs:
 * the profile/level bytes, the NAL length size and the parameter set arrays. The SPS itself is not
 * parsed here (that is the H.264 library's job); width and height come from caps or the sample entry.
 */
export interface AvcDecoderConfig {
  readonly profileIdc: number;
  /** constraint_set0..5 flags and reserved bits, as in the SPS. */
  readonly profileCompatibility: number;
  readonly levelIdc: number;
  /** Bytes of each NAL unit length prefix in samples: 1, 2 or 4. */
  readonly nalLengthSize: number;
  readonly sps: readonly Uint8Array[];
  readonly pps: readonly Uint8Array[];
}

/** Parses an avcC payload; views into `data`, no copies. */
export function parseAvcDecoderConfig(data: Uint8Array): AvcDecoderConfig | Mp4Error {
  const bad = (why: string): Mp4Error => new Mp4Error('invalid-data', `bad avcC record: ${why}`);
  if (data.length < 7) return bad(`${data.length} bytes, at least 7 needed`);
  if (data[0] !== 1) return bad(`configurationVersion ${data[0]}, expected 1`);
  const nalLengthSize = (data[4] & 3) + 1;
  if (nalLengthSize === 3) return bad('NAL length size 3 is not allowed');
  let pos = 6;
  const readSets = (count: number, what: string): Uint8Array[] | Mp4Error => {
    const sets: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      if (pos + 2 > data.length) return bad(`${what} ${i} length past the end`);
      const len = (data[pos] << 8) | data[pos + 1];
      pos += 2;
      if (pos + len > data.length) return bad(`${what} ${i} (${len} bytes) past the end`);
      sets.push(data.subarray(pos, pos + len));
      pos += len;
    }
    return sets;
  };
  const sps = readSets(data[5] & 31, 'SPS');
  if (sps instanceof Mp4Error) return sps;
  if (pos >= data.length) return bad('no PPS count');
  const pps = readSets(data[pos++], 'PPS');
  if (pps instanceof Mp4Error) return pps;
  return { profileIdc: data[1], profileCompatibility: data[2], levelIdc: data[3], nalLengthSize, sps, pps };
}

/** GStreamer's profile names (h264parse), from profile_idc and the constraint flags (the H.264 library's). */
export function h264ProfileName(cfg: Pick<AvcDecoderConfig, 'profileIdc' | 'profileCompatibility'>): string | undefined {
  const name = profileName({ profileIdc: cfg.profileIdc, constraintFlags: cfg.profileCompatibility });
  return name.startsWith('profile-') ? undefined : name;
}

/** GStreamer's level names: "1b", "1.1", "3", "3.1"… */
export function h264LevelName(cfg: Pick<AvcDecoderConfig, 'profileIdc' | 'profileCompatibility' | 'levelIdc'>): string | undefined {
  if (cfg.levelIdc === 0) return undefined;
  return levelName({ profileIdc: cfg.profileIdc, constraintFlags: cfg.profileCompatibility, levelIdc: cfg.levelIdc });
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function bytesToHex(data: Uint8Array): string {
  let s = '';
  for (let i = 0; i < data.length; i++) s += HEX[data[i]];
  return s;
}

/** Lowercase or uppercase hex to bytes; undefined when the text is not hex. */
export function hexToBytes(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}
