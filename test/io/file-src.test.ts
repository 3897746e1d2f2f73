import { describe, expect, it } from 'vitest';
import { Caps, defineTransform, EOS, ElementError, pipe, VirtualClock, type Packet } from '../../src';
import { capsFilter, fakeSink, identity, queue } from '../../operators';
import { fileSrc, type FileSrcPacket } from '../../operators/file-src';
import { fileSink } from '../../operators/file-sink';
import { memorySource, memoryTarget, setFileOpener, NoFileOpenerError, type ByteSource, type FileOpener } from '../../src/io';

const random = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 24);

/** A memory source that counts reads and closes. */
function counted(data: Uint8Array) {
  const inner = memorySource(data);
  const stats = { reads: 0, closes: 0 };
  const source: ByteSource = {
    read(max, signal) {
      stats.reads++;
      return Promise.resolve(inner.read(max, signal));
    },
    close() {
      stats.closes++;
    },
  };
  return { source, stats };
}

async function collect(src: ReturnType<typeof fileSrc>): Promise<FileSrcPacket[]> {
  const out: FileSrcPacket[] = [];
  await pipe(src, fakeSink<FileSrcPacket>({ onPacket: (p) => void out.push(p) })).run({ clock: new VirtualClock() });
  return out;
}

describe('fileSrc', () => {
  it('reads blocksize chunks (64 KiB by default) as application/octet-stream packets with their offsets', async () => {
    const data = random(150_000);
    const ps = await collect(fileSrc({ source: data }));
    expect(ps.map((p) => p.memory.data.byteLength)).toEqual([65536, 65536, 150_000 - 131072]);
    expect(ps.map((p) => p.meta.offset)).toEqual([0, 65536, 131072]);
    expect(ps[0].caps.toString()).toBe('application/octet-stream');
    expect(ps[0].pts).toBeUndefined();
    const small = await collect(fileSrc({ source: data, blocksize: 4096 }));
    expect(small).toHaveLength(Math.ceil(150_000 / 4096));
    expect(Buffer.concat(small.map((p) => p.memory.data)).equals(Buffer.from(data))).toBe(true);
  });

  it('reads once per pull: never ahead of its consumer', async () => {
    const { source, stats } = counted(random(10_000));
    const seen: number[] = [];
    await pipe(
      fileSrc({ source, blocksize: 1000 }),
      fakeSink<FileSrcPacket>({
        onPacket: async () => {
          seen.push(stats.reads);
          await new Promise((r) => setTimeout(r, 1));
        },
      }),
    ).run();
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(stats.reads).toBe(11); // the last read found the end
    expect(stats.closes).toBe(1);
  });

  it('numBuffers ends the stream early, and the source is still closed once', async () => {
    const { source, stats } = counted(random(10_000));
    const ps = await collect(fileSrc({ source, blocksize: 1000, numBuffers: 3 }));
    expect(ps).toHaveLength(3);
    expect(stats).toEqual({ reads: 3, closes: 1 });
  });

  it('closes the source exactly once when the pipeline fails or is aborted', async () => {
    const a = counted(random(10_000));
    const failing = pipe(fileSrc({ source: a.source, blocksize: 100 }), identity({ errorAfter: 2 }), fakeSink()).run();
    await expect(failing).rejects.toBeInstanceOf(ElementError);
    expect(a.stats.closes).toBe(1);
    const b = counted(random(100_000));
    const ac = new AbortController();
    const aborted = pipe(fileSrc({ source: b.source, blocksize: 100 }), queue(), fakeSink({ onPacket: () => void (b.stats.reads > 50 && ac.abort(new Error('enough'))) })).run({ signal: ac.signal });
    await expect(aborted).rejects.toThrow('enough');
    expect(b.stats.closes).toBe(1);
  });

  it('accepts ReadableStreams, async iterables and factories (a factory per run, so it can run again)', async () => {
    const data = random(3000);
    const fromStream = await collect(fileSrc({ source: new Blob([data]).stream(), blocksize: 1024 }));
    expect(fromStream.map((p) => p.memory.data.byteLength)).toEqual([1024, 1024, 952]);
    async function* chunks() {
      yield data.subarray(0, 10);
      yield data.subarray(10);
    }
    expect((await collect(fileSrc({ source: chunks(), blocksize: 2000 }))).map((p) => p.memory.data.byteLength)).toEqual([10, 2000, 990]);
    const again = fileSrc({ source: () => memorySource(data), blocksize: 2000 });
    expect(await collect(again)).toHaveLength(2);
    expect(await collect(again)).toHaveLength(2);
  });

  it('outputs the caps it is given, fixated against downstream', async () => {
    const [p] = await collect(fileSrc({ source: random(10), caps: 'video/x-h264, stream-format=byte-stream' }));
    expect(p.caps.toString()).toBe('video/x-h264, stream-format=(string)byte-stream');
    const out: Packet[] = [];
    await pipe(fileSrc({ source: random(10), caps: 'video/x-h264' }), capsFilter('video/x-h264, alignment={au, nal}'), fakeSink({ onPacket: (q) => void out.push(q) })).run();
    expect(out[0].caps.toString()).toBe('video/x-h264, alignment=(string)au');
  });

  it('opens a location through the installed opener, or fails naming the location', async () => {
    const opened: string[] = [];
    const opener: FileOpener = {
      openRead: async (loc) => {
        opened.push(loc);
        return memorySource(random(5));
      },
      openWrite: async () => memoryTarget(),
    };
    const previous = setFileOpener(undefined);
    try {
      const run = pipe(fileSrc({ location: 'in.h264', name: 'src' }), fakeSink()).run();
      await expect(run).rejects.toThrow(/src .*no file opener is installed to open 'in\.h264'/);
      await expect(run).rejects.toMatchObject({ cause: expect.any(NoFileOpenerError) });
      setFileOpener(opener);
      expect(await collect(fileSrc({ location: 'in.h264' }))).toHaveLength(1);
      expect(opened).toEqual(['in.h264']);
    } finally {
      setFileOpener(previous);
    }
  });

  it('validates its options', () => {
    expect(() => fileSrc({} as never)).toThrow(/exactly one of location or source/);
    expect(() => fileSrc({ location: 'a', source: random(1) })).toThrow(/exactly one/);
    expect(() => fileSrc({ source: random(1), blocksize: 0 })).toThrow(/blocksize/);
    expect(() => fileSrc({ source: random(1), caps: 'ANY' })).toThrow(/caps must name a format/);
  });
});

