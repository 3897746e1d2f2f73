import type { Caps } from './caps';
import type { CpuMemory, Memory } from './memory/memory';
import { NO_MEMORY } from './memory/memory';

/** Packet flags, a bit set as GStreamer's buffer flags. */
export const PacketFlags = {
  NONE: 0,
  /** A random-access point (an IDR access unit, a raw frame). */
  KEYFRAME: 1 << 0,
  /** Data before this packet was lost or skipped: timestamps and state are not continuous. */
  DISCONT: 1 << 1,
  /** The payload is known damaged (concealed, partial); consumers decide whether to use it. */
  CORRUPT: 1 << 2,
  /** Codec configuration (SPS/PPS, headers) rather than media. */
  HEADER: 1 << 3,
  /** No data for this interval (a gap), the payload is empty. */
  GAP: 1 << 4,
  /** Can be dropped without affecting decoding of others. */
  DROPPABLE: 1 << 5,
  /** End of a logical unit (RTP marker, last slice of a frame). */
  MARKER: 1 << 6,
} as const;

/** Per-element timing, recorded only when a pipeline runs with `trace: true`. */
export interface TraceEntry {
  readonly element: string;
  readonly time: number;
}

export interface PacketMeta {
  /** Clock time (ns) at which the content was captured: the start of glass-to-glass latency. */
  readonly captureTime?: number;
  readonly trace?: readonly TraceEntry[];
  readonly [key: string]: unknown;
}

export const EMPTY_META: PacketMeta = Object.freeze({});

/**
 * The unit that flows through a pipeline. Packets are immutable by convention: an element that changes
 * one makes a new one (`withPacket`), so a tee can hand the same packet to every branch without copies.
 * Times are integer nanoseconds (see time.ts); `undefined` means unknown, as GST_CLOCK_TIME_NONE.
 */
export interface Packet<M extends Memory = Memory> {
  /** Fixed caps describing the payload. Packets of one stream share one Caps object until it changes. */
  readonly caps: Caps;
  readonly pts: number | undefined;
  readonly dts: number | undefined;
  readonly duration: number | undefined;
  readonly flags: number;
  readonly memory: M;
  readonly meta: PacketMeta;
}

export type CpuPacket = Packet<CpuMemory>;

export function packet<M extends Memory = Memory>(init: {
  caps: Caps;
  memory?: M;
  pts?: number;
  dts?: number;
  duration?: number;
  flags?: number;
  meta?: PacketMeta;
}): Packet<M> {
  return {
    caps: init.caps,
    pts: init.pts,
    dts: init.dts,
    duration: init.duration,
    flags: init.flags ?? 0,
    memory: (init.memory ?? NO_MEMORY) as M,
    meta: init.meta ?? EMPTY_META,
  };
}

/**
 * A copy of `p` with some fields replaced (shallow: the payload is shared, never copied). New memory
 * without new meta drops a video meta: it described the old buffer's planes.
 */
export function withPacket<M extends Memory, N extends Memory = M>(
  p: Packet<M>,
  changes: Partial<Omit<Packet<N>, 'meta'>> & { meta?: PacketMeta },
): Packet<N> {
  const out = { ...(p as unknown as Packet<N>), ...changes };
  if (changes.memory !== undefined && changes.meta === undefined && p.meta.videoMeta !== undefined) {
    const { videoMeta: _, ...meta } = p.meta;
    out.meta = meta;
  }
  return out;
}

export function hasFlag(p: Packet, flag: number): boolean {
  return (p.flags & flag) !== 0;
}
