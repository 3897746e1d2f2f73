import { describe, expect, it } from 'vitest';
import { iterableSource, memorySource, memoryTarget, readableStreamSource, toByteSource, toByteTarget, writableStreamTarget, type ByteSource } from '../../src/io';

const signal = new AbortController().signal;
const bytes = (n: number, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

async function readAll(s: ByteSource, max: number): Promise<number[]> {
  const sizes: number[] = [];
  for (;;) {
    const c = await s.read(max, signal);
    if (c === null) return sizes;
    sizes.push(c.byteLength);
  }
}

describe('byte sources', () => {
  it('memorySource reads views of at most maxBytes, then null', async () => {
    const data = bytes(10);
    const s = memorySource(data);
    const a = s.read(4, signal) as Uint8Array;
    expect(a.buffer).toBe(data.buffer);
    expect([...a]).toEqual([...data.subarray(0, 4)]);
    expect(await readAll(s, 4)).toEqual([4, 2]);
    expect(s.size).toBe(10);
    await s.close();
    expect(() => s.read(4, signal)).toThrow(/after close/);
    expect(() => memorySource(data).read(0, signal)).toThrow(RangeError);
  });

  it('readableStreamSource splits big chunks, skips empty ones, and reads only when its chunk is used up', async () => {
    let pulls = 0;
    const chunks = [bytes(10), new Uint8Array(0), bytes(3)];
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          pulls++;
          const next = chunks.shift();
          if (next) c.enqueue(next);
          else c.close();
        },
      },
      { highWaterMark: 0 },
    );
    const s = readableStreamSource(stream);
    expect(pulls).toBe(0);
    expect((await s.read(4, signal))!.byteLength).toBe(4);
    expect(pulls).toBe(1);
    expect(await readAll(s, 4)).toEqual([4, 2, 3]);
    await s.close();
  });

  it('readableStreamSource cancels a stream that has not ended, with the reason, even mid-read', async () => {
    let cancelled: unknown = 'no';
    const stream = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => undefined), cancel: (r) => void (cancelled = r) });
    const s = readableStreamSource(stream);
    const ac = new AbortController();
    const pending = s.read(10, ac.signal) as Promise<Uint8Array | null>;
    ac.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    await s.close('why');
    expect(cancelled).toBe('why');
    // The lock is released: the stream can be read by someone else (it is cancelled, so it is done).
    expect(await stream.getReader().read()).toEqual({ done: true, value: undefined });
  });

  it('iterableSource reads async and sync iterables, and returns an unfinished iterator on close', async () => {
    let finished = false;
    async function* gen() {
      try {
        yield bytes(5);
        yield bytes(5);
      } finally {
        finished = true;
      }
    }
    const s = iterableSource(gen());
    expect((await s.read(3, signal))!.byteLength).toBe(3);
    await s.close();
    expect(finished).toBe(true);
    expect(await readAll(iterableSource([bytes(2), bytes(7)]), 4)).toEqual([2, 4, 3]);
    await expect(readAll(iterableSource([1, 2] as never), 4)).rejects.toThrow(/expected Uint8Array chunks, got number/);
  });

  it('toByteSource takes every accepted input and names the rest', async () => {
    expect(await readAll(toByteSource(bytes(5)), 2)).toEqual([2, 2, 1]);
    expect(await readAll(toByteSource(bytes(5).buffer), 8)).toEqual([5]);
    expect(await readAll(toByteSource(new Blob([bytes(6)]).stream()), 4)).toEqual([4, 2]);
    const own = memorySource(bytes(1));
    expect(toByteSource(own)).toBe(own);
    expect(() => toByteSource(42 as never)).toThrow(/expected a ByteSource, ReadableStream/);
  });
});

describe('byte targets', () => {
  it('memoryTarget keeps chunks by reference and refuses writes after close', async () => {
    const t = memoryTarget();
    const a = bytes(3);
    await t.write(a, signal);
    await t.write(bytes(2, 9), signal);
    expect(t.chunks[0]).toBe(a);
    expect([...t.bytes()]).toEqual([...a, ...bytes(2, 9)]);
    await t.close();
    expect(t.state).toBe('closed');
    expect(() => t.write(a, signal)).toThrow(/write after close/);
  });

  it('writableStreamTarget waits for backpressure, flushes, closes, and aborts with the reason', async () => {
    const got: number[] = [];
    let release!: () => void;
    const stream = new WritableStream<Uint8Array>(
      { write: (c) => new Promise<void>((r) => (release = () => (got.push(c.byteLength), r()))) },
      { highWaterMark: 1 },
    );
    const t = writableStreamTarget(stream);
    await t.write(bytes(1), signal);
    let second = false;
    const w2 = Promise.resolve(t.write(bytes(2), signal)).then(() => (second = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(second).toBe(false); // the first chunk is still being written: the stream is full
    release();
    await w2;
    release();
    await t.flush!(signal);
    expect(got).toEqual([1, 2]);
    await t.close();
    let reason: unknown;
    const t2 = toByteTarget(new WritableStream<Uint8Array>({ abort: (r) => void (reason = r) }));
    await t2.write(bytes(1), signal);
    await t2.abort!('gone');
    expect(reason).toBe('gone');
    expect(() => toByteTarget({} as never)).toThrow(/expected a ByteTarget or a WritableStream/);
  });
});
