import { defineElement, prop, type ElementOptions } from '../src/descriptor';
import { cpuMemory } from '../src/memory/memory';
import { defineTransform, type Transform } from '../src/operator';
import { withPacket } from '../src/packet';
import { mapReader } from '../src/reader';
import { rawAudioTemplate } from '../src/audio/format';
import { audioBytes, audioInfoCache, type RawAudioPacket } from '../src/audio/packet';
import { readPlanes, silenceByte, writePlanes } from '../src/audio/samples';

const TEMPLATE = rawAudioTemplate();

export const VOLUME = defineElement({
  name: 'volume',
  kind: 'transform',
  description: 'Scales raw audio by a factor, or mutes it (GStreamer volume)',
  caps: { sink: TEMPLATE, src: TEMPLATE },
  notes: 'Any raw audio format, unchanged. volume=1 without mute passes buffers through untouched; integer formats saturate at full scale.',
  properties: {
    volume: prop.double({ default: 1, min: 0, max: 10, doc: 'Factor (1 = unchanged, as GStreamer; up to 10, +20 dB)' }),
    mute: prop.boolean({ default: false, doc: 'Output silence' }),
  },
  build(s) {
    const { volume, mute } = s;
    return defineTransform<RawAudioPacket, RawAudioPacket>({
      sinkCaps: TEMPLATE,
      srcCaps: TEMPLATE,
      passthrough: true,
      open(_ctx, up) {
        if (volume === 1 && !mute) return { pull: (signal) => up.pull(signal) };
        const infoOf = audioInfoCache();
        return mapReader(up, (p) => {
          const info = infoOf(p.caps);
          const bytes = audioBytes(p);
          if (mute || volume === 0) return withPacket(p, { memory: cpuMemory(new Uint8Array(bytes.byteLength).fill(silenceByte(info.format))) });
          const planes = readPlanes(info, bytes);
          for (const plane of planes) for (let i = 0; i < plane.length; i++) plane[i] *= volume;
          return withPacket(p, { memory: cpuMemory(writePlanes(info, planes)) });
        });
      },
    });
  },
});

export type VolumeOptions = ElementOptions<typeof VOLUME>;

/** GStreamer's volume: multiplies every sample by `volume`, or outputs silence with `mute`. */
export const volume: (options?: VolumeOptions) => Transform<RawAudioPacket, RawAudioPacket> = VOLUME.create;
