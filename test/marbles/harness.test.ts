import { describe, expect, it } from 'vitest';
import { Caps, defineSink, defineSource, defineTransform, ElementError, EOS, NegotiationError, PacketFlags, pipe, VirtualClock, type Packet, type Pulled, type Reader } from '../../src';
import { isPromiseLike } from '../../src/util/promise';
import { harness, HarnessStallError, HarnessTeardownError } from '../../marbles';

const MS = 1_000_000;

/** Maps each input packet to one output, synchronously or after a promise; counts its closes. */
function mapper(fn: (p: Packet, n: number) => Packet = (p) => p, opts: { sinkCaps?: string; srcCaps?: string; outputCaps?: (input: Caps, allowed: Caps) => Caps } = {}) {
  const log = { closes: 0, metas: [] as readonly string[][] };
  const t = defineTransform<Packet, Packet>({
    factory: 'mapper',
    sinkCaps: opts.sinkCaps ? Caps.parse(opts.sinkCaps) : Caps.any(),
    srcCaps: opts.srcCaps ? Caps.parse(opts.srcCaps) : Caps.any(),
    passthrough: !opts.srcCaps,
    outputCaps: opts.outputCaps,
    open(ctx, up): Reader<Packet> {
      (log.metas as string[][]).push([...ctx.downstreamMetas]);
      let n = 0;
      const step = (r: Pulled<Packet>): Pulled<Packet> => (r === EOS ? EOS : fn(r, n++));
      return {
        pull(signal) {
          const r = up.pull(signal);
          return isPromiseLike(r) ? Promise.resolve(r).then(step) : step(r);
        },
        close() {
          log.closes++;
        },
      };
    },
  });
  return Object.assign(t, { log });
}

/** Pulls two inputs for each output (an aggregator): its demand is twice the test's. */
const pairs = () =>
  defineTransform<Packet, Packet>({
    factory: 'pairs',
    sinkCaps: Caps.any(),
    srcCaps: Caps.any(),
    passthrough: true,
    open: (_ctx, up) => ({
      async pull(signal) {
        const a = await up.pull(signal);
        if (a === EOS) return EOS;
        const b = await up.pull(signal);
        return { ...a, duration: b === EOS ? a.duration : (b.pts ?? 0) - (a.pts ?? 0) };
      },
    }),
  });

