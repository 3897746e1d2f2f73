import { Caps } from '../src/caps';
import { defineSink, type Sink } from '../src/operator';
import type { Packet } from '../src/packet';
import { VIDEO_META } from '../src/video/meta';
import { RELEASE } from '../src/memory/release';
import type { MaybePromise } from '../src/util/promise';

export interface FakeSinkOptions<T extends Packet> {
  name?: string;
  /** Wait for each packet's presentation time (GStreamer's sync); default: the profile's. */
  sync?: boolean;
  /** Drop packets older than the live deadline; default true. */
  dropLate?: boolean;
  /** Called with every packet (GStreamer's handoff signal); may return a promise to slow the sink. */
  onPacket?: (packet: T) => MaybePromise<void>;
  /** Called once at end-of-stream. */
  onEos?: () => void;
  /**
   * Take frames as their producer laid them out (VIDEO_META: planes at `packet.meta.videoMeta`'s offsets
   * and strides) rather than tightly packed. Default: true without onPacket (nothing reads the bytes),
   * false with it, so that a callback reading `memory.data` sees packed planes unless it says otherwise.
   * Such frames may be a decoder's reference pictures: read them, never write them.
   */
  videoMeta?: boolean;
  /**
   * The sink keeps no packet once onPacket returns (or its promise settles), so a producer may recycle the
   * memory then (RELEASE). Default: true without onPacket, false with it (a callback may keep packets).
   */
  release?: boolean;
}

/** Swallows packets, as GStreamer's fakesink; the handoff callback makes it a test probe. */
export function fakeSink<T extends Packet = Packet>(options: FakeSinkOptions<T> = {}): Sink<T> {
  const { onPacket, onEos } = options;
  return defineSink<T>({
    factory: 'fakeSink',
    name: options.name,
    props: { sync: options.sync },
    sinkCaps: Caps.any(),
    sync: options.sync,
    metas: [...((options.videoMeta ?? !onPacket) ? [VIDEO_META] : []), ...((options.release ?? !onPacket) ? [RELEASE] : [])],
    dropLate: options.dropLate,
    open: () => ({
      write: onPacket ? (p: T) => onPacket(p) : () => undefined,
      end: () => onEos?.(),
    }),
  });
}
