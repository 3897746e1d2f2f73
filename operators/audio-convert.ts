import { caps, Caps } from '../src/caps';
import { defineElement, type ElementOptions } from '../src/descriptor';
import { defineTransform, type Transform } from '../src/operator';
import { withPacket } from '../src/packet';
import { mapReader } from '../src/reader';
import { cpuMemory } from '../src/memory/memory';
import { fixateRawAudio, withoutFields } from '../src/audio/fixate';
import { rawAudioInfo, rawAudioTemplate, type RawAudioInfo } from '../src/audio/format';
import { isIdentityMatrix, mixMatrix, mixPlanes } from '../src/audio/mix';
import { audioBytes, audioInfoCache, type RawAudioPacket } from '../src/audio/packet';
import { readPlanes, writePlanes } from '../src/audio/samples';

const TEMPLATE = rawAudioTemplate();
/** What audioConvert changes; the rate it keeps (that is audioResample's job). */
const CONVERTED = ['format', 'layout', 'channels', 'channel-mask'];

/** The output for fixed input caps within `allowed`: the input's format, layout and channels where allowed. */
function convertOutput(input: Caps, allowed: Caps): Caps {
  if (!input.isFixed()) return allowed;
  const info = rawAudioInfo(input);
  const sameRate = allowed.intersect(caps('audio/x-raw', { rate: info.rate }));
  const out = fixateRawAudio(sameRate, { format: info.format, layout: info.layout, rate: info.rate, channels: info.channels });
  // Same channel count and no mask asked for downstream: keep the input's positions.
  if (!out.isEmpty() && out.get('channels') === info.channels && info.channels > 1) {
    const kept = out.intersect(caps('audio/x-raw', { 'channel-mask': info.channelMask }));
    if (!kept.isEmpty()) return kept.equals(input) ? input : kept.fixate();
  }
  // The input's own Caps object when nothing changes: the stream keeps one Caps, and buffers pass through.
  return out.equals(input) ? input : out;
}

export const AUDIO_CONVERT = defineElement({
  name: 'audioConvert',
  kind: 'transform',
  description: 'Converts raw audio between sample formats, layouts and channel counts (GStreamer audioconvert)',
  caps: { sink: TEMPLATE, src: TEMPLATE },
  notes:
    "Keeps the rate. Passes buffers through untouched when input and output formats agree. Channels mix as GStreamer's channel mixer: positions the output has are copied, others spread to the nearest ones, the matrix scaled so no output can clip (mono → stereo copies, stereo → mono averages, the LFE is dropped in a downmix). Integer output rounds to nearest and saturates; no dithering.",
  properties: {},
  build() {
    return defineTransform<RawAudioPacket, RawAudioPacket>({
      sinkCaps: TEMPLATE,
      srcCaps: TEMPLATE,
      acceptCaps: (downstream) => withoutFields(downstream, CONVERTED),
      outputCaps: convertOutput,
      open(ctx, up) {
        const inInfo = audioInfoCache();
        const outInfo = audioInfoCache();
        let key: string | undefined;
        let matrix: number[][] = [];
        const plan = (a: RawAudioInfo, b: RawAudioInfo) => {
          const k = `${a.channels}/${a.channelMask}>${b.channels}/${b.channelMask}`;
          if (k !== key) {
            matrix = mixMatrix(a.channels, a.channelMask, b.channels, b.channelMask);
            key = k;
          }
          return matrix;
        };
        return mapReader(up, (p) => {
          const out = ctx.outputCaps;
          if (p.caps === out || p.caps.equals(out)) return out === p.caps ? p : withPacket(p, { caps: out });
          const a = inInfo(p.caps);
          const b = outInfo(out);
          const m = plan(a, b);
          const planes = readPlanes(a, audioBytes(p));
          const mixed = isIdentityMatrix(m) ? planes : mixPlanes(planes, m);
          return withPacket(p, { caps: out, memory: cpuMemory(writePlanes(b, mixed)) });
        });
      },
    });
  },
});

export type AudioConvertOptions = ElementOptions<typeof AUDIO_CONVERT>;

/** GStreamer's audioconvert: sample format, layout and channel-count changes, at the same rate. */
export const audioConvert: (options?: AudioConvertOptions) => Transform<RawAudioPacket, RawAudioPacket> = AUDIO_CONVERT.create;
