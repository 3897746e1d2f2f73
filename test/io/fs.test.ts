import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Caps, defineTransform, ElementError, EOS, pipe, VirtualClock, type Transform } from '../../src';
import { identity, queue } from '../../operators';
import { fileSink } from '../../operators/file-sink';
import { fileSrc, type FileSrcPacket } from '../../operators/file-src';
import { videoTestSrc } from '../../operators/video-test-src';
import { FileOpenError, getFileOpener, setFileOpener } from '../../src/io';
import { frameLayout } from '../../src/video';
import { installNodeFileOpener, nodeFileOpener, nodeFileSink, nodeFileSrc, openFileSource, openFileTarget, READ_AHEAD_BYTES, readAhead } from '../../node/drivers/fs';
import { memorySource, type ByteSource } from '../../src/io/byte-source';
import { isPromiseLike } from '../../src/util/promise';
import { requirePeer } from '../peers';

requirePeer('ffprobe');

const dir = mkdtempSync(join(tmpdir(), 'g2g-fs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = (name: string) => join(dir, name);

/** Descriptors of this process open on files under the temp dir (Linux: /proc/self/fd). */
function openInDir(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) out.push(target);
    } catch {
      // The descriptor readdir itself used is gone by now.
    }
  }
  return out;
}
afterEach(() => expect(openInDir()).toEqual([]));

describe('Node files', () => {
  it('copies a random 1 MiB file byte-exactly through fileSrc ! queue ! fileSink, in 64 KiB packets', async () => {
    const data = randomBytes(1 << 20);
    writeFileSync(path('in.bin'), data);
    const sizes: number[] = [];
    await pipe(nodeFileSrc(path('in.bin')), identity<FileSrcPacket>(), queue<FileSrcPacket>(), fakeSizes(sizes), nodeFileSink(path('out.bin'))).run();
    expect(readFileSync(path('out.bin')).equals(data)).toBe(true);
    expect(sizes).toEqual(new Array(16).fill(65536));
  });

  it('copies with an odd blocksize and a short last packet', async () => {
    const data = randomBytes(100_001);
    writeFileSync(path('odd.bin'), data);
    const sizes: number[] = [];
    await pipe(nodeFileSrc(path('odd.bin'), { blocksize: 4096 }), queue<FileSrcPacket>(), fakeSizes(sizes), nodeFileSink(path('odd-out.bin'))).run();
    expect(readFileSync(path('odd-out.bin')).equals(data)).toBe(true);
    expect(sizes.length).toBe(Math.ceil(100_001 / 4096));
    expect(sizes.at(-1)).toBe(100_001 % 4096);
  });

  it('a missing file fails the run with an error naming the path, and leaves nothing open', async () => {
    const missing = path('nope/missing.h264');
    const run = pipe(nodeFileSrc(missing, { name: 'in' }), nodeFileSink(path('never.bin'))).run();
    await expect(run).rejects.toBeInstanceOf(ElementError);
    await expect(run).rejects.toThrow(`in failed: cannot open '${missing}' for reading: ENOENT: no such file or directory`);
    const cause = await run.catch((e: ElementError) => e.cause);
    expect(cause).toBeInstanceOf(FileOpenError);
    expect(cause).toMatchObject({ location: missing, mode: 'read', code: 'ENOENT' });
    // The sink never opened its file: nothing arrived.
    expect(() => statSync(path('never.bin'))).toThrow();
  });

  it('a directory, or a file in a missing directory, is a FileOpenError too', async () => {
    await expect(openFileSource(dir)).rejects.toMatchObject({ name: 'FileOpenError', code: 'EISDIR', message: `cannot open '${dir}' for reading: EISDIR: illegal operation on a directory` });
    const bad = path('missing-dir/out.bin');
    writeFileSync(path('small.bin'), randomBytes(10));
    const run = pipe(nodeFileSrc(path('small.bin')), nodeFileSink(bad, { name: 'out' })).run();
    await expect(run).rejects.toThrow(`out failed: cannot open '${bad}' for writing: ENOENT: no such file or directory`);
  });

  it('closes both files when the pipeline fails midway, keeping what was written', async () => {
    writeFileSync(path('err-in.bin'), randomBytes(50_000));
    const run = pipe(nodeFileSrc(path('err-in.bin'), { blocksize: 1000 }), identity({ errorAfter: 7 }), nodeFileSink(path('err-out.bin'))).run();
    await expect(run).rejects.toBeInstanceOf(ElementError);
    expect(statSync(path('err-out.bin')).size).toBe(7000);
  });

  it('closes both files when the pipeline is aborted mid-stream', async () => {
    writeFileSync(path('abort-in.bin'), randomBytes(4 << 20));
    const ac = new AbortController();
    let n = 0;
    const tap = identityTap(() => {
      if (++n === 5) ac.abort(new Error('stop'));
      expect(openInDir().length).toBe(n === 1 ? 1 : 2); // the sink opens its file at the first write
    });
    const run = pipe(nodeFileSrc(path('abort-in.bin')), queue<FileSrcPacket>(), tap, nodeFileSink(path('abort-out.bin'))).run({ signal: ac.signal });
    await expect(run).rejects.toThrow('stop');
    expect(statSync(path('abort-out.bin')).size % 65536).toBe(0);
  });

  it('an empty stream makes an empty file; append adds to an existing one', async () => {
    await pipe(videoTestSrc({ numBuffers: 0 }), nodeFileSink(path('empty.yuv'))).run();
    expect(statSync(path('empty.yuv')).size).toBe(0);
    writeFileSync(path('log.bin'), Buffer.from('ab'));
    writeFileSync(path('tail.bin'), Buffer.from('cd'));
    await pipe(nodeFileSrc(path('tail.bin')), nodeFileSink(path('log.bin'), { append: true })).run();
    expect(readFileSync(path('log.bin'), 'utf8')).toBe('abcd');
    await pipe(nodeFileSrc(path('tail.bin')), nodeFileSink(path('log.bin'))).run();
    expect(readFileSync(path('log.bin'), 'utf8')).toBe('cd');
  });

  it('fileSrc/fileSink with a location open files once the Node opener is installed', async () => {
    const previous = installNodeFileOpener();
    try {
      expect(getFileOpener()).toBe(nodeFileOpener);
      writeFileSync(path('loc.bin'), Buffer.from('hello'));
      await pipe(fileSrc({ location: path('loc.bin') }), fileSink({ location: path('loc-out.bin') })).run();
      expect(readFileSync(path('loc-out.bin'), 'utf8')).toBe('hello');
    } finally {
      setFileOpener(previous);
    }
  });

  it('videoTestSrc ! fileSink writes raw NV12 that FFmpeg reads frame for frame', async () => {
    const file = path('bars.nv12');
    await pipe(videoTestSrc({ numBuffers: 3, format: 'NV12', width: 321, height: 241, overlay: 'frame' }), nodeFileSink(file)).run({ clock: new VirtualClock() });
    const size = frameLayout('NV12', 321, 241).size;
    expect(statSync(file).size).toBe(3 * size);
    const frames = execFileSync('ffprobe', ['-v', 'error', '-f', 'rawvideo', '-pixel_format', 'nv12', '-video_size', '321x241', '-count_frames', '-show_entries', 'stream=nb_read_frames,width,height', '-of', 'csv=p=0', file], { encoding: 'utf8' });
    expect(frames.trim()).toBe('321,241,3');
  });
});

