import { describe, expect, it } from 'vitest';
import { Caps, defineTransform, ElementError, mapReader, NegotiationError, packet, PacketFlags, pipe, SECOND, VirtualClock, withPacket, type Packet } from '../../src';
import { identity, queue } from '../../operators';
import {
  demand,
  expectClosedOnce,
  expectDiagram,
  expectError,
  expectMaxAhead,
  expectTeardown,
  expectValues,
  MarbleAssertionError,
  marbleSink,
  marbleSource,
  MarbleStallError,
  maxAhead,
  runMarbles,
  sourceOf,
  teardownDiagram,
  timesOf,
  toDiagram,
  valuesOf,
  type MarbleLog,
} from '../../marbles';

const MS = 1_000_000;

/** A transform that rebuilds every packet (as a real element would), to check labels survive it. */
const rebuild = () =>
  defineTransform<Packet, Packet>({
    factory: 'rebuild',
    props: {},
    sinkCaps: Caps.any(),
    srcCaps: Caps.any(),
    passthrough: true,
    open: (_ctx, up) => mapReader(up, (p) => withPacket(p, { flags: p.flags | PacketFlags.MARKER })),
  });

describe('marbleSource and marbleSink', () => {
  it('play a diagram on the virtual clock and record it back', async () => {
    const log = await runMarbles(pipe(marbleSource('-a-b-(cd)-|'), marbleSink()));
    expect(log.outcome).toBe('eos');
    expect(toDiagram(log)).toBe('-a-b-(cd)-|');
    expect(toDiagram(sourceOf(log))).toBe('-a-b-(cd)-|');
    expect(timesOf(log)).toEqual([1 * MS, 3 * MS, 5 * MS, 5 * MS]);
    expect(log.sinks.marbleSink0.end).toBe(7 * MS);
    expect(log.sinks.marbleSink0.closes).toEqual([7 * MS]);
    expect(log.sources.marbleSource0.closes).toEqual([7 * MS]);
    // Defaults: pts is the frame's time, capture time its clock time, caps fixated to the marble type.
    const [a] = valuesOf(log);
    expect(a.pts).toBe(1 * MS);
    expect(a.dts).toBeUndefined();
    expect(a.meta).toEqual({ captureTime: 1 * MS, marble: 'a' });
    expect(a.caps.toString()).toBe('application/x-marble');
  });

  it('uses the harness frame, or the element’s own', async () => {
    const log = await runMarbles(pipe(marbleSource('a-b|'), marbleSink()), { frame: 10 * MS });
    expect(timesOf(log)).toEqual([0, 20 * MS]);
    expect(toDiagram(log)).toBe('a-b|');
    const own = await runMarbles(pipe(marbleSource('a-b|', {}, { frame: 5 * MS }), marbleSink()), { frame: 10 * MS });
    expect(timesOf(own)).toEqual([0, 10 * MS]);
    // Printed with the log's 10 ms frame: b (10 ms) is one frame on, end (15 ms) falls in that frame too.
    expect(toDiagram(own)).toBe('a(b|)');
    expect(toDiagram(own, { frame: 5 * MS })).toBe('a-b|');
  });

  it('keeps frames of a fraction of a nanosecond exact (30 fps)', async () => {
    const frame = SECOND / 30;
    const log = await runMarbles(pipe(marbleSource('abc-d|'), marbleSink()), { frame });
    expect(timesOf(log)).toEqual([0, 33_333_333, 66_666_667, 133_333_333]);
    expect(toDiagram(log)).toBe('abc-d|');
  });

  it('emits the packet fields, caps and whole packets given for each character', async () => {
    const whole = packet({ caps: Caps.parse('application/x-marble'), pts: 99, flags: PacketFlags.KEYFRAME });
    const log = await runMarbles(
      pipe(
        marbleSource('abw|', {
          a: { pts: 7, dts: 5, duration: 3, flags: PacketFlags.KEYFRAME, meta: { extra: 1 } },
          b: { caps: 'application/x-marble, n=(int)2', pts: undefined },
          w: whole,
        }),
        marbleSink(),
      ),
    );
    const [a, b, w] = valuesOf(log);
    expect(a).toMatchObject({ pts: 7, dts: 5, duration: 3, flags: PacketFlags.KEYFRAME, meta: { captureTime: 0, marble: 'a', extra: 1 } });
    expect(b.pts).toBeUndefined();
    expect(b.caps.toString()).toBe('application/x-marble, n=(int)2');
    expect(w).toBe(whole);
    expect(toDiagram(log)).toBe('abw|');
    expectValues(log, { a: { pts: 7, flags: PacketFlags.KEYFRAME, meta: { extra: 1 } }, b: { caps: 'application/x-marble, n=(int)2' }, w: { pts: 99 } });
    expect(() => expectValues(log, { a: { pts: 8 } })).toThrow(MarbleAssertionError);
    expect(() => expectValues(log, { b: { caps: 'application/x-marble' } })).toThrow('caps');
    expect(() => expectValues(log, { a: { meta: { extra: 2 } } })).toThrow('meta.extra');
  });

  it('names packets by their character through transforms that rebuild them', async () => {
    const log = await runMarbles(pipe(marbleSource('ab|', { b: { pts: 5 } }), rebuild(), marbleSink()));
    expect(toDiagram(log)).toBe('ab|');
    expect(valuesOf(log).every((p) => p.flags & PacketFlags.MARKER)).toBe(true);
    // A whole packet is emitted as it is, so a rebuilt copy has no name unless its meta carries one.
    const whole = packet({ caps: Caps.parse('application/x-marble'), pts: 0 });
    const named = packet({ caps: Caps.parse('application/x-marble'), pts: 1, meta: { marble: 'n' } });
    const rebuilt = await runMarbles(pipe(marbleSource('wn|', { w: whole, n: named }), rebuild(), marbleSink()));
    expect(toDiagram(rebuilt)).toBe('?n|');
    const custom = await runMarbles(pipe(marbleSource('ab|'), marbleSink({ label: (p) => (p.pts === 0 ? 'x' : 'y') })));
    expect(toDiagram(custom)).toBe('xy|');
  });

  it('does not play what came before ^ (a hot source)', async () => {
    const log = await runMarbles(pipe(marbleSource('ab^-c|'), marbleSink()));
    expect(toDiagram(log)).toBe('--c|');
    expect(valuesOf(log).map((p) => p.pts)).toEqual([2 * MS]);
  });

  it('rejects a diagram with anything after its end', () => {
    expect(() => marbleSource('a|b')).toThrow("nothing may follow '|'");
    expect(() => marbleSource('a(#b)')).toThrow("nothing may follow '#'");
    expect(() => marbleSource('a!-|')).toThrow("nothing may follow '!'");
  });

  it('fails the pipeline at # with an ElementError naming the source', async () => {
    const boom = new Error('camera unplugged');
    const log = await runMarbles(pipe(marbleSource('a-#', {}, { error: boom, name: 'cam' }), identity(), marbleSink()));
    expect(log.outcome).toBe('error');
    expect(toDiagram(log)).toBe('a-#');
    expect(toDiagram(sourceOf(log))).toBe('a-#');
    const e = expectError(log, { element: 'cam', pts: undefined, message: 'unplugged' });
    expect(e.cause).toBe(boom);
    expect(() => expectError(log, { element: 'identity0' })).toThrow(MarbleAssertionError);
    expect(() => expectError(log, { message: /keyboard/ })).toThrow(MarbleAssertionError);
    expectTeardown(log, '^-!');
  });

  it('aborts at ! and reports when every element closed', async () => {
    const log = await runMarbles(pipe(marbleSource('a-b-!'), identity(), marbleSink()));
    expect(log.outcome).toBe('abort');
    expect(toDiagram(log)).toBe('a-b-!');
    expectTeardown(log, '^---!');
    expect(() => expectError(log)).toThrow("ended 'abort'");
  });

  it('aborts at abortAt (a frame or a diagram), at the start before any packet', async () => {
    const byFrame = await runMarbles(pipe(marbleSource('abcdef|'), marbleSink()), { abortAt: 3 });
    expect(toDiagram(byFrame)).toBe('abc!');
    const byDiagram = await runMarbles(pipe(marbleSource('abcdef|'), marbleSink()), { abortAt: '--!' });
    expect(toDiagram(byDiagram)).toBe('ab!');
    const atStart = await runMarbles(pipe(marbleSource('abcdef|'), marbleSink()), { abortAt: 0 });
    expect(toDiagram(atStart)).toBe('!');
    expectTeardown(atStart, '(^!)');
  });

  it('asks for a graceful end-of-stream at eosAt: what is buffered still arrives', async () => {
    const log = await runMarbles(pipe(marbleSource('abcdefgh|'), queue(), marbleSink({ delay: 3 * MS })), { eosAt: '--|' });
    expect(log.outcome).toBe('eos');
    // a and b were produced before frame 2, c would have been produced at frame 2 itself.
    expect(toDiagram(log)).toBe('a--b--|');
  });

  it('detects a pipeline that can never move again (a diagram without end)', async () => {
    const log = await runMarbles(pipe(marbleSource('-a-b-'), marbleSink()));
    expect(log.outcome).toBe('stalled');
    expect(log.error).toBeInstanceOf(MarbleStallError);
    expect((log.error as MarbleStallError).time).toBe(3 * MS);
    expect(toDiagram(log)).toBe('-a-b');
    expectClosedOnce(log);
    // With an abort scheduled there is something to wait for: no stall.
    const aborted = await runMarbles(pipe(marbleSource('-a-'), marbleSink()), { abortAt: 5 });
    expect(aborted.outcome).toBe('abort');
    expect(toDiagram(aborted)).toBe('-a---!');
  });

  it('slows the sink by a fixed or per-packet delay', async () => {
    const fixed = await runMarbles(pipe(marbleSource('(abc|)'), marbleSink({ delay: 2 * MS })));
    expect(toDiagram(fixed)).toBe('a-b-c-|');
    const perPacket = await runMarbles(pipe(marbleSource('(abc|)'), marbleSink({ delay: (_p, i) => (i + 1) * MS })));
    expect(toDiagram(perPacket)).toBe('ab-c--|');
  });

  it('records demand: without a queue the source is pulled only when the sink is done', async () => {
    const log = await runMarbles(pipe(marbleSource('(abcd|)'), identity(), marbleSink({ delay: MS })));
    expect(demand(log)).toEqual([
      { time: 0, produced: 0, received: 0, ahead: 0 },
      { time: 1 * MS, produced: 1, received: 1, ahead: 0 },
      { time: 2 * MS, produced: 2, received: 2, ahead: 0 },
      { time: 3 * MS, produced: 3, received: 3, ahead: 0 },
      { time: 4 * MS, produced: 4, received: 4, ahead: 0 },
    ]);
    expect(maxAhead(log)).toBe(0);
    const queued = await runMarbles(pipe(marbleSource('(abcdefgh|)'), queue({ maxSizeBuffers: 4 }), marbleSink({ delay: MS })));
    expect(maxAhead(queued)).toBe(4);
    expectMaxAhead(queued, 4);
    expect(() => expectMaxAhead(queued, 3)).toThrow('4 packets ahead');
  });

  it('records every element’s close, also when the run fails to negotiate', async () => {
    const log = await runMarbles(pipe(marbleSource('a|', {}, { caps: 'video/x-raw' }), marbleSink({ caps: 'audio/x-raw' })));
    expect(log.outcome).toBe('error');
    expect(log.error).toBeInstanceOf(NegotiationError);
    expect(log.stats).toBeUndefined();
    expect(log.elements.map((e) => [e.name, e.opens.length])).toEqual([
      ['marbleSource0', 0],
      ['marbleSink0', 0],
    ]);
    expect(() => expectClosedOnce(log)).toThrow('marbleSource0: opened 0×, closed 0×');
  });

  it('collects element log messages instead of printing them', async () => {
    const chatty = defineTransform<Packet, Packet>({
      factory: 'chatty',
      props: {},
      sinkCaps: Caps.any(),
      srcCaps: Caps.any(),
      passthrough: true,
      open: (ctx, up) =>
        mapReader(up, (p) => {
          ctx.log('warn', `saw ${String(p.pts)}`);
          return p;
        }),
    });
    const log = await runMarbles(pipe(marbleSource('-a|'), chatty, marbleSink()));
    expect(log.messages).toEqual([{ time: MS, level: 'warn', element: 'chatty0', message: `saw ${MS}` }]);
  });

  it('runs the same pipeline again with fresh logs', async () => {
    const p = pipe(marbleSource('a-b|'), marbleSink());
    const first = await runMarbles(p);
    const second = await runMarbles(() => p);
    expect(toDiagram(second)).toBe('a-b|');
    expect(second.sinks.marbleSink0).not.toBe(first.sinks.marbleSink0);
    expect(second.sinks.marbleSink0.writes).toHaveLength(2);
  });

  it('needs runMarbles for ! (a plain run cannot be aborted by the source)', async () => {
    const run = pipe(marbleSource('a!'), marbleSink()).run({ clock: new VirtualClock() });
    await expect(run).rejects.toBeInstanceOf(ElementError);
    await expect(run).rejects.toThrow('needs runMarbles');
  });
});

