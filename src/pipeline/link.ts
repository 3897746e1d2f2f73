import type { Caps } from '../caps';
import { hostTimers } from '../clock/host';
import { EOS, type Pulled, type Reader } from '../element';
import type { Packet } from '../packet';
import { isAbortError } from '../util/abort';
import { isPromiseLike, type MaybePromise } from '../util/promise';
import { ElementError, NegotiationError } from './errors';
import type { Instance } from './instance';
import { checkRenegotiation } from './negotiate';

/** Processing time is sampled (one pull in SAMPLE_MASK + 1): two host clock reads cost more than a hop. */
const SAMPLE_MASK = 255;

export interface LinkHooks {
  readonly eosRequested: boolean;
  /** Resolves when a graceful end-of-stream is asked for; a source waiting on data ends then. */
  readonly eosPromise: Promise<typeof EOS>;
  /** Stamp per-element timing into packet meta. */
  readonly trace: boolean;
  /** Told the caps of each link's first packet and of every change (gst-launch -v): fixed caps, as they flow. */
  readonly onCaps: ((from: string, to: string, caps: Caps) => void) | undefined;
}

/**
 * The runtime's view of one hop, between `up` (the producer) and `down` (the consumer). It is the only
 * wrapper on the hot path and does four cheap things per packet: counts it, remembers it (so an error
 * can name the packet), checks its caps by reference (renegotiating when they change), and samples
 * processing time. Errors from the producer are named after it and the pts of its input.
 */
export class Link implements Reader<Packet> {
  last: Packet | undefined;
  /** Set while this link times a pull, so the link upstream adds its time to `childTime`. */
  measuring = false;
  childTime = 0;
  private n = 0;
  private caps: Caps | undefined;
  private readonly knownCaps: Caps[] = [];
  downstream: Link | undefined;
  /** Links out of a plain source end the stream when a graceful EOS is asked for. */
  private readonly fromSource: boolean;
  /** The first packet's caps are still to be told to `hooks.onCaps`. */
  private unannounced: boolean;
  /** Resolves the pending source pull with EOS when a graceful end is asked for (see orEos). */
  private pendingEos: ((v: typeof EOS) => void) | undefined;
  private eosHooked = false;

  constructor(
    private readonly inner: Reader<Packet>,
    readonly up: Instance,
    /** The link feeding `up`, whose last packet is what `up` was working on. */
    readonly upstream: Link | undefined,
    readonly down: Instance,
    private readonly hooks: LinkHooks
  ) {
    this.caps = up.outputCaps;
    if (upstream) upstream.downstream = this;
    this.fromSource = up.el.kind === 'source' && !up.el.inputs;
    this.unannounced = hooks.onCaps !== undefined;
  }

  pull(signal: AbortSignal): MaybePromise<Pulled<Packet>> {
    const isSource = this.fromSource;
    if (isSource && this.hooks.eosRequested) return EOS;
    const timed = (++this.n & SAMPLE_MASK) === 0 || (this.downstream?.measuring ?? false);
    if (timed) return this.timedPull(signal);
    let r: MaybePromise<Pulled<Packet>>;
    try {
      r = this.inner.pull(signal);
    } catch (e) {
      throw this.wrap(e);
    }
    if (isPromiseLike(r)) {
      const p = Promise.resolve(r).then(this.accept, this.reject);
      return isSource ? this.orEos(p) : p;
    }
    return this.accept(r);
  }

