/**
 * A sans-IO RTP jitter buffer: packets in with their arrival time, packets out in sequence order.
 *
 * A packet that is next in sequence leaves at once: in-order streams pay no latency (but for the very
 * first packet, held for `latency` in case an earlier one was overtaken by it). When one is
 * missing, the packets after it wait until `latency` has passed since the earliest of them arrived; if
 * the missing one has not come by then it is declared lost and output moves on (so reordering of up to
 * `latency` in arrival time is undone, and a loss costs at most `latency` of delay). Packets arriving
 * for a place already passed are dropped as late, copies of buffered or released ones as duplicates.
 * A sequence jump beyond MAX_DROPOUT ahead or MAX_MISORDER behind is taken as a restarted sender once
 * confirmed by the packet that follows it (RFC 3550 A.1's probation).
 *
 *   jb.insert(seq, item, now); for (let o; (o = jb.nextOutput(now)); ) send(o);
 *   wait until jb.pollTimeout() (or the next arrival), then call nextOutput again.
 */
import { seqDiff } from './seq';

/** RFC 3550 A.1's limits for a plausible step of the sequence. */
export const MAX_DROPOUT = 3000;
export const MAX_MISORDER = 100;

export interface JitterBufferOptions {
  /** How long (ns) packets after a gap wait for it to be filled. */
  readonly latency: number;
  /** Capacity in packets (rounded up to a power of two, at least MAX_DROPOUT + 1); default 4096. */
  readonly capacity?: number;
  /** Counters to fill (zeroed here), so that an element can hand out one object across runs. */
  readonly counters?: JitterCounters;
}

export function newJitterCounters(): JitterCounters {
  return { received: 0, released: 0, late: 0, duplicates: 0, lost: 0, reordered: 0, resyncs: 0 };
}

export interface JitterOutput<T> {
  readonly item: T;
  readonly seq: number;
  /** Packets declared lost just before this one. */
  readonly lost: number;
  /** First output after a loss or a resynchronisation. */
  readonly discont: boolean;
}

export type InsertResult = 'queued' | 'late' | 'duplicate' | 'probation';

export interface JitterCounters {
  /** Packets inserted (every call). */
  received: number;
  /** Packets output. */
  released: number;
  /** Dropped: their place was already passed (released or declared lost). */
  late: number;
  /** Dropped: the same sequence number is buffered or was just released. */
  duplicates: number;
  /** Sequence numbers declared lost. */
  lost: number;
  /** Packets that arrived before one of a lower sequence number still missing. */
  reordered: number;
  /** Restarts of the sequence (big jumps confirmed). */
  resyncs: number;
}

interface Slot<T> {
  ext: number;
  item: T;
  arrival: number;
}

export class JitterBuffer<T> {
  readonly latency: number;
  readonly capacity: number;
  readonly counters: JitterCounters;
  private readonly mask: number;
  private readonly ring: (Slot<T> | undefined)[];
  /** Extended sequence numbers of recent releases, by slot: tells a duplicate from a late packet. */
  private readonly released: Float64Array;
  private count = 0;
  /** Extended number expected next at the output; undefined before the first packet. */
  private next: number | undefined;
  /** Highest extended number buffered or released. */
  private max = 0;
  /** Packets forced out by overflow or a resync, waiting for nextOutput. */
  private readonly ready: JitterOutput<T>[] = [];
  private lostPending = 0;
  private discontPending = false;
  /** Earliest arrival among buffered packets, while the head is missing (cached; NaN: recompute). */
  private gapSince = NaN;
  /** Clock time until which the first packets are held (an earlier one may still come); undefined once started. */
  private startUntil: number | undefined;
  /** A packet far from the sequence, kept until the next one confirms a restart. */
  private probation: { seq: number; item: T; arrival: number } | undefined;

  constructor(options: JitterBufferOptions) {
    const { latency } = options;
    if (!Number.isFinite(latency) || latency < 0) throw new RangeError(`jitter buffer latency must be ≥ 0 ns, got ${latency}`);
    this.latency = latency;
    this.counters = options.counters ? Object.assign(options.counters, newJitterCounters()) : newJitterCounters();
    const want = options.capacity ?? 4096;
    if (!(want <= 0x8000)) throw new RangeError(`jitter buffer capacity must be at most 32768 packets (half the sequence space), got ${want}`);
    let cap = 1;
    while (cap < Math.max(want, MAX_DROPOUT + 1)) cap *= 2;
    this.capacity = cap;
    this.mask = cap - 1;
    this.ring = new Array(cap);
    this.released = new Float64Array(cap).fill(-1);
  }

  /** Packets held (not yet output). */
  get length(): number {
    return this.count + this.ready.length + (this.probation ? 1 : 0);
  }

  /** Takes a packet with its 16-bit sequence number and its arrival time. */
  insert(seq: number, item: T, now: number): InsertResult {
    this.counters.received++;
    if (this.next === undefined) {
      this.start(seq);
      this.startUntil = now + this.latency;
      return this.store(seq, item, now);
    }
    // Extended relative to the highest seen, so that old packets land below it.
    const ext = this.max + seqDiff(this.max & 0xffff, seq);
    const ahead = ext - this.max;
    if (ahead > MAX_DROPOUT || ext < this.next - MAX_MISORDER) {
      const p = this.probation;
      if (p && ((p.seq + 1) & 0xffff) === seq) {
        this.probation = undefined;
        const base = this.resync(p.seq);
        this.store(base, p.item, p.arrival);
        return this.store(base + 1, item, now);
      }
      // An unconfirmed stray is dropped as out of sequence.
      if (p) this.counters.late++;
      this.probation = { seq, item, arrival: now };
      return 'probation';
    }
    if (this.probation) {
      this.probation = undefined;
      this.counters.late++;
    }
    // While starting, an earlier packet moves the start back (the ones between are then missing).
    if (this.startUntil !== undefined && ext < this.next && ext > this.max - this.capacity) {
      this.next = ext;
      this.gapSince = NaN;
    }
    if (ext < this.next) {
      if (this.released[ext & this.mask] === ext) {
        this.counters.duplicates++;
        return 'duplicate';
      }
      this.counters.late++;
      return 'late';
    }
    return this.store(ext, item, now);
  }

