import { Caps } from '../src/caps';
import { EOS, type ElementContext, type Pulled, type Reader } from '../src/element';
import type { Memory } from '../src/memory/memory';
import { defineSource, type Source } from '../src/operator';
import { packet as makePacket, type Packet, type PacketMeta } from '../src/packet';
import { abortReason } from '../src/util/abort';
import { DEFAULT_FRAME, frameToTime, parseDiagram, type MarbleEvent } from './diagram';
import { nextSeq, registerState, setLabel, type MarbleState, type SourceLog } from './log';

/** Fields of the packet a character stands for; what is left out gets the defaults of marbleSource. */
export interface MarblePacketInit {
  readonly pts?: number;
  readonly dts?: number;
  readonly duration?: number;
  readonly flags?: number;
  /** Caps of this packet (a string is parsed once); default: the negotiated output caps. */
  readonly caps?: Caps | string;
  readonly memory?: Memory;
  /** Merged over the default meta ({ captureTime, marble }). */
  readonly meta?: PacketMeta;
}

/** What a character stands for: packet fields, or a whole Packet emitted as it is. */
export type MarbleValue = MarblePacketInit | Packet;

export interface MarbleSourceOptions {
  /** Instance name (default marbleSource0, marbleSource1, …). */
  name?: string;
  /** ns per frame; default: runMarbles' frame, else 1 ms. */
  frame?: number;
  /** Output caps template; default ANY, fixating to `application/x-marble` when downstream allows. */
  caps?: Caps | string;
  /** What `#` throws; default an Error naming the frame. */
  error?: unknown;
  /** Stamp `meta.captureTime` with the frame's clock time, as a live capture would; default true. */
  capture?: boolean;
}

const DEFAULT_CAPS = 'application/x-marble';

function isPacket(v: MarbleValue): v is Packet {
  return 'caps' in v && 'memory' in v && 'meta' in v && 'flags' in v && 'pts' in v && typeof (v as Packet).caps === 'object';
}

function toCaps(c: Caps | string): Caps {
  return typeof c === 'string' ? Caps.parse(c) : c;
}

/**
 * A source that plays a diagram on the pipeline clock: the packet at frame k becomes available at
 * base time + k·frame, and a pull before then sleeps on the clock (a pull after it answers at once, as a
 * capture device's buffer would). Default packets have pts = k·frame, no dts/duration, no flags, the
 * negotiated caps and meta { captureTime, marble: char }. `|` ends the stream, `#` fails it, `!` makes
 * runMarbles abort the pipeline at that frame; a diagram with none of these never ends. Events before
 * `^` happened before the start and are not played (a hot source). Every pull is recorded (demand).
 */
export function marbleSource<T extends Packet = Packet>(
  diagram: string,
  values: Readonly<Record<string, MarbleValue>> = {},
  options: MarbleSourceOptions = {},
): Source<T> {
  const parsed = parseDiagram(diagram);
  const events: MarbleEvent[] = [];
  let terminal: MarbleEvent | undefined;
  for (const e of parsed.events) {
    if (e.kind === 'start' || e.frame < 0) continue;
    if (terminal) throw new RangeError(`marbleSource '${diagram}': nothing may follow '${terminal.kind === 'end' ? '|' : terminal.kind === 'error' ? '#' : '!'}'`);
    if (e.kind !== 'value') terminal = e;
    events.push(e);
  }
  const capsCache = new Map<string, Caps>();
  const valueCaps = (c: string, init: MarblePacketInit): Caps | undefined => {
    if (init.caps === undefined) return undefined;
    let caps = capsCache.get(c);
    if (!caps) capsCache.set(c, (caps = toCaps(init.caps)));
    return caps;
  };
  const template = options.caps !== undefined ? toCaps(options.caps) : Caps.any();
  const state: MarbleState = {
    kind: 'source',
    frame: options.frame,
    abortFrame: terminal?.kind === 'abort' ? terminal.frame : undefined,
    harness: undefined,
    current: undefined,
  };
  const src = defineSource<T>({
    factory: 'marbleSource',
    name: options.name,
    props: { diagram },
    srcCaps: template,
    fixate: (allowed) => (allowed.isAny ? Caps.parse(DEFAULT_CAPS) : allowed.fixate()),
    open(ctx: ElementContext): Reader<T> {
      const frame = state.frame ?? state.harness?.frame ?? DEFAULT_FRAME;
      const log: SourceLog = { kind: 'source', name: ctx.name, frame, pulls: [], emits: [], end: undefined, error: undefined, closes: [] };
      state.current = log;
      const capture = options.capture ?? true;
      let i = 0;
      let produced = 0;
      const rel = (): number => ctx.clock.now() - ctx.baseTime;

      const make = (e: MarbleEvent): T => {
        const c = e.value!;
        const v = values[c];
        if (v !== undefined && isPacket(v)) {
          setLabel(v, c);
          return v as T;
        }
        const init: MarblePacketInit = v ?? {};
        const time = frameToTime(e.frame, frame);
        const meta: PacketMeta = { ...(capture ? { captureTime: ctx.baseTime + time } : {}), marble: c, ...init.meta };
        const p = makePacket({
          caps: valueCaps(c, init) ?? ctx.outputCaps,
          pts: 'pts' in init ? init.pts : time,
          dts: init.dts,
          duration: init.duration,
          flags: init.flags,
          memory: init.memory,
          meta,
        }) as T;
        setLabel(p, c);
        return p;
      };

      const waitForAbort = (signal: AbortSignal): Promise<never> =>
        new Promise<never>((_, reject) => {
          if (signal.aborted) return reject(abortReason(signal));
          signal.addEventListener('abort', () => reject(abortReason(signal)), { once: true });
        });

      const emit = (signal: AbortSignal): Pulled<T> | Promise<Pulled<T>> => {
        const e = events[i];
        const t = rel();
        switch (e.kind) {
          case 'value': {
            i++;
            produced++;
            const p = make(e);
            log.emits.push({ time: t, seq: nextSeq(), label: e.value!, packet: p });
            return p;
          }
          case 'end':
            log.end ??= t;
            return EOS;
          case 'error': {
            const err = options.error ?? new Error(`marble error '#' at frame ${e.frame}`);
            log.error ??= { time: t, error: err };
            throw err;
          }
          default:
            // runMarbles aborts the pipeline at this frame; it set its timer first, so it has fired already.
            if (!state.harness) throw new Error(`marbleSource: '!' (abort) needs runMarbles to abort the pipeline`);
            return waitForAbort(signal);
        }
      };

      return {
        pull(signal) {
          log.pulls.push({ time: rel(), seq: nextSeq(), produced });
          const e = events[i];
          // No terminal: the stream stays silent until the pipeline is stopped.
          if (e === undefined) return waitForAbort(signal);
          const due = ctx.baseTime + frameToTime(e.frame, frame);
          if (ctx.clock.now() >= due) return emit(signal);
          return ctx.clock.sleepUntil(due, signal).then(() => {
            // An abort at this very instant fired first: nothing more leaves the source.
            if (signal.aborted) throw abortReason(signal);
            return emit(signal);
          });
        },
        close() {
          log.closes.push(rel());
        },
      };
    },
  });
  registerState(src.elements[0], state);
  return src;
}
