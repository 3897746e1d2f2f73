import { Caps } from '../../../src/caps';
import { EOS, type ElementContext, type Pulled, type Reader } from '../../../src/element';
import { cpuMemory, type CpuMemory } from '../../../src/memory/memory';
import { EMPTY_META, type Packet, type PacketMeta } from '../../../src/packet';
import { ElementError, NegotiationError } from '../../../src/pipeline/errors';
import { isPromiseLike, type MaybePromise } from '../../../src/util/promise';
import type { GstBinding, GstFragment } from './addon';

/** Flags the addon adds to a sample's flags (beside PacketFlags' bits). */
const COPIED = 1 << 16;
const CAPS_CHANGED = 1 << 17;
const OUR_FLAGS = 0xffff;
/** How long one wait on the libuv pool lasts before the reader looks at its signal again. */
const WAIT_MS = 100;
/** Input metas (capture time) kept for outputs not yet out, by pts. */
const SIDE_TABLE = 256;

/** An error GStreamer posted on the fragment's bus: names the inner element (`x264enc0`). */
export class GstBusError extends Error {
  override readonly name = 'GstBusError';
  /** The GStreamer element that posted it, when the message names one. */
  readonly gstElement: string | undefined;
  constructor(message: string) {
    super(`GStreamer ${message}`);
    this.gstElement = /^([^:\s]+)/.exec(message)?.[1];
  }
}

/** Fields GStreamer types as buffers (glass2glass: lowercase hex strings) and as unsigned ints (glass2glass: int). */
const BUFFER_FIELDS = ['codec_data', 'streamheader'];
const UINT_FIELDS = ['bit-depth-luma', 'bit-depth-chroma'];

/**
 * glass2glass caps as GStreamer reads them: the same string syntax, ANY/EMPTY spelled as GStreamer does,
 * codec_data as (buffer), the bit depths as (uint) (GStreamer's int and uint never intersect).
 */
export function toGstCaps(c: Caps): string {
  if (c.isAny) return 'ANY';
  if (c.isEmpty()) return 'EMPTY';
  let text = c.toString();
  for (const f of BUFFER_FIELDS) text = text.replaceAll(`${f}=(string)`, `${f}=(buffer)`);
  for (const f of UINT_FIELDS) text = text.replaceAll(`${f}=(int)`, `${f}=(uint)`);
  return text;
}

/**
 * GStreamer caps text as glass2glass caps: (buffer) as hex strings, (uint) as int; fields of types glass2glass
 * lacks (flag sets, `(GstVideoMultiviewFlagsSet)…`) are dropped rather than the caps; text that still does not
 * parse is ANY (the bridge then passes GStreamer's own caps on unchecked).
 */
export function fromGstCaps(text: string): Caps {
  const mapped = text.replace(/=\(buffer\)/g, '=(string)').replace(/=\(uint\)/g, '=(int)');
  try {
    return Caps.parse(mapped);
  } catch {
    const cleaned = mapped.replace(/,\s*[\w-]+=\(Gst\w+\)[^,;]*/g, '');
    try {
      return Caps.parse(cleaned);
    } catch {
      return Caps.any();
    }
  }
}

/**
 * What a fragment takes, as glass2glass's negotiation reads it: GStreamer's answer without its range fields
 * (`width=(int)[ 16, 2147483647 ]`). GStreamer intersects caps, where an absent field matches any range;
 * glass2glass asks a fixed input to be a subset, so a source that does not state a size (h264Parse before
 * its SPS) would fail against mp4mux's size range although GStreamer takes it. Lists and fixed values stay:
 * they are what upstream converts to. A value outside a dropped range is GStreamer's to refuse, at the first
 * buffer, as a bus error naming the element.
 */
export function acceptedCaps(text: string): Caps {
  return fromGstCaps(text.replace(/,\s*[\w-]+=\((?:int|fraction|double)\)\[[^\]]*\]/g, ''));
}

