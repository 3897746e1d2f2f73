import { describe, expect, it } from 'vitest';
import { isAbortError, Caps, cpuMemory, defineTransform, ElementError, ImplicitCopyError, newAbortController, packet, pipe, VirtualClock, type Packet, type Reader, type Transform } from '../../src';
import { fakeSink, fakeSrc, identity, queue, tee } from '../../operators';
import { mapReader } from '../../src/reader';

/** A passthrough element that counts how often it was closed. */
function probe(closes: Map<string, number>, name: string): Transform {
  return defineTransform({
    factory: 'probe',
    name,
    props: {},
    sinkCaps: Caps.any(),
    srcCaps: Caps.any(),
    passthrough: true,
    open: (_ctx, up: Reader<Packet>) => ({ pull: (s) => up.pull(s), close: () => void closes.set(name, (closes.get(name) ?? 0) + 1) }),
  });
}

function chain(closes: Map<string, number>, middle: Transform, sinkOpts: Parameters<typeof fakeSink>[0] = {}, n = 100) {
  return pipe(fakeSrc({ numBuffers: n }), probe(closes, 'p1'), middle, queue(), probe(closes, 'p2'), fakeSink(sinkOpts));
}

describe('pipeline lifecycle', () => {
  it('closes every element exactly once on success', async () => {
    const closes = new Map<string, number>();
    const stats = await chain(closes, identity()).run();
    expect(stats.delivered).toBe(100);
    expect(Object.fromEntries(closes)).toEqual({ p1: 1, p2: 1 });
  });

  it('on error: rejects naming the element and the pts, and closes everything once', async () => {
    const closes = new Map<string, number>();
    const err = await chain(closes, identity({ name: 'bad', errorAfter: 5 })).run().catch((e) => e);
    expect(err).toBeInstanceOf(ElementError);
    expect(err.element).toBe('bad');
    // The 6th packet (index 5) at 30 fps: pts = 5/30 s.
    expect(err.pts).toBe(Math.round((5 * 1e9) / 30));
    expect(err.message).toMatch(/^bad failed at pts 0:00:00\.166666667: error-after=5 reached/);
    expect(Object.fromEntries(closes)).toEqual({ p1: 1, p2: 1 });
  });

  it('on a sink error: names the sink and the packet', async () => {
    const closes = new Map<string, number>();
    const err = await chain(closes, identity(), {
      name: 'sinky',
      onPacket: (p) => {
        if (p.pts! > 1e8) throw new Error('disk full');
      },
    })
      .run()
      .catch((e) => e);
    expect(err).toBeInstanceOf(ElementError);
    expect(err.message).toMatch(/^sinky failed at pts 0:00:00\.133333333: disk full/);
    expect(Object.fromEntries(closes)).toEqual({ p1: 1, p2: 1 });
  });

  it('on abort: stops within one packet, rejects with AbortError, closes everything once', async () => {
    const closes = new Map<string, number>();
    const ac = newAbortController();
    let received = 0;
    let afterAbort = 0;
    const run = chain(closes, identity(), {
      onPacket: () => {
        if (ac.signal.aborted) afterAbort++;
        if (++received === 10) ac.abort();
      },
    }, -1).run({ signal: ac.signal });
    const err = await run.catch((e) => e);
    expect(isAbortError(err)).toBe(true);
    expect(afterAbort).toBe(0);
    expect(received).toBe(10);
    expect(Object.fromEntries(closes)).toEqual({ p1: 1, p2: 1 });
  });

  it('abort while waiting on a live source under the virtual clock', async () => {
    const closes = new Map<string, number>();
    const clock = new VirtualClock();
    const ac = newAbortController();
    let received = 0;
    const running = pipe(fakeSrc({ isLive: true, framerate: '10/1' }), probe(closes, 'p'), fakeSink({ onPacket: () => void (++received === 3 && ac.abort()) })).start({ clock, profile: 'live', signal: ac.signal });
    expect(isAbortError(await running.done.catch((e) => e))).toBe(true);
    expect(received).toBe(3);
    expect(clock.now()).toBe(200_000_000);
    expect(closes.get('p')).toBe(1);
  });

  it('eos() ends an endless live stream gracefully: end() runs, stats resolve', async () => {
    const clock = new VirtualClock();
    let ended = false;
    let n = 0;
    const running = pipe(fakeSrc({ isLive: true }), queue(), fakeSink({ onPacket: () => void (++n === 30 && running.eos()), onEos: () => (ended = true) })).start({ clock, profile: 'live' });
    const stats = await running.done;
    expect(ended).toBe(true);
    expect(stats.delivered).toBeGreaterThanOrEqual(30);
    expect(stats.delivered).toBeLessThanOrEqual(33);
  });

  it('an error in a tee branch fails the pipeline and closes every branch once', async () => {
    const closes = new Map<string, number>();
    const ok = pipe(probe(closes, 'a'), fakeSink());
    const bad = pipe(probe(closes, 'b'), identity({ name: 'boom', errorAfter: 3 }), fakeSink());
    const err = await pipe(fakeSrc({ numBuffers: 50 }), tee({ branches: [ok, bad] })).run().catch((e) => e);
    expect(err).toBeInstanceOf(ElementError);
    expect(err.element).toBe('boom');
    expect(Object.fromEntries(closes)).toEqual({ a: 1, b: 1 });
  });
});