  /**
   * The next packet due at `now`: the next in sequence if it is here, or the first after a gap whose
   * wait is over (the gap counted in `lost`). Undefined when nothing is due yet.
   */
  nextOutput(now: number): JitterOutput<T> | undefined {
    if (this.ready.length) return this.ready.shift();
    if (this.count === 0 || this.next === undefined) return undefined;
    if (this.startUntil !== undefined) {
      if (now < this.startUntil) return undefined;
      this.startUntil = undefined;
      // The first output is the earliest that came, not a loss of what came before it.
      this.next = this.firstBuffered();
    }
    const head = this.ring[this.next & this.mask];
    if (head && head.ext === this.next) return this.release(head);
    if (now < this.gapDeadline()) return undefined;
    return this.skipToNext();
  }

  /** When nextOutput will next have something without another insert: a time (ns), or undefined. */
  pollTimeout(): number | undefined {
    if (this.ready.length) return -Infinity;
    if (this.count === 0 || this.next === undefined) return undefined;
    if (this.startUntil !== undefined) return this.startUntil;
    const head = this.ring[this.next & this.mask];
    if (head && head.ext === this.next) return -Infinity;
    return this.gapDeadline();
  }

  /** Everything buffered, in order, gaps counted as lost (end of stream). */
  drain(): JitterOutput<T>[] {
    const out = this.ready.splice(0);
    if (this.startUntil !== undefined && this.count > 0) this.next = this.firstBuffered();
    this.startUntil = undefined;
    while (this.count > 0) out.push(this.skipToNext());
    const p = this.probation;
    if (p) {
      this.probation = undefined;
      out.push({ item: p.item, seq: p.seq, lost: 0, discont: true });
      this.counters.released++;
    }
    return out;
  }

  private firstBuffered(): number {
    for (let e = this.next!; ; e++) {
      const s = this.ring[e & this.mask];
      if (s && s.ext === e) return e;
    }
  }

  private start(seq: number): void {
    this.next = seq;
    this.max = seq;
  }

  private store(ext: number, item: T, now: number): InsertResult {
    const i = ext & this.mask;
    const cur = this.ring[i];
    if (cur && cur.ext === ext) {
      this.counters.duplicates++;
      return 'duplicate';
    }
    // Room: the window [next, next + capacity) must hold ext; older packets are forced out.
    while (ext - this.next! >= this.capacity) {
      if (this.count === 0) {
        this.lostPending += ext - this.capacity + 1 - this.next!;
        this.counters.lost += ext - this.capacity + 1 - this.next!;
        this.next = ext - this.capacity + 1;
        this.discontPending = true;
        break;
      }
      this.ready.push(this.skipToNext());
    }
    if (ext > this.max) this.max = ext;
    else if (ext < this.max) {
      this.counters.reordered++;
    }
    this.ring[i] = { ext, item, arrival: now };
    if (this.count === 0 || now < this.gapSince) this.gapSince = now;
    this.count++;
    return 'queued';
  }

  private gapDeadline(): number {
    if (Number.isNaN(this.gapSince)) {
      let min = Infinity;
      for (let e = this.next!; e <= this.max; e++) {
        const s = this.ring[e & this.mask];
        if (s && s.ext === e && s.arrival < min) min = s.arrival;
      }
      this.gapSince = min;
    }
    return this.gapSince + this.latency;
  }

  private release(s: Slot<T>): JitterOutput<T> {
    const i = s.ext & this.mask;
    this.ring[i] = undefined;
    this.released[i] = s.ext;
    this.count--;
    this.next = s.ext + 1;
    this.counters.released++;
    // The earliest arrival may have been this one: recomputed when a gap needs it.
    this.gapSince = NaN;
    const out: JitterOutput<T> = { item: s.item, seq: s.ext & 0xffff, lost: this.lostPending, discont: this.discontPending || this.lostPending > 0 };
    this.lostPending = 0;
    this.discontPending = false;
    return out;
  }

  /** Declares the missing ones before the first buffered packet lost and releases that packet. */
  private skipToNext(): JitterOutput<T> {
    let e = this.next!;
    for (;;) {
      const s = this.ring[e & this.mask];
      if (s && s.ext === e) {
        const missing = e - this.next!;
        this.lostPending += missing;
        this.counters.lost += missing;
        return this.release(s);
      }
      e++;
    }
  }

  /**
   * A confirmed restart at `seq`: what is buffered goes out first, in order, then the sequence starts over,
   * numbered well above everything before (so that no old number is taken for a new one). Returns its number.
   */
  private resync(seq: number): number {
    this.counters.resyncs++;
    while (this.count > 0) this.ready.push(this.skipToNext());
    const ext = (Math.floor(this.max / 0x10000) + 2) * 0x10000 + seq;
    this.start(ext);
    this.gapSince = NaN;
    this.lostPending = 0;
    this.discontPending = true;
    return ext;
  }
}
