import type { Packet } from '../packet';

/**
 * The batching rules of `streamMux` (DeepStream's nvstreammux), as pure state over time: N sources offer
 * frames; a batch holds up to `batchSize` of them, at most `maxSameSource` from one source, taken round-robin
 * so that one fast source cannot crowd the others out; it is ready when full, when `timeout` has passed since
 * its first frame went in, or when every source has ended. A source may be limited to `maxFps` (frames closer
 * than 1/maxFps by pts to its last accepted one are dropped, counted). Frames that do not fit wait, in order,
 * for the next batch: none is lost or duplicated, each source's order is kept. Sources may be added and
 * removed while it runs (`addSource`, `remove`); a removed source's unsent frames are flushed or dropped.
 */

export interface BatchSlot<T extends Packet = Packet> {
  /** The index of the source (the mux's input) this frame came from. */
  readonly source: number;
  readonly packet: T;
}

export interface BatcherOptions {
  readonly batchSize: number;
  /** ns from the first frame of a batch to its push even when not full. */
  readonly timeout: number;
  readonly maxSameSource: number;
  /** Frames per second a source may contribute at most (0: no limit). */
  readonly maxFps: number;
}

export class Batcher<T extends Packet = Packet> {
  private readonly pending: T[][] = [];
  private readonly lastPts: (number | undefined)[] = [];
  private readonly ended: boolean[] = [];
  private batch: BatchSlot<T>[] = [];
  /** When the current batch's first frame went in (ns); undefined while it is empty. */
  private started: number | undefined;
  /** Round-robin start, so each batch begins with the source after the one that began the last. */
  private next = 0;
  /** Frames dropped by the frame-rate limit, per source. */
  readonly fpsDrops: number[] = [];

  constructor(private readonly o: BatcherOptions) {
    if (o.batchSize < 1 || o.maxSameSource < 1) throw new RangeError('batch-size and max-same-source-frames must be ≥ 1');
  }

  /** Adds a source; returns its index. */
  addSource(): number {
    this.pending.push([]);
    this.lastPts.push(undefined);
    this.ended.push(false);
    this.fpsDrops.push(0);
    return this.pending.length - 1;
  }

  get sources(): number {
    return this.pending.length;
  }

  /** A frame from `source`: false when the frame-rate limit dropped it. */
  offer(source: number, p: T): boolean {
    const last = this.lastPts[source];
    if (this.o.maxFps > 0 && last !== undefined && p.pts !== undefined && p.pts - last < 1e9 / this.o.maxFps - 1e3) {
      this.fpsDrops[source]++;
      return false;
    }
    if (p.pts !== undefined) this.lastPts[source] = p.pts;
    this.pending[source].push(p);
    return true;
  }

  /** The source ended (EOS, or removed after a failure): what it already gave still goes out. */
  end(source: number): void {
    this.ended[source] = true;
  }

  /**
   * Removes `source` at run time: it gives no more frames, and those it gave that no batch has pushed yet
   * either still go out by the usual rules ('flush') or leave now, returned to be counted and released
   * ('drop'; those already in the batch being filled included).
   */
  remove(source: number, pending: 'flush' | 'drop'): T[] {
    this.ended[source] = true;
    if (pending === 'flush') return [];
    const dropped = this.batch.filter((b) => b.source === source).map((b) => b.packet);
    dropped.push(...this.pending[source]);
    this.pending[source] = [];
    this.batch = this.batch.filter((b) => b.source !== source);
    // The batch keeps its start (its deadline can only come early) unless it is now empty.
    if (this.batch.length === 0) this.started = undefined;
    return dropped;
  }

  /** Frames of `source` that no batch has pushed yet (waiting, or in the batch being filled). */
  unsent(source: number): number {
    return this.pending[source].length + this.batch.filter((b) => b.source === source).length;
  }

  isEnded(source: number): boolean {
    return this.ended[source];
  }

  /** Frames of `source` waiting for a batch: a mux pulls a source only while this is 0 (backpressure). */
  waiting(source: number): number {
    return this.pending[source].length;
  }

  /** Moves waiting frames into the batch, round-robin, within the batch's limits. */
  fill(now: number): void {
    const n = this.pending.length;
    const per = (s: number) => this.batch.filter((b) => b.source === s).length;
    let moved = true;
    while (moved && this.batch.length < this.o.batchSize) {
      moved = false;
      for (let i = 0; i < n && this.batch.length < this.o.batchSize; i++) {
        const s = (this.next + i) % n;
        if (this.pending[s].length === 0 || per(s) >= this.o.maxSameSource) continue;
        if (this.batch.length === 0) this.started = now;
        this.batch.push({ source: s, packet: this.pending[s].shift()! });
        moved = true;
      }
    }
  }

  /** When the current batch must go even if not full; undefined while it is empty. */
  get deadline(): number | undefined {
    return this.started === undefined ? undefined : this.started + this.o.timeout;
  }

  /** Every source ended and nothing waits. */
  get drained(): boolean {
    return this.ended.every((e) => e) && this.pending.every((q) => q.length === 0) && this.batch.length === 0;
  }

  /** The batch, if it is ready now (full, past its deadline, or the last one). */
  take(now: number): BatchSlot<T>[] | undefined {
    if (this.batch.length === 0) return undefined;
    const full = this.batch.length >= this.o.batchSize;
    // Nothing more can come into it: every source has ended or has all it may give in this batch.
    const stuck = this.ended.every((e, s) => e && this.pending[s].length === 0);
    if (!full && !stuck && now < this.deadline!) return undefined;
    const out = this.batch;
    this.next = (out[0].source + 1) % this.pending.length;
    // Slots in source order (each source's frames keep theirs): the round-robin decides who gets in, not where.
    out.sort((a, b) => a.source - b.source);
    this.batch = [];
    this.started = undefined;
    return out;
  }
}
