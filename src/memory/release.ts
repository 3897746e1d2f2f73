import type { Packet } from '../packet';
import type { CpuMemory } from './memory';

/**
 * Early release of CPU frames: GStreamer's buffer pools with their reference counts, reduced to what a
 * garbage-collected runtime needs. Without it a decoder's frame goes back to the codec only when the
 * garbage collector finds its last JS reference, and the engine, which sees megabytes of new memory per
 * frame, collects often to find them. With it the last holder says so and the codec reuses the buffer at once.
 *
 * `RELEASE` is an answer to the allocation query (see `ctx.downstreamMetas`), like VIDEO_META. An element
 * declares it when it keeps no reference to a packet once done with it and says so: a sink the runtime
 * releases for after `write` settles (fakeSink without a callback), a transform that consumes frames
 * releases each after use (h264Enc, tensorPreprocess, wgpuPreprocess), and `'forward'` elements (queue,
 * capsFilter, identity) hand packets on and release those they drop. A tee retains one reference per
 * extra branch. A producer leases its memory (`leasedMemory`) only when RELEASE comes back from everything
 * after it; every other pipeline keeps the garbage collector's timing.
 *
 * A packet released and still read shows whatever frame the buffer holds next (never freed memory: the
 * producer keeps the bytes allocated while any JS reference lives), so an element that keeps frames
 * (a jitter buffer, a "last frame" probe) simply does not declare RELEASE.
 */
export const RELEASE = 'Release';

/** CPU memory whose bytes go back to their producer when every holder has released it. */
export interface LeasedCpuMemory extends CpuMemory {
  /** One more holder (a tee branch); each holder releases once. */
  retain(): void;
  /** This holder is done with the bytes; the last release gives them back. */
  release(): void;
}

/**
 * CPU memory held once; `giveBack` runs when the holders' releases balance the first hold and every
 * `retain` (once: later releases do nothing, and reading the bytes after it shows newer data).
 */
export function leasedMemory(data: Uint8Array, giveBack: () => void): LeasedCpuMemory {
  let holders = 1;
  return {
    domain: 'cpu',
    data,
    retain() {
      if (holders > 0) holders++;
    },
    release() {
      if (holders > 0 && --holders === 0) giveBack();
    },
  };
}

function leased(m: Packet['memory']): LeasedCpuMemory | undefined {
  return m.domain === 'cpu' && typeof (m as Partial<LeasedCpuMemory>).release === 'function' ? (m as LeasedCpuMemory) : undefined;
}

/** The holder of `item` is done with it (consumed, or dropped); a no-op for anything not leased. */
export function releasePacket(item: unknown): void {
  const m = (item as Partial<Packet> | undefined)?.memory;
  if (m) leased(m)?.release();
}

/**
 * `item` is dropped on its way (late at a sink, overflow in a leaky buffer, pushed after the end): nobody
 * will consume it, so what it owns goes now — leased bytes back to their producer, a WebCodecs VideoFrame
 * closed (its decoder's surfaces are few: an unclosed frame stalls decoding until the garbage collector).
 */
export function discardPacket(item: unknown): void {
  const m = (item as Partial<Packet> | undefined)?.memory;
  if (!m) return;
  if (m.domain === 'videoframe') m.frame.close();
  else leased(m)?.release();
}

/** `holders` more references to `p`'s memory, when it is leased (a tee's extra branches). */
export function retainPacket(p: Packet, holders: number): void {
  const m = leased(p.memory);
  for (let k = 0; m && k < holders; k++) m.retain();
}