describe('openFileTarget (gathered writes)', () => {
  const signal = new AbortController().signal;

  it('writes a lone chunk without waiting for more (no added latency for live streams)', async () => {
    const t = await openFileTarget(path('live.bin'));
    await t.write(new Uint8Array([1, 2, 3]), signal);
    await new Promise((r) => setTimeout(r, 200));
    expect([...readFileSync(path('live.bin'))]).toEqual([1, 2, 3]);
    await t.close();
  });

  it('gathers a burst of chunks, and splits a big one into parallel positional writes: every byte in place', async () => {
    const chunks = Array.from({ length: 1500 }, (_, i) => randomBytes(1 + ((i * 7919) % 20000)));
    const t = await openFileTarget(path('burst.bin'));
    for (const c of chunks) await t.write(c, signal); // resolves at once: nothing waits below 16 MiB
    await t.write(new Uint8Array(0), signal);
    await t.close();
    expect(Buffer.compare(readFileSync(path('burst.bin')), Buffer.concat(chunks))).toBe(0);
    // Appending goes to the end whatever the sizes (no positions).
    const a = await openFileTarget(path('burst.bin'), { append: true });
    const more = randomBytes(5 << 20);
    await a.write(more, signal);
    await a.close();
    expect(Buffer.compare(readFileSync(path('burst.bin')), Buffer.concat([...chunks, more]))).toBe(0);
  });

  it('writes to a device (no positions) and reports a failed write at close, closing the file once', async () => {
    const dev = await openFileTarget('/dev/null');
    await dev.write(randomBytes(5 << 20), signal);
    await dev.close();
    const full = await openFileTarget('/dev/full');
    await full.write(new Uint8Array(10), signal);
    await expect(full.close()).rejects.toThrow(/ENOSPC/);
    await full.close(); // already closed: nothing happens
  });

  it('abort writes what was accepted, then closes', async () => {
    const t = await openFileTarget(path('aborted.bin'));
    await t.write(new Uint8Array(7000).fill(7), signal);
    await t.write(new Uint8Array(3000).fill(3), signal);
    await t.abort?.();
    expect(statSync(path('aborted.bin')).size).toBe(10000);
    await expect(Promise.resolve().then(() => t.write(new Uint8Array(1), signal))).rejects.toThrow(/after close/);
  });
});

