import { Caps } from '../src/caps';
import { defineElement, prop, type ElementOptions } from '../src/descriptor';
import { EOS, type Pulled, type Reader } from '../src/element';
import { releasePacket } from '../src/memory/release';
import { defineTransform, type Transform } from '../src/operator';
import type { Packet } from '../src/packet';
import { isPromiseLike, type MaybePromise } from '../src/util/promise';
import { VIDEO_META } from '../src/video/meta';

/** Options that are not properties (never in launch syntax). */
export interface IdentityExtras<T extends Packet> {
  /** Called with each packet as it passes (after any sleep), as GStreamer's handoff signal: probes, timing. */
  handoff?: (packet: T) => void;
  /**
   * Let frames through as their producer laid them out (VIDEO_META, GStreamer's allocation query passing
   * through): default true without handoff, false with it, so a handoff reading bytes sees packed planes.
   * Such frames may be a decoder's reference pictures: read them, never write them.
   */
  videoMeta?: boolean;
}

export const IDENTITY = defineElement({
  name: 'identity',
  kind: 'transform',
  description: 'Passes packets through; can fail, end, drop or delay to test those paths (GStreamer identity)',
  caps: { sink: Caps.any(), src: Caps.any() },
  notes:
    'Passthrough. Without a handoff it answers the allocation query for what follows it (VIDEO_META, RELEASE: it releases what it drops); a handoff may keep packets, so then it answers none (VIDEO_META only with video-meta).',
  properties: {
    errorAfter: prop.int({ default: -1, min: -1, doc: 'Let this many packets through, then fail on the next (-1 = never; GStreamer fails on the Nth)' }),
    eosAfter: prop.int({ default: -1, min: -1, doc: 'End the stream after this many packets (-1 = never)' }),
    dropEvery: prop.uint({ default: 0, doc: 'Drop every Nth packet (0 = never; a deterministic stand-in for drop-probability)' }),
    sleepTime: prop.duration({ default: 0, unit: 'ns', doc: 'Wait this long on the pipeline clock per packet (a bare number is ns, not GStreamer µs)' }),
  },
  build(s, x: IdentityExtras<any>) {
    const { handoff } = x;
    const errorAfter = s.errorAfter < 0 ? undefined : s.errorAfter;
    const eosAfter = s.eosAfter < 0 ? undefined : s.eosAfter;
    const { dropEvery, sleepTime } = s;
    const plain = errorAfter === undefined && eosAfter === undefined && !dropEvery && !sleepTime && !handoff;
    return defineTransform<Packet, Packet>({
      sinkCaps: Caps.any(),
      srcCaps: Caps.any(),
      passthrough: true,
      metas: handoff ? (x.videoMeta ? [VIDEO_META] : undefined) : x.videoMeta === false ? undefined : 'forward',
      open(ctx, up): Reader<Packet> {
        // The plain case hands upstream's pull straight through: a hop then costs only the runtime's link.
        if (plain) return { pull: (signal) => up.pull(signal) };
        let n = 0;
        const step = (item: Pulled<Packet>, signal: AbortSignal): MaybePromise<Pulled<Packet>> => {
          if (item === EOS) return EOS;
          n++;
          if (errorAfter !== undefined && n > errorAfter) throw new Error(`error-after=${errorAfter} reached`);
          if (eosAfter !== undefined && n > eosAfter) {
            releasePacket(item);
            return EOS;
          }
          if (dropEvery && n % dropEvery === 0) {
            ctx.report.drop('policy');
            releasePacket(item);
            return pull(signal);
          }
          if (sleepTime) {
            return ctx.clock.sleepUntil(ctx.clock.now() + sleepTime, signal).then(() => {
              handoff?.(item);
              return item;
            });
          }
          handoff?.(item);
          return item;
        };
        const pull = (signal: AbortSignal): MaybePromise<Pulled<Packet>> => {
          const r = up.pull(signal);
          return isPromiseLike(r) ? Promise.resolve(r).then((v) => step(v, signal)) : step(r, signal);
        };
        return { pull };
      },
    });
  },
});

export type IdentityOptions<T extends Packet = Packet> = Omit<ElementOptions<typeof IDENTITY>, keyof IdentityExtras<T>> & IdentityExtras<T>;

/** Passes packets through unchanged; with options, a tool for testing error, EOS, drop and delay paths. */
export const identity = <T extends Packet = Packet>(options: IdentityOptions<T> = {}): Transform<T, T> => IDENTITY.create(options) as Transform<any, any>;
