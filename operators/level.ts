import { defineElement, prop, type ElementOptions } from '../src/descriptor';
import { EOS } from '../src/element';
import { defineTransform, type Transform } from '../src/operator';
import { withPacket } from '../src/packet';
import { isPromiseLike } from '../src/util/promise';
import { SECOND, MILLISECOND } from '../src/time';
import { rawAudioTemplate } from '../src/audio/format';
import { LEVEL_META, LevelMeter, type LevelMeasurement } from '../src/audio/level';
import { audioBytes, audioInfoCache, type RawAudioPacket } from '../src/audio/packet';
import { readPlanes } from '../src/audio/samples';

const TEMPLATE = rawAudioTemplate();

/** Options that are not properties (never in launch syntax). */
export interface LevelExtras {
  /** Called with every measurement as it completes, the last partial interval at end-of-stream included (GStreamer's level message). */
  onLevel?: (m: LevelMeasurement) => void;
}

export const LEVEL = defineElement({
  name: 'level',
  kind: 'transform',
  description: 'Measures RMS and peak per channel in dB every interval (GStreamer level)',
  caps: { sink: TEMPLATE, src: TEMPLATE },
  notes:
    'Passthrough. Intervals are counted in frames (round(interval · rate)), so they do not depend on buffer sizes. Each measurement goes into meta.level of the buffer in which its interval ends (levelsOf(packet); a buffer longer than the interval carries several) and to onLevel. Digital silence measures −Infinity dB.',
  properties: {
    interval: prop.duration({ default: 100 * MILLISECOND, min: 1, unit: 'ns', doc: 'Length of each measurement (a bare number is ns, as GStreamer)' }),
  },
  build(s, x: LevelExtras) {
    const { onLevel } = x;
    return defineTransform<RawAudioPacket, RawAudioPacket>({
      sinkCaps: TEMPLATE,
      srcCaps: TEMPLATE,
      passthrough: true,
      open(_ctx, up) {
        const infoOf = audioInfoCache();
        let meter: LevelMeter | undefined;
        let meterKey: string | undefined;
        const end = () => {
          const last = meter?.flush();
          if (last) onLevel?.(last);
        };
        const step = (p: RawAudioPacket | typeof EOS): RawAudioPacket | typeof EOS => {
          if (p === EOS) {
            end();
            return EOS;
          }
          const info = infoOf(p.caps);
          const key = `${info.rate}/${info.channels}`;
          if (key !== meterKey) {
            end();
            meter = new LevelMeter(info.channels, info.rate, Math.max(1, Math.round((s.interval * info.rate) / SECOND)));
            meterKey = key;
          }
          const done = meter!.push(readPlanes(info, audioBytes(p)), p.pts);
          if (done.length === 0) return p;
          if (onLevel) done.forEach(onLevel);
          return withPacket(p, { meta: { ...p.meta, [LEVEL_META]: done } });
        };
        return {
          pull(signal) {
            const r = up.pull(signal);
            return isPromiseLike(r) ? Promise.resolve(r).then(step) : step(r);
          },
        };
      },
    });
  },
});

export type LevelOptions = Omit<ElementOptions<typeof LEVEL>, keyof LevelExtras> & LevelExtras;

/** GStreamer's level: RMS and peak per channel, in dB full scale, every `interval` of audio, as packet metas. */
export const level: (options?: LevelOptions) => Transform<RawAudioPacket, RawAudioPacket> = LEVEL.create;