describe('harness: push, pull, demand', () => {
  it('pushes packets in and pulls them out; the element is pulled exactly once per pull', async () => {
    const h = harness(mapper((p) => ({ ...p, flags: p.flags | PacketFlags.MARKER })), { inputCaps: 'video/x-test, width=(int)4' });
    expect(h.names).toEqual(['mapper0']);
    expect(h.outputCaps.toString()).toBe('video/x-test, width=(int)4');
    h.pushAll([{ pts: 0 }, { pts: 10 }, { pts: 20 }]);
    expect(h.inputQueued).toBe(3);
    await h.settle();
    // Nothing pulled the element: demand is the test's.
    expect(h.inputPulls).toBe(0);
    const a = await h.pull();
    expect(a).not.toBe(EOS);
    expect((a as Packet).pts).toBe(0);
    expect((a as Packet).flags & PacketFlags.MARKER).toBeTruthy();
    // Default caps of a pushed packet: the negotiated input caps, one object.
    expect((a as Packet).caps).toBe(h.inputCaps);
    expect(h.inputPulls).toBe(1);
    expect(h.inputQueued).toBe(2);
    h.pushEos();
    expect((await h.pullAll()).map((p) => p.pts)).toEqual([10, 20]);
    expect(h.inputPulls).toBe(4);
    // EOS stays.
    expect(await h.pull()).toBe(EOS);
    const t = await h.close();
    expect(t.outcome).toBe('eos');
    expect(t.elements).toEqual([{ name: 'mapper0', factory: 'mapper', opens: 1, closes: 1 }]);
    expect(t.pullsAfterClose).toBe(0);
  });

  it('an aggregator pulls its input twice per output; tryPull answers undefined while it needs input', async () => {
    const h = harness(pairs());
    h.push({ pts: 0 });
    expect(await h.tryPull()).toBeUndefined();
    expect(h.starved).toBe(true);
    expect(h.inputPulls).toBe(2);
    // A plain pull now would never be answered: it fails instead of hanging, saying why.
    const stalled = await h.pull().catch((e: unknown) => e);
    expect(stalled).toBeInstanceOf(HarnessStallError);
    expect((stalled as HarnessStallError).waitingFor).toBe('input');
    expect((stalled as Error).message).toMatch(/pairs0 needs more input.*pushEos/);
    h.push({ pts: 40 });
    const p = await h.pull();
    expect(p).toMatchObject({ pts: 0, duration: 40 });
    expect(h.inputPulls).toBe(2);
    expect(h.starved).toBe(false);
    h.pushAll([{ pts: 80 }, { pts: 120 }, { pts: 160 }]);
    expect((await h.drain()).map((x) => [x.pts, x.duration])).toEqual([
      [80, 40],
      [160, undefined],
    ]);
    expect(h.inputPulls).toBe(2 + 4 + 1);
    await h.close();
  });

  it('packets pushed whole pass as they are; pushing after EOS is refused', async () => {
    const h = harness(mapper());
    const caps = Caps.parse('application/x-harness');
    const whole: Packet = { caps, pts: 5, dts: 4, duration: 1, flags: PacketFlags.KEYFRAME, memory: { domain: 'cpu', data: Uint8Array.of(1, 2, 3) }, meta: { tag: 'x' } };
    h.push(whole);
    h.pushEos();
    expect(() => h.push({ pts: 1 })).toThrow(/push after pushEos/);
    expect(await h.pull()).toBe(whole);
    expect(await h.pull()).toBe(EOS);
    await h.close();
  });
});

describe('harness: negotiation through the real runtime', () => {
  it('caps from the test source and sink; the element picks within what downstream allows', () => {
    const chooser = mapper(undefined, {
      sinkCaps: 'video/x-test',
      srcCaps: 'video/x-out, format=(string){ a, b }',
      outputCaps: (_i, allowed) => allowed.fixate(),
    });
    const h = harness(chooser, { inputCaps: 'video/x-test, n=(int)1', outputCaps: 'video/x-out, format=(string)b' });
    expect(h.inputCaps?.toString()).toBe('video/x-test, n=(int)1');
    expect(h.outputCaps.toString()).toBe('video/x-out, format=(string)b');
    expect(h.negotiatedCaps).toBe(h.outputCaps);
    return h.close();
  });

  it('caps that cannot link throw a NegotiationError naming the element, before anything opens', () => {
    const m = mapper(undefined, { sinkCaps: 'video/x-test' });
    expect(() => harness(m, { inputCaps: 'audio/x-raw' })).toThrow(NegotiationError);
    expect(() => harness(m, { inputCaps: 'audio/x-raw' })).toThrow(/harnessSrc0 and mapper0/);
    expect(m.log.closes).toBe(0);
  });

  it('a caps change on the input renegotiates (inputCaps follows); output outside the downstream caps fails', async () => {
    const h = harness(mapper(), { outputCaps: 'video/x-test' });
    h.push({ caps: 'video/x-test, n=(int)1' });
    h.push({ caps: 'video/x-test, n=(int)2' });
    h.push({ caps: 'video/x-other' });
    expect(((await h.pull()) as Packet).caps.get('n')).toBe(1);
    expect(((await h.pull()) as Packet).caps.get('n')).toBe(2);
    expect(h.inputCaps?.get('n')).toBe(2);
    expect(h.outputCaps.get('n')).toBe(2);
    await expect(h.pull()).rejects.toBeInstanceOf(NegotiationError);
    expect((await h.close()).outcome).toBe('error');
  });

  it('answers the allocation query with downstreamMetas', async () => {
    const m = mapper();
    const h = harness(m, { downstreamMetas: ['VideoMeta'] });
    expect(m.log.metas).toEqual([['VideoMeta']]);
    await h.close();
    const bare = mapper();
    await harness(bare).close();
    expect(bare.log.metas).toEqual([[]]);
  });
});