describe('copy ledger', () => {
  const copier = (explicit: boolean) =>
    defineTransform({
      factory: 'copier',
      name: 'copier',
      props: {},
      sinkCaps: Caps.any(),
      srcCaps: Caps.any(),
      passthrough: true,
      open: (ctx, up: Reader<Packet>) =>
        mapReader(up, (p) => (p.memory.domain === 'cpu' ? { ...p, memory: cpuMemory(ctx.ledger.copy(ctx.name, p.memory.data, 'test', explicit)) } : p)),
    });

  it('counts every CPU copy in stats, per element', async () => {
    const stats = await pipe(fakeSrc({ numBuffers: 10, sizetype: 'fixed', sizemax: 100 }), copier(false), fakeSink()).run();
    expect(stats.copies).toMatchObject({ count: 10, bytes: 1000, implicit: 10 });
    expect(stats.elements.find((e) => e.name === 'copier')!.copies).toEqual({ count: 10, bytes: 1000 });
  });

  it('strict mode refuses an implicit copy and names the element', async () => {
    const err = await pipe(fakeSrc({ numBuffers: 10, sizetype: 'fixed', sizemax: 100 }), copier(false), fakeSink()).run({ strict: true }).catch((e) => e);
    expect(err).toBeInstanceOf(ElementError);
    expect(err.cause).toBeInstanceOf(ImplicitCopyError);
    expect(err.message).toMatch(/copier.*implicit CPU copy of 100 bytes/);
  });

  it('strict mode allows explicit transfers (still counted)', async () => {
    const stats = await pipe(fakeSrc({ numBuffers: 10, sizetype: 'fixed', sizemax: 8 }), copier(true), fakeSink()).run({ strict: true });
    expect(stats.copies).toMatchObject({ count: 10, implicit: 0 });
  });

  it('packets built with packet() carry no memory by default', () => {
    expect(packet({ caps: Caps.any() }).memory.domain).toBe('none');
  });
});

describe('trace', () => {
  it('stamps per-element timing into packet meta when asked', async () => {
    const clock = new VirtualClock();
    const traces: string[][] = [];
    await pipe(fakeSrc({ numBuffers: 3, isLive: true }), identity({ name: 'slow', sleepTime: 5_000_000 }), fakeSink({ onPacket: (p) => void traces.push((p.meta.trace ?? []).map((t) => `${t.element}@${t.time / 1e6}`)) })).run({ clock, trace: true });
    expect(traces[0]).toEqual(['fakeSrc0@0', 'slow@5']);
    expect(traces[1][1]).toBe('slow@38.333333');
  });

  it('leaves meta untouched by default', async () => {
    const metas: unknown[] = [];
    await pipe(fakeSrc({ numBuffers: 2 }), identity(), fakeSink({ onPacket: (p) => void metas.push(p.meta.trace) })).run();
    expect(metas).toEqual([undefined, undefined]);
  });
});

describe('abort reasons', () => {
  it('rejects with the caller’s own abort reason, unwrapped', async () => {
    const clock = new VirtualClock();
    const reason = new Error('operator stop');
    let n = 0;
    const running = pipe(fakeSrc({ isLive: true }), identity(), fakeSink({ onPacket: () => void (++n === 2 && running.abort(reason)) })).start({ clock });
    expect(await running.done.catch((e) => e)).toBe(reason);
  });
});