describe('fileSink (memory target)', () => {
  it('writes payloads in order, skips empty packets, and closes the target at end-of-stream', async () => {
    const data = random(5000);
    const t = memoryTarget();
    await pipe(fileSrc({ source: data, blocksize: 700 }), queue(), fileSink({ target: t })).run();
    expect(Buffer.from(t.bytes()).equals(Buffer.from(data))).toBe(true);
    expect(t.chunks).toHaveLength(8);
    expect(t.state).toBe('closed');
  });

  it('aborts the target on error, and refuses non-CPU memory naming itself', async () => {
    const t = memoryTarget();
    const run = pipe(fileSrc({ source: random(5000), blocksize: 700 }), identity({ errorAfter: 3 }), fileSink({ target: t })).run();
    await expect(run).rejects.toBeInstanceOf(ElementError);
    expect(t.state).toBe('aborted');
    expect(t.chunks).toHaveLength(3);
    // A transform handing GPU memory on, as when a download element is missing.
    const gpu = { domain: 'webgpu-buffer', buffer: { size: 4, destroy() {} }, byteLength: 4 } as const;
    const toGpu = defineTransform<Packet, Packet>({
      factory: 'toGpu',
      props: {},
      sinkCaps: Caps.any(),
      srcCaps: Caps.any(),
      passthrough: true,
      open: (_ctx, up) => ({
        pull: async (signal) => {
          const p = await up.pull(signal);
          return p === EOS ? p : { ...p, memory: gpu };
        },
      }),
    });
    const t2 = memoryTarget();
    await expect(pipe(fileSrc({ source: random(10) }), toGpu, fileSink({ target: t2, name: 'out' })).run()).rejects.toThrow(/out writes CPU memory; got webgpu-buffer memory/);
    expect(t2.state).toBe('aborted');
  });

  it('writes to a WritableStream', async () => {
    const got: Uint8Array[] = [];
    const data = random(3000);
    await pipe(fileSrc({ source: data, blocksize: 1000 }), fileSink({ target: new WritableStream<Uint8Array>({ write: (c) => void got.push(c) }) })).run();
    expect(Buffer.concat(got).equals(Buffer.from(data))).toBe(true);
  });

  it('validates its options', () => {
    expect(() => fileSink({} as never)).toThrow(/exactly one of location or target/);
    expect(() => fileSink({ location: '' })).toThrow(/non-empty/);
  });
});

describe('sources and targets handed over as objects', () => {
  it('are rejected when built if they are not byte sources/targets', () => {
    expect(() => fileSrc({ source: 42 as never })).toThrow(/expected a ByteSource/);
    expect(() => fileSink({ target: {} as never })).toThrow(/expected a ByteTarget/);
  });

  it('are released even when the run fails before they are used', async () => {
    const { source, stats } = counted(random(10));
    const t = memoryTarget();
    const failing = defineTransform<Packet, Packet>({ factory: 'failing', props: {}, sinkCaps: Caps.any(), srcCaps: Caps.any(), passthrough: true, open: () => ({ pull: () => Promise.reject(new Error('boom')) }) });
    await expect(pipe(fileSrc({ source }), failing, fileSink({ target: t })).run()).rejects.toThrow('boom');
    expect(stats).toEqual({ reads: 0, closes: 1 });
    expect(t.state).toBe('aborted');
  });
});