describe('harness: errors and teardown', () => {
  it('a failing element: earlier output first, then its ElementError with the pts; closed once', async () => {
    const m = mapper((p, n) => {
      if (n === 1) throw new Error('bad packet');
      return p;
    });
    const h = harness(m);
    h.pushAll([{ pts: 0 }, { pts: 7 * MS }, { pts: 9 * MS }]);
    expect(await h.pull()).toMatchObject({ pts: 0 });
    const e = await h.pull().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ElementError);
    expect(e).toMatchObject({ element: 'mapper0', pts: 7 * MS, message: expect.stringContaining('bad packet') });
    // Every later pull answers the same error.
    await expect(h.pull()).rejects.toBe(e);
    expect(h.error).toBe(e);
    const t = await h.close();
    expect(t.outcome).toBe('error');
    expect(t.error).toBe(e);
    expect(m.log.closes).toBe(1);
  });

  it('an error pushed from upstream is handed on, naming the harness source', async () => {
    const h = harness(mapper());
    h.push({ pts: 1 });
    h.pushError(new Error('upstream broke'));
    expect(await h.pull()).toMatchObject({ pts: 1 });
    await expect(h.pull()).rejects.toMatchObject({ element: 'harnessSrc0', message: expect.stringContaining('upstream broke') });
    await h.close();
  });

  it('close() fails on an error the test never looked at', async () => {
    const h = harness(mapper(() => {
      throw new Error('nobody saw me');
    }));
    h.push({ pts: 0 });
    await h.tryPull().catch(() => undefined);
    const h2 = harness(
      pipe(
        mapper(),
        defineTransform<Packet, Packet>({
          factory: 'failsOnOpen',
          sinkCaps: Caps.any(),
          srcCaps: Caps.any(),
          passthrough: true,
          open: () => {
            throw new Error('cannot open');
          },
        }),
      ),
    );
    const t = await h2.close().catch((e: unknown) => e);
    expect(t).toBeInstanceOf(HarnessTeardownError);
    expect((t as Error).message).toMatch(/no pull saw it: .*cannot open/);
    expect((t as HarnessTeardownError).report.elements.map((e) => [e.name, e.opens, e.closes])).toEqual([
      ['mapper0', 1, 1],
      ['failsOnOpen0', 0, 0],
    ]);
    // The one whose error a tryPull saw is fine.
    expect((await h.close()).outcome).toBe('error');
  });

  it('close() aborts a run still going, and every element closes exactly once', async () => {
    const m = mapper();
    const h = harness(m);
    h.push({ pts: 0 });
    expect(await h.pull()).toMatchObject({ pts: 0 });
    const pending = h.tryPull();
    expect(await pending).toBeUndefined();
    const t = await h.close();
    expect(t.outcome).toBe('abort');
    expect(t.error).toBeUndefined();
    expect(t.elements[0]).toMatchObject({ opens: 1, closes: 1 });
    expect(m.log.closes).toBe(1);
    await expect(h.close()).rejects.toThrow(/twice/);
  });

  it('close() reports output the test never pulled', async () => {
    const h = harness(mapper());
    expect(await h.tryPull()).toBeUndefined();
    // The element's pull was already under way: this packet answers it, unread.
    h.push({ pts: 0 });
    await h.settle();
    expect(h.inputPulls).toBe(1);
    expect((await h.close()).unread).toBe(1);
  });

  it('a close that throws fails the teardown', async () => {
    const h = harness(
      defineTransform<Packet, Packet>({
        factory: 'badClose',
        sinkCaps: Caps.any(),
        srcCaps: Caps.any(),
        passthrough: true,
        open: (_ctx, up) => ({
          pull: (s) => up.pull(s),
          close() {
            throw new Error('leaked handle');
          },
        }),
      }),
    );
    h.pushEos();
    expect(await h.pull()).toBe(EOS);
    const e = await h.close().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HarnessTeardownError);
    expect((e as HarnessTeardownError).problems.join()).toMatch(/no pull saw it: badClose0 failed: leaked handle/);
    expect((e as HarnessTeardownError).report.elements[0]).toMatchObject({ name: 'badClose0', closes: 1 });
  });

  it('an element that sleeps without the abort signal: a leaked timer, or a run that never settles, fails teardown', async () => {
    const sleeper = (mode: 'await' | 'forget') =>
      defineTransform<Packet, Packet>({
        factory: 'sleeper',
        sinkCaps: Caps.any(),
        srcCaps: Caps.any(),
        passthrough: true,
        open: (ctx, up) => ({
          async pull(s) {
            // No signal: an abort cannot cancel it.
            const t = ctx.clock.sleepUntil(ctx.clock.now() + 1_000 * MS);
            if (mode === 'await') await t;
            return up.pull(s);
          },
        }),
      });
    const forget = harness(sleeper('forget'), { clock: new VirtualClock({ autoAdvance: false }), stallAfter: 8 });
    forget.push({ pts: 0 });
    expect(await forget.pull()).toMatchObject({ pts: 0 });
    const e1 = (await forget.close().catch((x: unknown) => x)) as HarnessTeardownError;
    expect(e1).toBeInstanceOf(HarnessTeardownError);
    expect(e1.problems).toEqual(['1 clock timer(s) left set after the run (a sleep without the abort signal?)']);
    expect(e1.report.outcome).toBe('abort');

    const hang = harness(sleeper('await'), { clock: new VirtualClock({ autoAdvance: false }), stallAfter: 8 });
    hang.push({ pts: 0 });
    expect(await hang.tryPull()).toBeUndefined();
    const e2 = (await hang.close().catch((x: unknown) => x)) as HarnessTeardownError;
    expect(e2).toBeInstanceOf(HarnessTeardownError);
    expect(e2.message).toMatch(/did not settle after it was aborted: sleeper0 ignores its abort signal \(waits on the clock\)/);
    expect(e2.report.elements[0]).toMatchObject({ opens: 1, closes: 0 });
  });

  it('an element that pulls its input after close is caught', async () => {
    let up: Reader<Packet> | undefined;
    const h = harness(
      defineTransform<Packet, Packet>({
        factory: 'afterClose',
        sinkCaps: Caps.any(),
        srcCaps: Caps.any(),
        passthrough: true,
        open: (_ctx, u) => ((up = u), { pull: (s) => u.pull(s) }),
      }),
    );
    h.pushEos();
    expect(await h.pull()).toBe(EOS);
    await h.settle();
    const controller = new AbortController();
    controller.abort();
    await Promise.resolve(up!.pull(controller.signal)).catch(() => undefined);
    const e = await h.close().catch((x: unknown) => x);
    expect((e as HarnessTeardownError).problems).toEqual(['the element pulled its input 1× after it was closed']);
  });
});