describe('readAhead', () => {
  const signal = new AbortController().signal;

  /** A source whose reads return at most `shortBy` fewer bytes than asked (short reads), recording the sizes asked. */
  function recording(bytes: Uint8Array, asked: number[], short: number[] = []): ByteSource {
    const inner = memorySource(bytes);
    let i = 0;
    return {
      size: inner.size,
      read: async (max, s) => {
        asked.push(max);
        const cut = short.length ? Math.min(max - 1, short[i++ % short.length]) : 0;
        return inner.read(max - cut, s);
      },
      close: () => undefined,
    };
  }

  it('any read sizes and short reads: the same bytes in order, each read 1..max, the inner source asked for >= minRead', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5000 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 900 }), { maxLength: 4 }),
        fc.integer({ min: 1, max: 1500 }),
        async (size, maxes, short, minRead) => {
          const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff);
          const asked: number[] = [];
          const ra = readAhead(recording(bytes, asked, short), minRead);
          const got: number[] = [];
          for (let k = 0; ; k++) {
            const max = maxes[k % maxes.length];
            const c = await ra.read(max, signal);
            if (c === null) break;
            expect(c.byteLength).toBeGreaterThanOrEqual(1);
            expect(c.byteLength).toBeLessThanOrEqual(max);
            got.push(...c);
          }
          expect(got).toEqual([...bytes]);
          expect(await ra.read(10, signal)).toBeNull();
          for (const a of asked) expect(a).toBeGreaterThanOrEqual(minRead);
          await ra.close();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('small reads are views of one big read, handed out without waiting; one read in flight', async () => {
    const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => i & 0xff);
    const asked: number[] = [];
    const ra = readAhead(recording(bytes, asked), 4096);
    const first = await ra.read(1000, signal);
    expect(asked).toEqual([4096, 4096]); // this block and the next, already under way
    const second = ra.read(1000, signal);
    expect(isPromiseLike(second)).toBe(false);
    const s = second as Uint8Array;
    // Adjacent views of one buffer: a parser joins a unit spanning them without copying.
    expect(s.buffer).toBe(first!.buffer);
    expect(s.byteOffset).toBe(first!.byteOffset + 1000);
    expect(asked.length).toBe(2);
    await ra.close();

    const throwing: ByteSource = { read: () => { throw new Error('bad handle'); }, close: () => undefined };
    await expect(Promise.resolve().then(() => readAhead(throwing).read(10, signal))).rejects.toThrow('bad handle');
    const rejected = readAhead(throwing).read(10, signal);
    expect(isPromiseLike(rejected)).toBe(true);
    await expect(rejected).rejects.toThrow('bad handle');
  });

  it('a 64 KiB fileSrc over the Node opener reads the file in READ_AHEAD_BYTES blocks, packets being views of them', async () => {
    const data = randomBytes(READ_AHEAD_BYTES + 300_000);
    writeFileSync(path('blocks.bin'), data);
    const buffers = new Set<ArrayBufferLike>();
    const chunks: Uint8Array[] = [];
    await pipe(
      nodeFileSrc(path('blocks.bin')),
      identityTap((p) => {
        expect(p.memory.data.byteLength).toBeLessThanOrEqual(64 * 1024);
        buffers.add(p.memory.data.buffer);
        chunks.push(p.memory.data);
      }),
      nodeFileSink(path('blocks-out.bin')),
    ).run();
    expect(buffers.size).toBe(2);
    expect(chunks.length).toBe(Math.ceil(READ_AHEAD_BYTES / 65536) + Math.ceil(300_000 / 65536));
    expect(readFileSync(path('blocks-out.bin')).equals(data)).toBe(true);
  });
});

/** A pass-through that records payload sizes. */
function fakeSizes(sizes: number[]): Transform<FileSrcPacket, FileSrcPacket> {
  return identityTap((p) => void sizes.push(p.memory.data.byteLength));
}

function identityTap(fn: (p: FileSrcPacket) => void): Transform<FileSrcPacket, FileSrcPacket> {
  return defineTransform<FileSrcPacket, FileSrcPacket>({
    factory: 'tap',
    props: {},
    sinkCaps: Caps.any(),
    srcCaps: Caps.any(),
    passthrough: true,
    open: (_ctx, up) => ({
      pull: async (signal) => {
        const p = await up.pull(signal);
        if (p !== EOS) fn(p);
        return p;
      },
    }),
  });
}
