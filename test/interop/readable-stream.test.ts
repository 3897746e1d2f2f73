import { describe, expect, it } from 'vitest';
import { ElementError, isAbortError, newAbortController, packet, pipe, type Packet } from '../../src';
import { fromReadableStream, toReadableStream } from '../../src/interop';
import { fakeSink, identity, queue } from '../../operators';
import { CAPS, countingSrc, pkt, Probe, probe, ptsOf, range, tick } from './helpers';

/** A pull-based stream of `n` packets (highWaterMark 0: no read-ahead) that counts pulls and cancels. */
function packetStream(n: number, state = { pulls: 0, cancels: 0, reason: undefined as unknown }) {
  let i = 0;
  const stream = new ReadableStream<Packet>(
    {
      pull(c) {
        state.pulls++;
        if (i < n) c.enqueue(pkt(i++));
        else c.close();
      },
      cancel(reason) {
        state.cancels++;
        state.reason = reason;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

async function readAll<T>(stream: ReadableStream<T>): Promise<T[]> {
  const reader = stream.getReader();
  const out: T[] = [];
  for (;;) {
    const r = await reader.read();
    if (r.done) return out;
    out.push(r.value);
  }
}

const collect = () => {
  const out: Packet[] = [];
  return { out, sink: fakeSink({ onPacket: (p) => void out.push(p) }) };
};

describe('fromReadableStream', () => {
  it('reads every chunk in order through identity and queue; stream end is end-of-stream', async () => {
    const { stream, state } = packetStream(30);
    const { out, sink } = collect();
    await pipe(fromReadableStream(stream), identity(), queue(), sink).run();
    expect(ptsOf(out)).toEqual(range(30));
    expect(state.cancels).toBe(0);
    expect(stream.locked).toBe(false);
  });

  it('maps chunks to packets with mapToPacket', async () => {
    const bytes = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 3; i++) c.enqueue(new Uint8Array([i, i]));
        c.close();
      },
    });
    const { out, sink } = collect();
    await pipe(fromReadableStream(bytes, { caps: CAPS, mapToPacket: (b: Uint8Array, ctx) => packet({ caps: ctx.caps, pts: ctx.index, duration: b.length }) }), sink).run();
    expect(out.map((p) => [p.pts, p.duration])).toEqual([
      [0, 2],
      [1, 2],
      [2, 2],
    ]);
  });

  it('reads one chunk per pull: a slow sink keeps the stream in step', async () => {
    const { stream, state } = packetStream(20);
    let delivered = 0;
    let maxAhead = 0;
    const sink = fakeSink({
      onPacket: async () => {
        delivered++;
        maxAhead = Math.max(maxAhead, state.pulls - delivered);
        await tick();
      },
    });
    await pipe(fromReadableStream(stream), sink).run();
    expect(delivered).toBe(20);
    expect(maxAhead).toBe(0);
  });

  it('cancels the stream once when the pipeline ends early', async () => {
    const { stream, state } = packetStream(100);
    await pipe(fromReadableStream(stream), identity({ eosAfter: 3 }), fakeSink()).run();
    expect(state.cancels).toBe(1);
    expect(stream.locked).toBe(false);
  });

  it('cancels the stream once, with the abort reason, when the pipeline is aborted', async () => {
    const { stream, state } = packetStream(100);
    const ac = newAbortController();
    const sink = fakeSink({ onPacket: (p) => void (p.pts === 2 && ac.abort()) });
    const err = await pipe(fromReadableStream(stream), sink).run({ signal: ac.signal }).catch((e) => e);
    expect(isAbortError(err)).toBe(true);
    expect(state.cancels).toBe(1);
    expect(isAbortError(state.reason)).toBe(true);
  });

  it('stops waiting on a read that never resolves at abort, cancelling the stream', async () => {
    let cancels = 0;
    const silent = new ReadableStream<Packet>({ cancel: () => void cancels++ }, { highWaterMark: 0 });
    const ac = newAbortController();
    const running = pipe(fromReadableStream(silent), fakeSink()).start({ signal: ac.signal });
    await tick();
    ac.abort();
    expect(isAbortError(await running.done.catch((e) => e))).toBe(true);
    expect(cancels).toBe(1);
  });

  it('a stream error fails the pipeline after the chunks before it', async () => {
    const boom = new Error('socket reset');
    let i = 0;
    const failing = new ReadableStream<Packet>({
      pull(c) {
        if (i < 2) c.enqueue(pkt(i++));
        else c.error(boom);
      },
    });
    const p = new Probe();
    const { out, sink } = collect();
    const err = await pipe(fromReadableStream(failing), probe(p), sink).run().catch((e) => e);
    expect(err).toBeInstanceOf(ElementError);
    expect(err.cause).toBe(boom);
    expect(ptsOf(out)).toEqual([0, 1]);
    expect(p.closes).toBe(1);
  });
});