describe('harness: virtual time, stats, sources and sinks', () => {
  /** Holds each packet until its pts on the clock (a jitter-buffer-like element). */
  const delay = () =>
    defineTransform<Packet, Packet>({
      factory: 'delay',
      sinkCaps: Caps.any(),
      srcCaps: Caps.any(),
      passthrough: true,
      open: (ctx, up) => ({
        async pull(s) {
          const p = await up.pull(s);
          if (p === EOS) return EOS;
          await ctx.clock.sleepUntil(ctx.baseTime + p.pts!, s);
          return p;
        },
      }),
    });

  it('auto-advancing clock (default): time moves when everything waits on it', async () => {
    const h = harness(delay());
    h.pushAll([{ pts: 5 * MS }, { pts: 12 * MS }]);
    expect(await h.pull()).toMatchObject({ pts: 5 * MS });
    expect(h.clock.now()).toBe(5 * MS);
    expect(await h.pull()).toMatchObject({ pts: 12 * MS });
    expect(h.clock.now()).toBe(12 * MS);
    await h.close();
  });

  it('manual clock: advance() releases what waits on it; a pull with nothing to advance time stalls', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const h = harness(delay(), { clock });
    h.pushAll([{ pts: 5 * MS }, { pts: 12 * MS }]);
    expect(await h.tryPull()).toBeUndefined();
    await expect(h.pull()).rejects.toMatchObject({ name: 'HarnessStallError', waitingFor: 'clock' });
    await h.advance(4 * MS);
    expect(await h.tryPull()).toBeUndefined();
    await h.advance(1 * MS);
    expect(await h.pull()).toMatchObject({ pts: 5 * MS });
    const next = h.pull();
    await h.advance(7 * MS);
    expect(await next).toMatchObject({ pts: 12 * MS });
    expect(clock.now()).toBe(12 * MS);
    await h.close();
  });

  it('drops and queue depth come from the element report, as pipeline stats', async () => {
    const dropper = defineTransform<Packet, Packet>({
      factory: 'dropper',
      sinkCaps: Caps.any(),
      srcCaps: Caps.any(),
      passthrough: true,
      open: (ctx, up) => ({
        async pull(s) {
          for (;;) {
            const p = await up.pull(s);
            if (p === EOS || (p.pts ?? 0) % 2 === 0) return p;
            ctx.report.drop('policy');
          }
        },
      }),
    });
    const h = harness(dropper);
    h.pushAll([0, 1, 2, 3, 5, 6].map((pts) => ({ pts })));
    expect((await h.drain()).map((p) => p.pts)).toEqual([0, 2, 6]);
    expect(h.drops()).toEqual({ policy: 3 });
    expect(h.stats().packets).toBe(6);
    expect(h.pipelineStats().elements.map((e) => e.name)).toEqual(['harnessSrc0', 'dropper0', 'harnessGate0', 'harnessSink0']);
    await h.close();
  });

  it('a composed operator: stats by name', async () => {
    const h = harness(pipe(mapper(), pairs()));
    expect(h.names).toEqual(['mapper0', 'pairs0']);
    expect(() => h.stats()).toThrow(/name one/);
    h.pushAll([{ pts: 0 }, { pts: 1 }]);
    expect(await h.drain()).toHaveLength(1);
    expect(h.stats('pairs0').packets).toBe(2);
    expect((await h.close()).elements.map((e) => e.closes)).toEqual([1, 1]);
  });

  it('a source: pulled only, no input', async () => {
    let closes = 0;
    const src = defineSource<Packet>({
      factory: 'counter',
      srcCaps: Caps.parse('application/x-count'),
      open: (ctx) => {
        let i = 0;
        return { pull: () => (i < 3 ? { caps: ctx.outputCaps, pts: i++, dts: undefined, duration: undefined, flags: 0, memory: { domain: 'cpu', data: new Uint8Array(0) }, meta: {} } : EOS), close: () => void closes++ };
      },
    });
    const h = harness(src);
    expect(h.outputCaps.toString()).toBe('application/x-count');
    expect(() => (h as unknown as { push(x: object): void }).push({})).toThrow(/source has no input/);
    expect((await h.pullAll()).map((p) => p.pts)).toEqual([0, 1, 2]);
    await h.close();
    expect(closes).toBe(1);
  });

  it('a sink: pushed only; the runtime drives it to EOS and close() waits for that', async () => {
    const seen: (number | undefined)[] = [];
    let ended = 0;
    const sink = defineSink<Packet>({
      factory: 'collect',
      sinkCaps: Caps.any(),
      open: () => ({ write: (p) => void seen.push(p.pts), end: () => void ended++ }),
    });
    const h = harness(sink);
    await expect(h.pull()).rejects.toThrow(/sink has no output/);
    h.pushAll([{ pts: 1 }, { pts: 2 }]);
    h.pushEos();
    const t = await h.close();
    expect(t.outcome).toBe('eos');
    expect(seen).toEqual([1, 2]);
    expect(ended).toBe(1);
  });
});
