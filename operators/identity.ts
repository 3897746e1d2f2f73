import { Caps } from '../src/caps';
import { EOS, type Pulled, type Reader } from '../src/element';
import { defineTransform, type Transform } from '../src/operator';
import type { Packet } from '../src/packet';
import { isPromiseLike, type MaybePromise } from '../src/util/promise';
import { releasePacket } from '../src/memory/release';
import { VIDEO_META } from '../src/video/meta';

export interface IdentityOptions<T extends Packet = Packet> {
  name?: string;
  /** Let this many packets through, then fail on the next (testing error paths; GStreamer's error-after fails on the Nth). */
  errorAfter?: number;
  /** End the stream after this many packets, as GStreamer's eos-after. */
  eosAfter?: number;
  /** Drop every Nth packet (deterministic stand-in for GStreamer's drop-probability). */
  dropEvery?: number;
  /** Wait this long (ns) on the pipeline clock per packet, as GStreamer's sleep-time. */
  sleepTime?: number;
  /** Called with each packet as it passes (after any sleep), as GStreamer's handoff signal: probes, timing. */
  handoff?: (packet: T) => void;
  /**
   * Let frames through as their producer laid them out (VIDEO_META, GStreamer's allocation query passing
   * through): default true without handoff, false with it, so a handoff reading bytes sees packed planes.
   * Such frames may be a decoder's reference pictures: read them, never write them. Without a handoff the
   * element answers for what follows it (RELEASE too: it releases the packets it drops).
   */
  videoMeta?: boolean;
}

/** Passes packets through unchanged; with options, a tool for testing error, EOS, drop and delay paths. */
export function identity<T extends Packet = Packet>(options: IdentityOptions<T> = {}): Transform<T, T> {
  const { errorAfter, eosAfter, dropEvery, sleepTime, handoff } = options;
  const plain = errorAfter === undefined && eosAfter === undefined && dropEvery === undefined && !sleepTime && !handoff;
  return defineTransform<T, T>({
    factory: 'identity',
    name: options.name,
    props: { 'error-after': errorAfter, 'eos-after': eosAfter, 'drop-every': dropEvery, 'sleep-time': sleepTime },
    sinkCaps: Caps.any(),
    srcCaps: Caps.any(),
    passthrough: true,
    // A handoff may keep packets: it never answers RELEASE for what follows, only VIDEO_META if asked.
    metas: handoff ? (options.videoMeta ? [VIDEO_META] : undefined) : options.videoMeta === false ? undefined : 'forward',
    open(ctx, up): Reader<T> {
      // The plain case hands upstream's pull straight through: a hop then costs only the runtime's link.
      if (plain) return { pull: (signal) => up.pull(signal) };
      let n = 0;
      const step = (item: Pulled<T>, signal: AbortSignal): MaybePromise<Pulled<T>> => {
        if (item === EOS) return EOS;
        n++;
        if (errorAfter !== undefined && n > errorAfter) throw new Error(`error-after=${errorAfter} reached`);
        if (eosAfter !== undefined && n > eosAfter) {
          releasePacket(item);
          return EOS;
        }
        if (dropEvery !== undefined && n % dropEvery === 0) {
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
      const pull = (signal: AbortSignal): MaybePromise<Pulled<T>> => {
        const r = up.pull(signal);
        return isPromiseLike(r) ? Promise.resolve(r).then((v) => step(v, signal)) : step(r, signal);
      };
      return { pull };
    },
  });
}
