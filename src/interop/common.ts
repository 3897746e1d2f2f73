import { Caps } from '../caps';
import type { Clock } from '../clock/clock';
import type { ElementContext } from '../element';
import type { Packet } from '../packet';

export { raceAbort } from '../util/abort';

/** What `mapToPacket` gets beside each value, so it can stamp caps and capture time without globals. */
export interface PacketMapContext {
  /** 0-based index of the value among those the foreign source produced (dropped ones included). */
  readonly index: number;
  /** The negotiated output caps: fixed when the `caps` option is; otherwise the packets' own caps decide. */
  readonly caps: Caps;
  /** The pipeline clock (`clock.now()` is the capture time of a live value). */
  readonly clock: Clock;
}

/** Options shared by every adapter that turns a foreign producer into a Source. */
export interface SourceAdapterOptions<T, P extends Packet> {
  /** Instance name, as GStreamer's `name=`. */
  name?: string;
  /**
   * Caps template of the packets. Given, it takes part in negotiation and is fixated (`PacketMapContext.caps`).
   * Left out, the source is ANY and the first packet's own caps decide (checked against downstream then).
   */
  caps?: Caps | string;
  /**
   * Turns each value into a packet; required when the values are not packets already. Runs when the value
   * arrives (not when it is pulled), so a capture time stamped here is the arrival time.
   */
  mapToPacket?: (value: T, ctx: PacketMapContext) => P;
}

export function templateCaps(caps: Caps | string | undefined): Caps {
  return caps === undefined ? Caps.any() : typeof caps === 'string' ? Caps.parse(caps) : caps;
}

/** With a template the source fixates as any other; without one the stream decides (as a parser's). */
export function adapterFixate(caps: Caps | string | undefined): (allowed: Caps) => Caps {
  return caps === undefined ? (allowed) => allowed : (allowed) => allowed.fixate();
}

function isPacket(v: unknown): v is Packet {
  return typeof v === 'object' && v !== null && 'caps' in v && 'memory' in v && 'flags' in v;
}

/** Per-run value → packet conversion, with a clear error when values are not packets and no map was given. */
export function packetMapper<T, P extends Packet>(
  factory: string,
  ctx: ElementContext,
  map: ((value: T, ctx: PacketMapContext) => P) | undefined
): (value: T) => P {
  let index = 0;
  if (map) {
    const info = {
      get index() {
        return index;
      },
      get caps() {
        return ctx.outputCaps;
      },
      clock: ctx.clock,
    };
    return (value) => {
      const p = map(value, info);
      index++;
      return p;
    };
  }
  return (value) => {
    index++;
    if (!isPacket(value)) {
      throw new TypeError(`${factory}: value #${index - 1} is not a Packet; pass the mapToPacket option to convert values`);
    }
    return value as unknown as P;
  };
}
