import { Caps } from '../src/caps';
import type { ElementContext, Writer } from '../src/element';
import { defineSink, type Sink } from '../src/operator';
import type { Packet } from '../src/packet';
import { DEFAULT_FRAME } from './diagram';
import { labelOf, nextSeq, registerState, type MarbleState, type SinkLog } from './log';

export interface MarbleSinkOptions<T extends Packet = Packet> {
  /** Instance name (default marbleSink0, marbleSink1, …). */
  name?: string;
  /** ns per frame for its diagram; default: runMarbles' frame, else 1 ms. */
  frame?: number;
  /** Processing time per packet (ns) spent on the clock after each write: a slow sink. */
  delay?: number | ((packet: T, index: number) => number);
  /** Wait for presentation times (GStreamer's sync); default: the profile's. */
  sync?: boolean;
  /** Drop packets past the live deadline; default: the runtime's (true). */
  dropLate?: boolean;
  /** The character a packet prints as; default: its marble source's character, else '?'. */
  label?: (packet: T) => string;
  /** Input caps template; default ANY. */
  caps?: Caps | string;
}

/**
 * A sink that records the time and packet of each write, when end-of-stream arrived and when it was
 * closed. Writes are recorded on arrival, before `delay`.
 */
export function marbleSink<T extends Packet = Packet>(options: MarbleSinkOptions<T> = {}): Sink<T> {
  const state: MarbleState = { kind: 'sink', frame: options.frame, harness: undefined, current: undefined };
  const { delay, label = labelOf } = options;
  const sink = defineSink<T>({
    factory: 'marbleSink',
    name: options.name,
    props: { delay: typeof delay === 'number' ? delay : delay ? 'fn' : undefined, sync: options.sync },
    sinkCaps: options.caps === undefined ? Caps.any() : typeof options.caps === 'string' ? Caps.parse(options.caps) : options.caps,
    sync: options.sync,
    dropLate: options.dropLate,
    open(ctx: ElementContext): Writer<T> {
      const frame = state.frame ?? state.harness?.frame ?? DEFAULT_FRAME;
      const log: SinkLog<T> = { kind: 'sink', name: ctx.name, frame, writes: [], end: undefined, terminal: undefined, closes: [] };
      state.current = log as SinkLog;
      const rel = (): number => ctx.clock.now() - ctx.baseTime;
      return {
        write(p, signal) {
          const index = log.writes.length;
          log.writes.push({ time: rel(), seq: nextSeq(), label: label(p), packet: p });
          const d = typeof delay === 'function' ? delay(p, index) : (delay ?? 0);
          if (d > 0) return ctx.clock.sleepUntil(ctx.clock.now() + d, signal);
        },
        end() {
          log.end ??= rel();
        },
        close() {
          log.closes.push(rel());
        },
      };
    },
  });
  registerState(sink.elements[0], state);
  return sink;
}