describe('assertions', () => {
  it('fail with the expected and actual diagrams', async () => {
    const log = await runMarbles(pipe(marbleSource('-a-|'), marbleSink()));
    expectDiagram(log, '-a- |');
    let err: unknown;
    try {
      expectDiagram(log, '-a|');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MarbleAssertionError);
    expect(err).toMatchObject({ expected: '-a|', actual: '-a-|' });
    expect(() => expectTeardown(log, '^-!')).toThrow("teardown of marbleSource0: expected '^-!', got '^--!'");
    expectTeardown(log, { marbleSink0: '^--!' });
    expect(teardownDiagram(log, 'marbleSink0')).toBe('^--!');
  });

  it('name which sink or source when there are several', async () => {
    const log = await runMarbles(pipe(marbleSource('a|'), marbleSink()));
    expect(() => toDiagram(log, { sink: 'nope' })).toThrow("no marble sink named 'nope'");
    expect(toDiagram(log, { source: 'marbleSource0' })).toBe('a|');
  });

  it('see elements closed twice or never', () => {
    const log: MarbleLog = {
      frame: MS,
      baseTime: 0,
      endTime: 2 * MS,
      outcome: 'eos',
      error: undefined,
      stats: undefined,
      sources: {},
      sinks: {},
      elements: [
        { name: 'x', factory: 'x', opens: [0], closes: [MS, 2 * MS] },
        { name: 'y', factory: 'y', opens: [0], closes: [] },
      ],
      messages: [],
      pipeline: '',
    };
    expect(teardownDiagram(log, 'x')).toBe('^!!');
    expect(teardownDiagram(log, 'y')).toBe('^');
    expect(() => expectClosedOnce(log)).toThrow('x: opened 1×, closed 2×; y: opened 1×, closed 0×');
  });
});
