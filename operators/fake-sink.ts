import { Caps } from '../src/caps';
import { defineElement, prop, type ElementOptions } from '../src/descriptor';
import { defineSink, type Sink } from '../src/operator';
import type { Packet } from '../src/packet';
import { VIDEO_META } from '../src/video/meta';
import { RELEASE } from '../src/memory/release';
import type { MaybePromise } from '../src/util/promise';

/** Options that are not properties (never in launch syntax). */
export interface FakeSinkExtras<T extends Packet> {
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

export const FAKE_SINK = defineElement({
  name: 'fakeSink',
  kind: 'sink',
  description: 'Swallows packets (GStreamer fakesink)',
  caps: { sink: Caps.any() },
  notes: 'Without onPacket it answers VIDEO_META and RELEASE (it reads and keeps nothing); with onPacket, only what the options say.',
  properties: {
    sync: prop.boolean({ defaultDoc: "the profile's (false in both built-in profiles)", doc: "Wait for each packet's presentation time on the clock" }),
    dropLate: prop.boolean({ default: true, doc: 'Drop packets older than the live profile deadline' }),
  },
  build(s, x: FakeSinkExtras<any>) {
    const { onPacket, onEos } = x;
    return defineSink<Packet>({
      sinkCaps: Caps.any(),
      sync: s.sync,
      metas: [...(x.videoMeta ?? !onPacket ? [VIDEO_META] : []), ...(x.release ?? !onPacket ? [RELEASE] : [])],
      dropLate: s.dropLate,
      open: () => ({
        write: onPacket ? (p: Packet) => onPacket(p) : () => undefined,
        end: () => onEos?.(),
      }),
    });
  },
});

export type FakeSinkOptions<T extends Packet = Packet> = Omit<ElementOptions<typeof FAKE_SINK>, keyof FakeSinkExtras<T>> & FakeSinkExtras<T>;

/** Swallows packets, as GStreamer's fakesink; the handoff callback makes it a test probe. */
export const fakeSink = <T extends Packet = Packet>(options: FakeSinkOptions<T> = {}): Sink<T> => FAKE_SINK.create(options);
