import { Caps } from '../caps';
import { packet, type Packet } from '../packet';
import type { BatchSlot } from './batcher';

/** What streamMux produces: no payload of its own; the frames, each with its source, in `meta.batch`. */
export const BATCH_CAPS = Caps.parse('application/x-g2g-batch');

export type BatchPacket<T extends Packet = Packet> = Packet & { readonly meta: { readonly batch: readonly BatchSlot<T>[] } };

/** The frames of a batch packet (empty for any other packet). */
export const batchOf = <T extends Packet = Packet>(p: Packet): readonly BatchSlot<T>[] => (p.meta.batch as readonly BatchSlot<T>[] | undefined) ?? [];

/** Whether a packet is a batch (its caps are BATCH_CAPS' media type). */
export const isBatch = (p: Packet): boolean => p.caps.mediaType === BATCH_CAPS.mediaType;

/** A batch packet of `slots`: its pts and capture time the earliest of its frames'. */
export function batchPacket<T extends Packet>(slots: readonly BatchSlot<T>[], caps: Caps = BATCH_CAPS): BatchPacket<T> {
  const first = (f: (p: Packet) => number | undefined) =>
    slots.reduce<number | undefined>((m, x) => {
      const v = f(x.packet);
      return v === undefined ? m : m === undefined ? v : Math.min(m, v);
    }, undefined);
  const capture = first((p) => p.meta.captureTime);
  return packet({ caps, pts: first((p) => p.pts), meta: { batch: slots, ...(capture === undefined ? {} : { captureTime: capture }) } }) as BatchPacket<T>;
}