/** The failed-negotiation error: names the GStreamer element that can take or make nothing, when one can. */
export function negotiationError(bridge: string, fragment: GstFragment, allowed: string | undefined, what: string, detail: string): NegotiationError {
  const culprit = fragment.culprit(allowed);
  const where = culprit ? `GStreamer element ${culprit} in ${bridge}` : `${bridge}'s fragment`;
  return new NegotiationError(what, where, [detail], culprit ? `nothing allowed gets past ${culprit}` : 'the fragment takes none of these caps');
}

/** Keeps the metas (capture time) of the packets fed in, by pts, for the packets that come out. */
export class SideTable {
  private readonly byPts = new Map<number, PacketMeta>();

  put(p: Packet): void {
    if (p.pts === undefined || p.meta === EMPTY_META) return;
    this.byPts.set(p.pts, p.meta);
    if (this.byPts.size > SIDE_TABLE) this.byPts.delete(this.byPts.keys().next().value as number);
  }

  /** The meta of the input with this pts; else of the latest input before it (a rate change, a resample). */
  take(pts: number | undefined): PacketMeta {
    if (pts === undefined || this.byPts.size === 0) return EMPTY_META;
    const exact = this.byPts.get(pts);
    if (exact !== undefined) {
      this.byPts.delete(pts);
      return exact;
    }
    let best: number | undefined;
    for (const k of this.byPts.keys()) if (k <= pts && (best === undefined || k > best)) best = k;
    return best === undefined ? EMPTY_META : (this.byPts.get(best) as PacketMeta);
  }
}

/**
 * Payloads lent to GStreamer without a copy, by id, held here (so V8 keeps their memory) until GStreamer has
 * dropped the GstBuffer wrapping them: its ids come back in any later push's answer (or `takeReleased()`),
 * process-wide, since a passthrough fragment hands our very buffer out and the packet made of it may outlive
 * the fragment. A lent payload must not be detached (transferred) while GStreamer holds it; packets are
 * immutable, and GStreamer sees the memory read-only (an element writing in place copies it first).
 */
const lent = new Map<number, Uint8Array>();
let nextLend = 0;

/** Holds `data` for GStreamer: the id to pass to `GstFragment.push`, whose answers give it back. */
export function lend(data: Uint8Array): number {
  const id = nextLend;
  nextLend = (nextLend + 1) & 0x7fffffff;
  lent.set(id, data);
  return id;
}

/** Lets go of the payloads GStreamer has dropped (the ids a push answered, or `takeReleased()`'s). */
export function returned(ids: readonly number[]): void {
  for (const id of ids) lent.delete(id);
}

/** Lent payloads GStreamer still holds (tests: none once every run is over and its packets collected). */
export function lentCount(addon?: GstBinding): number {
  if (addon) returned(addon.takeReleased());
  return lent.size;
}

/** Hands a packet to the fragment's appsrc: its bytes lent to GStreamer, no copy. */
export function pushPacket(ctx: ElementContext, fragment: GstFragment, p: Packet, lastCaps: { caps?: Caps }): void {
  if (p.caps !== lastCaps.caps) {
    if (lastCaps.caps !== undefined && !p.caps.equals(lastCaps.caps)) fragment.setInputCaps(toGstCaps(p.caps));
    lastCaps.caps = p.caps;
  }
  if (p.memory.domain !== 'cpu' && p.memory.domain !== 'none') throw new TypeError(`the GStreamer bridge takes CPU memory, not ${p.memory.domain}`);
  const data = p.memory.domain === 'cpu' ? p.memory.data : EMPTY_BYTES;
  const id = data.byteLength > 0 ? lend(data) : -1;
  // A refused buffer (push throws) was dropped by GStreamer: its id is on the released list already. The
  // refusal carries the bus error that stopped the streaming thread, when one came.
  let back: number[];
  try {
    back = fragment.push(data, p.pts ?? -1, p.dts ?? -1, p.duration ?? -1, p.flags, id);
  } catch (e) {
    throw new GstBusError(e instanceof Error ? e.message : String(e));
  }
  if (back.length > 0) returned(back);
}

const EMPTY_BYTES = new Uint8Array(0);

const time = (v: number): number | undefined => (v < 0 ? undefined : v);

