import { Caps } from '../src/caps';
import { defineSink, type Sink } from '../src/operator';
import type { Packet } from '../src/packet';
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
    dropLate: options.dropLate,
    open: () => ({
      write: onPacket ? (p: T) => onPacket(p) : () => undefined,
      end: () => onEos?.(),
    }),
  });
}