describe('toReadableStream', () => {
  it('streams every packet in order, closing after every element has closed', async () => {
    const src = new Probe();
    const out = await readAll(toReadableStream(pipe(countingSrc(src, 40), identity(), queue())));
    expect(ptsOf(out)).toEqual(range(40));
    expect(src.closes).toBe(1);
  });

  it('does not start the chain before the first read (highWaterMark 0)', async () => {
    const src = new Probe();
    const stream = toReadableStream(countingSrc(src, 3));
    await tick();
    expect(src.opens).toBe(0);
    await readAll(stream);
    expect(src.opens).toBe(1);
  });

  it('backpressure: the source is pulled once per read (highWaterMark 0)', async () => {
    const src = new Probe();
    const reader = toReadableStream(pipe(countingSrc(src, 30), identity())).getReader();
    let reads = 0;
    let maxAhead = 0;
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      reads++;
      await tick();
      await tick();
      maxAhead = Math.max(maxAhead, src.pulls - reads);
    }
    expect(reads).toBe(30);
    expect(maxAhead).toBe(0);
  });

  it('backpressure: highWaterMark 1 reads exactly one packet ahead', async () => {
    const src = new Probe();
    const reader = toReadableStream(countingSrc(src, 30), { highWaterMark: 1 }).getReader();
    let reads = 0;
    const ahead = new Set<number>();
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      reads++;
      await tick();
      await tick();
      if (reads < 30) ahead.add(src.pulls - reads);
    }
    expect(reads).toBe(30);
    expect([...ahead]).toEqual([1]);
  });

  it('cancel aborts the run and resolves once every element has closed', async () => {
    const src = new Probe();
    const mid = new Probe();
    const reader = toReadableStream(pipe(countingSrc(src), probe(mid))).getReader();
    await reader.read();
    await reader.read();
    await reader.cancel('not interested');
    expect([src.closes, mid.closes]).toEqual([1, 1]);
    expect(src.pulls).toBe(2);
    expect(await reader.read()).toEqual({ done: true, value: undefined });
  });

  it('a run error errors the stream', async () => {
    const mid = new Probe();
    const reader = toReadableStream(pipe(countingSrc(new Probe(), 100), identity({ errorAfter: 3 }), probe(mid))).getReader();
    const got: Packet[] = [];
    const err = await (async () => {
      for (;;) {
        const r = await reader.read();
        if (r.done) return 'done';
        got.push(r.value);
      }
    })().catch((e) => e);
    expect(err).toBeInstanceOf(ElementError);
    expect(err.message).toMatch(/error-after=3 reached/);
    expect(got.length).toBe(3);
    expect(mid.closes).toBe(1);
  });

  it('aborting runOptions.signal errors the stream', async () => {
    const ac = newAbortController();
    const reader = toReadableStream(countingSrc(new Probe()), { signal: ac.signal }).getReader();
    await reader.read();
    ac.abort();
    expect(isAbortError(await reader.read().catch((e) => e))).toBe(true);
  });

  it('composes with pipeThrough and round-trips through fromReadableStream', async () => {
    const { stream } = packetStream(25);
    const doubled = toReadableStream(pipe(fromReadableStream(stream), identity())).pipeThrough(
      new TransformStream<Packet, Packet>({ transform: (p, c) => c.enqueue(packet({ caps: p.caps, pts: p.pts! * 2 })) }),
    );
    const { out, sink } = collect();
    await pipe(fromReadableStream(doubled), sink).run();
    expect(ptsOf(out)).toEqual(range(25).map((x) => x * 2));
  });
});