  /**
   * The pull, or EOS as soon as a graceful end is asked for (a live source may wait long for its next
   * packet). Not Promise.race with the run's EOS promise: that promise stays pending all run, and every
   * race would leave a reaction on it holding its packet until the run ends (a frame per pull). One
   * reaction per link, and a resolver dropped once the pull settles.
   */
  private orEos(p: Promise<Pulled<Packet>>): Promise<Pulled<Packet>> {
    if (!this.eosHooked) {
      this.eosHooked = true;
      void this.hooks.eosPromise.then(() => this.pendingEos?.(EOS));
    }
    return new Promise<Pulled<Packet>>((resolve, reject) => {
      this.pendingEos = resolve;
      p.then(
        (v) => {
          if (this.pendingEos === resolve) this.pendingEos = undefined;
          resolve(v);
        },
        (e: unknown) => {
          if (this.pendingEos === resolve) this.pendingEos = undefined;
          reject(e);
        }
      );
    });
  }

  private timedPull(signal: AbortSignal): MaybePromise<Pulled<Packet>> {
    const t0 = hostTimers.now();
    this.measuring = true;
    this.childTime = 0;
    const done = (record = true): void => {
      this.measuring = false;
      const dt = (hostTimers.now() - t0) * 1e6;
      if (record) this.up.report.processing.record(dt - this.childTime);
      const parent = this.downstream;
      if (parent?.measuring) parent.childTime += dt;
    };
    let r: MaybePromise<Pulled<Packet>>;
    try {
      r = this.inner.pull(signal);
    } catch (e) {
      done();
      throw this.wrap(e);
    }
    if (isPromiseLike(r)) {
      // A source that answers later is waiting for data (clock, network), not working: not processing time.
      // It still counts as upstream time for the element that pulled it.
      if (this.fromSource) {
        return Promise.resolve(r).then(
          (v) => {
            done(false);
            return this.accept(v);
          },
          (e) => {
            done(false);
            return this.reject(e);
          }
        );
      }
      return Promise.resolve(r).then(
        (v) => {
          done();
          return this.accept(v);
        },
        (e) => {
          done();
          return this.reject(e);
        }
      );
    }
    done();
    return this.accept(r);
  }

  private readonly accept = (item: Pulled<Packet>): Pulled<Packet> => {
    if (item === EOS) return item;
    if (this.hooks.trace) item = this.stamp(item);
    this.down.report.packets++;
    if (this.fromSource) this.up.report.packets++;
    this.last = item;
    if (item.caps !== this.caps) this.changeCaps(item.caps);
    else if (this.unannounced) this.announce(item.caps);
    return item;
  };

  private announce(caps: Caps): void {
    this.unannounced = false;
    this.hooks.onCaps?.(this.up.name, this.down.name, caps);
  }

  private stamp(item: Packet): Packet {
    const entry = { element: this.up.name, time: this.up.clock.now() };
    return { ...item, meta: { ...item.meta, trace: [...(item.meta.trace ?? []), entry] } };
  }

  private readonly reject = (e: unknown): never => {
    throw this.wrap(e);
  };

  private wrap(e: unknown): unknown {
    const signal = this.up.signal;
    if (e instanceof ElementError || e instanceof NegotiationError || isAbortError(e) || (signal.aborted && e === signal.reason)) return e;
    return new ElementError(this.up.name, this.upstream?.last?.pts, e);
  }

  /** A packet arrived with other caps than the last: renegotiate (mid-stream format change). */
  private changeCaps(caps: Caps): void {
    if (this.hooks.onCaps) this.announce(caps);
    if (this.knownCaps.includes(caps)) {
      this.caps = caps;
      return;
    }
    const accepted = this.down.accept;
    if (accepted) {
      const why = checkRenegotiation(caps, accepted);
      if (why) throw new NegotiationError(this.up.name, this.down.name, why, 'renegotiation failed (caps changed mid-stream)');
    }
    if (this.knownCaps.length === 4) this.knownCaps.shift();
    this.knownCaps.push(caps);
    this.caps = caps;
    const down = this.down;
    down.inputCaps = caps;
    const el = down.el;
    if (el.kind === 'transform') {
      if (el.outputCaps) down.outputCaps = el.outputCaps(caps, down.allowed ?? caps);
      else if (el.passthrough) down.outputCaps = caps;
    }
  }
}
