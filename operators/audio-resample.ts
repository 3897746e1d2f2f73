import { caps, Caps } from '../src/caps';
import { defineElement, prop, type ElementOptions } from '../src/descriptor';
import { EOS, type Pulled } from '../src/element';
import { cpuMemory } from '../src/memory/memory';
import { defineTransform, type Transform } from '../src/operator';
import { PacketFlags, withPacket } from '../src/packet';
import { queuedReader } from '../src/reader';
import { ticksToNs } from '../src/time';
import { nearestInt } from '../src/video/fixate';
import { withoutFields } from '../src/audio/fixate';
import { rawAudioInfo, rawAudioTemplate, type RawAudioInfo } from '../src/audio/format';
import { audioBytes, type RawAudioPacket } from '../src/audio/packet';
import { DEFAULT_QUALITY, MAX_QUALITY, Resampler } from '../src/audio/resampler';
import { readPlanes, writePlanes } from '../src/audio/samples';

const TEMPLATE = rawAudioTemplate();

/** The output for fixed input caps: everything as the input but the rate, nearest the input's rate allowed. */
function resampleOutput(input: Caps, allowed: Caps): Caps {
  if (!input.isFixed()) return allowed;
  const { rate, ...rest } = input.structures[0].fields;
  const same = allowed.intersect(caps('audio/x-raw', rest));
  for (const s of same.structures) {
    const r = nearestInt(s.fields.rate, rate as number);
    if (r === rate) return input; // one Caps object for the stream when nothing changes
    // Spread from the input so rate keeps its place: printed caps read as GStreamer's.
    if (r !== undefined) return caps('audio/x-raw', { ...input.structures[0].fields, rate: r });
  }
  return Caps.empty();
}

export const AUDIO_RESAMPLE = defineElement({
  name: 'audioResample',
  kind: 'transform',
  description: 'Changes the sample rate of raw audio with a windowed-sinc polyphase filter (GStreamer audioresample)',
  caps: { sink: TEMPLATE, src: TEMPLATE },
  notes:
    'Keeps format, layout and channels. Passes buffers through when the rates agree. Output frame k is at input time k·in/out (the filter looks ahead half its length, so no delay is added): output pts are the first input pts plus k/rate exactly; a DISCONT input restarts the filter at its pts. The tail is flushed at end-of-stream. Computes in double precision.',
  properties: {
    quality: prop.uint({
      default: DEFAULT_QUALITY,
      min: 0,
      max: MAX_QUALITY,
      doc: 'Filter length and cutoff: 0 fastest, 10 best (GStreamer audioresample quality)',
    }),
  },
  build(s) {
    return defineTransform<RawAudioPacket, RawAudioPacket>({
      sinkCaps: TEMPLATE,
      srcCaps: TEMPLATE,
      acceptCaps: (downstream) => withoutFields(downstream, ['rate']),
      outputCaps: resampleOutput,
      open(ctx, up) {
        const queue: RawAudioPacket[] = [];
        let ended = false;
        let r: Resampler | undefined;
        let rKey: Caps | undefined;
        let a: RawAudioInfo | undefined;
        let b: RawAudioInfo | undefined;
        let origin = 0;
        let flags = 0;
        // Output frames [r.produced before, r.produced after) of this stream, stamped from the frame count.
        const emit = (planes: Float64Array[], done: number, meta: RawAudioPacket['meta']) => {
          const frames = planes[0]?.length ?? 0;
          if (!frames || !r || !b) return;
          const pts = origin + ticksToNs(done, b.rate);
          const end = origin + ticksToNs(done + frames, b.rate);
          queue.push({ caps: ctx.outputCaps, pts, dts: pts, duration: end - pts, flags, memory: cpuMemory(writePlanes(b, planes, frames)), meta });
          flags = 0;
        };
        const flush = () => {
          if (!r) return;
          const done = r.produced;
          emit(r.flush(), done, {});
          r = undefined;
        };
        const handle = (p: Pulled<RawAudioPacket>) => {
          if (p === EOS) {
            flush();
            ended = true;
            return;
          }
          if (p.caps.equals(ctx.outputCaps)) {
            flush();
            queue.push(p.caps === ctx.outputCaps ? p : withPacket(p, { caps: ctx.outputCaps }));
            return;
          }
          // A new format or a discontinuity: finish the old stream, start the filter again at this pts.
          if (rKey !== p.caps || (p.flags & PacketFlags.DISCONT) !== 0) {
            flush();
            rKey = p.caps;
            a = rawAudioInfo(p.caps);
            b = rawAudioInfo(ctx.outputCaps);
          }
          if (!r) {
            r = new Resampler(a!.rate, b!.rate, a!.channels, s.quality);
            origin = p.pts ?? 0;
            flags = PacketFlags.DISCONT;
          }
          const done = r.produced;
          emit(r.process(readPlanes(a!, audioBytes(p))), done, p.meta);
        };
        return queuedReader(up, queue, handle, () => ended);
      },
    });
  },
});

export type AudioResampleOptions = ElementOptions<typeof AUDIO_RESAMPLE>;

/** GStreamer's audioresample in plain TypeScript: sample-rate changes with a choice of quality. */
export const audioResample: (options?: AudioResampleOptions) => Transform<RawAudioPacket, RawAudioPacket> = AUDIO_RESAMPLE.create;