/**
 * Reads the fragment's appsink (gstBin, gstSrc): takes queued samples synchronously, feeds the appsrc from
 * `up` while it has room, and waits on the libuv pool (never on the JS thread) when it can do neither. The
 * fragment goes to NULL at close, on every path.
 */
export function fragmentReader(
  ctx: ElementContext,
  fragment: GstFragment,
  up: Reader<Packet> | undefined,
  stamp: (meta: PacketMeta, pts: number | undefined) => PacketMeta
): Reader<Packet<CpuMemory>> {
  const metaOut = new Float64Array(4);
  let caps: Caps | undefined;
  let inputEnded = up === undefined;
  const inputCaps: { caps?: Caps } = { caps: ctx.inputCaps };
  let closed = false;

  const take = (): Packet<CpuMemory> | undefined => {
    let data: Buffer | null;
    try {
      data = fragment.tryPull(metaOut);
    } catch (e) {
      throw new GstBusError(e instanceof Error ? e.message : String(e));
    }
    if (data === null) return undefined;
    const flags = metaOut[3];
    if ((flags & CAPS_CHANGED) !== 0 || caps === undefined) caps = fromGstCaps(fragment.currentCaps() ?? 'ANY');
    if ((flags & COPIED) !== 0) {
      ctx.ledger.record({
        element: ctx.name,
        bytes: data.byteLength,
        from: 'cpu',
        to: 'cpu',
        reason: 'GstBuffer of several memories merged to map',
        explicit: true,
      });
    }
    const pts = time(metaOut[0]);
    return {
      caps,
      pts,
      dts: time(metaOut[1]),
      duration: time(metaOut[2]),
      flags: flags & OUR_FLAGS,
      memory: cpuMemory(data),
      meta: stamp(EMPTY_META, pts),
    };
  };

  const feed = (r: Pulled<Packet>): void => {
    if (r === EOS) {
      inputEnded = true;
      fragment.endOfStream();
    } else pushPacket(ctx, fragment, r, inputCaps);
  };

  const pull = (signal: AbortSignal): MaybePromise<Pulled<Packet<CpuMemory>>> => {
    for (;;) {
      signal.throwIfAborted();
      const out = take();
      if (out !== undefined) return out;
      if (fragment.isEos()) return EOS;
      if (!inputEnded && up !== undefined && fragment.canPush()) {
        const r = up.pull(signal);
        if (isPromiseLike(r)) return Promise.resolve(r).then((v) => (feed(v), pull(signal)));
        feed(r);
        continue;
      }
      return fragment.wait(!inputEnded, WAIT_MS, signal).then(() => pull(signal));
    }
  };

  return {
    pull,
    close() {
      if (closed) return;
      closed = true;
      fragment.stop();
      for (const w of fragment.takeWarnings()) ctx.log('warn', `GStreamer ${w}`);
      fragment.dispose();
    },
  };
}

/**
 * Runs `f` on a fresh copy of the fragment (state NULL, no thread), freed at once: negotiation's queries.
 * No GStreamer pipeline (its bus, its fds) outlives a call or a run, even one aborted before the element opens.
 * Called once with a no-op when the element is built, so a fragment that does not parse fails then.
 */
export function queryFragment(addon: GstBinding, mode: 'bin' | 'src' | 'sink', description: string): <T>(f: (fragment: GstFragment) => T) => T {
  const query = <T>(f: (fragment: GstFragment) => T): T => {
    const fragment = new addon.GstFragment(mode, description);
    try {
      return f(fragment);
    } finally {
      fragment.dispose();
    }
  };
  query(() => undefined);
  return query;
}

/** Parses the fragment for a run and sets it PLAYING with the negotiated caps; disposed if that fails. */
export function startFragment(
  ctx: ElementContext,
  addon: GstBinding,
  mode: 'bin' | 'src' | 'sink',
  description: string,
  input: string | undefined,
  output: string | undefined
): GstFragment {
  const fragment = new addon.GstFragment(mode, description);
  try {
    fragment.start(input, output);
  } catch (e) {
    fragment.dispose();
    throw new ElementError(ctx.name, undefined, new GstBusError(e instanceof Error ? e.message : String(e)));
  }
  return fragment;
}
