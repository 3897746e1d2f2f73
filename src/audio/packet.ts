import type { Caps } from '../caps';
import type { CpuMemory } from '../memory/memory';
import type { Packet } from '../packet';
import { rawAudioInfo, type RawAudioInfo } from './format';

export type RawAudioPacket = Packet<CpuMemory>;

/**
 * `rawAudioInfo` remembered per Caps object: packets of a stream share one Caps until the format changes, so
 * an element parses caps once per change, not once per buffer.
 */
export function audioInfoCache(): (c: Caps) => RawAudioInfo {
  let last: Caps | undefined;
  let info: RawAudioInfo | undefined;
  return (c) => {
    if (c !== last || !info) {
      info = rawAudioInfo(c);
      last = c;
    }
    return info;
  };
}

/** The bytes of a raw audio packet; a clear error for memory that is not CPU bytes. */
export function audioBytes(p: Packet): Uint8Array {
  const m = p.memory as Partial<CpuMemory> & { domain: string };
  if (m.domain !== 'cpu' || !(m.data instanceof Uint8Array)) throw new TypeError(`raw audio must be in CPU memory, got '${m.domain}'`);
  return m.data;
}
