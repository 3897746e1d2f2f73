import type { Caps } from '../src/caps';
import { SECOND } from '../src/time';
import { isAudioCaps } from './mp4-mux-audio';

/**
 * How long (ns of input) a stream that may carry several tracks (merge, mp4Demux track=all) is held to find
 * them all, when the number to expect is not given: a muxer or a server must declare its tracks up front.
 */
export const TRACK_WAIT = SECOND;

/** What must stay the same within one track: codec, parameter sets, size (rate and channels for audio). */
export function trackKey(c: Caps): string {
  const s = c.structures[0];
  const rest = isAudioCaps(c) ? [s?.get('rate'), s?.get('channels')] : [s?.get('width'), s?.get('height')];
  return [s?.name, s?.get('stream-format'), s?.get('codec_data'), ...rest].map(String).join('|');
}
