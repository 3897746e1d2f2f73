import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { h264Dec } from '../../node/elements/h264-dec';
import type { NativeDecoder } from '../../node/native';
import { PropertyConflictError } from '../../src/descriptor';
import { encodeH264, readBytes } from '../fixtures/h264';
import { accessUnits, addon, decodeFile, ffmpegFrameMd5, md5, run } from './helpers';
import { defaultAddonPath } from '../../node/native/loader';
import { requirePeer } from '../peers';

requirePeer('native', 'ffmpeg');

/** Threads of this process (vitest runs each file in a process of its own). */
function processThreads(): number {
  return Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
}

/** Threads of this process whose name starts with `prefix` (the pool's are g2g-decpool-N). */
function namedThreads(prefix: string): number {
  return readdirSync('/proc/self/task').filter((t) => readFileSync(`/proc/self/task/${t}/comm`, 'utf8').startsWith(prefix)).length;
}

const POOL_SIZE = 3;
const STREAMS = 16;

/** Decodes every unit in turn (live: each unit's frame awaited), then finishes; the frames' MD5s. */
async function decodeAll(d: NativeDecoder, aus: readonly Uint8Array[], onUnit: () => void = () => undefined): Promise<string[]> {
  const md5s: string[] = [];
  for (let k = 0; k < aus.length; k++) {
    const pts = Math.round((k * 1e9) / 30);
    const r = await d.decode(aus[k], pts, pts, k === 0);
    for (const f of r.frames) md5s.push(md5(f.data));
    onUnit();
  }
  for (const f of (await d.finish()).frames) md5s.push(md5(f.data));
  return md5s;
}

describe('the shared decoder pool', () => {
  let path: string;
  let aus: Uint8Array[];
  let ref: string[];

  beforeAll(async () => {
    // A camera-like stream: 640x360, no B-frames, an AUD before each unit.
    path = await encodeH264({ profile: 'high', width: 640, height: 360, frames: 30, aud: true, gop: 15 });
    aus = accessUnits(readBytes(path));
    ref = await ffmpegFrameMd5(path);
    // Fixed, so that the limit below means the same on a 2-core and a 64-core machine.
    addon.setDecodePoolThreads(POOL_SIZE);
  });

  afterAll(() => addon.setDecodePoolThreads(0));

  it(`${STREAMS} live decoders share ${POOL_SIZE} threads, decode bit-exact concurrently, and leave no thread behind`, async () => {
    expect(aus).toHaveLength(30);
    // Warm-up: whatever Node or libavcodec start once per process is started before the baseline.
    const warm = new addon.NativeDecoder({ backend: 'software', live: true, pooled: true });
    expect(await decodeAll(warm, aus)).toEqual(ref);
    warm.close();

    const before = processThreads();
    const stats0 = addon.decodePoolStats();
    expect(stats0).toMatchObject({ size: POOL_SIZE, threads: 0, strands: 0 });
    const decoders = Array.from({ length: STREAMS }, () => new addon.NativeDecoder({ backend: 'software', live: true, pooled: true }));
    expect(decoders.every((d) => d.pooled)).toBe(true);
    expect(addon.decodePoolStats()).toMatchObject({ threads: POOL_SIZE, strands: STREAMS });
    expect(namedThreads('g2g-decpool')).toBe(POOL_SIZE);
    let peak = processThreads();
    const results = await Promise.all(decoders.map((d) => decodeAll(d, aus, () => (peak = Math.max(peak, processThreads())))));
    // Every stream decoded bit-exact with ffmpeg, all of them at once on the same few threads.
    for (const md5s of results) expect(md5s).toEqual(ref);
    expect(peak - before).toBeLessThanOrEqual(POOL_SIZE);
    expect(addon.decodePoolStats().jobsRun - stats0.jobsRun).toBe(STREAMS * (aus.length + 1));
    for (const d of decoders) d.close();
    expect(processThreads()).toBe(before);
    expect(addon.decodePoolStats()).toMatchObject({ threads: 0, strands: 0, queued: 0, running: 0 });
    expect(namedThreads('g2g-decpool')).toBe(0);

    // The measurement can fail: a thread each (the decoders before the pool) grows the count by at least one a stream.
    const own = Array.from({ length: STREAMS }, () => new addon.NativeDecoder({ backend: 'software', live: true }));
    expect(own.some((d) => d.pooled)).toBe(false);
    expect(processThreads() - before).toBeGreaterThanOrEqual(STREAMS);
    expect(await decodeAll(own[0], aus)).toEqual(ref);
    for (const d of own) d.close();
    expect(processThreads()).toBe(before);
  });

  it('a decoder with a deep backlog does not starve another: turns alternate on one thread', async () => {
    addon.setDecodePoolThreads(1);
    const busy = new addon.NativeDecoder({ backend: 'software', live: true, pooled: true });
    const other = new addon.NativeDecoder({ backend: 'software', live: true, pooled: true });
    try {
      // 60 units queued at once (the stream twice: its IDR restarts it), then one unit of the other decoder.
      const backlog = [...aus, ...aus].map((au, k) => busy.decode(au, k, k, k % 30 === 0));
      const waiting = addon.decodePoolStats().queued;
      const mine = await other.decode(aus[0], 0, 0, true);
      const turns = (await Promise.all(backlog)).map((r) => r.turn!);
      expect(turns.every((t, k) => k === 0 || t > turns[k - 1])).toBe(true);
      // Round-robin: the other's unit had the turn after the busy one's running unit; a first-come queue
      // would have run all the busy decoder's waiting units first. (`turn` is the order the pool started
      // units in; resolutions reach JS in no reliable order.)
      expect(waiting).toBeGreaterThan(10);
      const overtaken = turns.filter((t) => t > mine.turn!).length;
      expect(overtaken).toBeGreaterThanOrEqual(waiting - 2);
      expect(mine.waitMs).toBeGreaterThanOrEqual(0);
    } finally {
      busy.close();
      other.close();
      addon.setDecodePoolThreads(POOL_SIZE);
    }
  });

  it('close() cancels the queued units, lets the running one finish, and ends the threads', async () => {
    const d = new addon.NativeDecoder({ backend: 'software', live: true, pooled: true });
    const cancelled0 = addon.decodePoolStats().jobsCancelled;
    const results = aus.map((au, k) => d.decode(au, k, k, k === 0));
    d.close();
    const settled = await Promise.allSettled(results);
    const rejected = settled.filter((s) => s.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of rejected) expect(String((r as PromiseRejectedResult).reason)).toMatch(/decoder closed before this unit was decoded/);
    // Units that ran came first, in order: what was left was cancelled.
    const firstRejected = settled.findIndex((s) => s.status === 'rejected');
    expect(settled.slice(firstRejected).every((s) => s.status === 'rejected')).toBe(true);
    expect(addon.decodePoolStats().jobsCancelled - cancelled0).toBe(rejected.length);
    expect(addon.decodePoolStats()).toMatchObject({ threads: 0, strands: 0 });
    expect(d.closed).toBe(true);
    await expect(d.decode(aus[0], 0, 0, true)).rejects.toThrow(/after close/);
  });

  it('decoders collected without close() leave the pool: their finalizer closes them, queued units and all', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let settled = 0;
    (() => {
      for (let i = 0; i < 4; i++) {
        const d = new addon.NativeDecoder({ backend: 'software', live: true, pooled: true });
        for (let k = 0; k < 10; k++)
          void d.decode(aus[k], k, k, k === 0).then(
            () => void settled++,
            () => void settled++
          );
      }
    })();
    expect(addon.decodePoolStats().strands).toBe(4);
    // Collection is not immediate (finalizers run after a collection, between turns): a bounded retry.
    for (let i = 0; i < 50 && addon.decodePoolStats().strands > 0; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(addon.decodePoolStats()).toMatchObject({ strands: 0, threads: 0, queued: 0 });
    expect(namedThreads('g2g-decpool')).toBe(0);
    // Every queued unit's promise settled (decoded, or rejected as cancelled): none left hanging.
    for (let i = 0; i < 50 && settled < 40; i++) await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(40);
  });

  it('h264Dec decodes on the pool in live mode unless told otherwise, bit-exact', async () => {
    const jobs = async (options: Parameters<typeof decodeFile>[1]): Promise<number> => {
      const before = addon.decodePoolStats().jobsRun;
      const r = await decodeFile(path, options);
      expect(r.md5s).toEqual(ref);
      return addon.decodePoolStats().jobsRun - before;
    };
    expect(await jobs({ live: true })).toBeGreaterThanOrEqual(aus.length);
    expect(await jobs({ live: true, videoMeta: true, release: true })).toBeGreaterThanOrEqual(aus.length);
    expect(await jobs({ live: false, pool: true })).toBeGreaterThanOrEqual(aus.length);
    expect(await jobs({ live: true, pool: false })).toBe(0);
    expect(await jobs({ live: true, threads: 2 })).toBe(0);
    expect(await jobs({ live: false })).toBe(0);
    expect(() => h264Dec({ pool: true, threads: 2 })).toThrow(PropertyConflictError);
    expect(() => h264Dec({ pool: true, threads: 2 })).toThrow(/h264Dec threads and pool: threads=2 with pool=true: expected 0 or 1/);
    expect(() => new addon.NativeDecoder({ pooled: true, threads: 4 })).toThrow(/threads must be 0 or 1 for a pooled decoder/);
  });

  it('G2G_DECODE_THREADS sizes the pool; unset or invalid, one thread per core', async () => {
    const sizeWith = async (value: string | undefined): Promise<number> => {
      const env = { ...process.env };
      if (value === undefined) delete env.G2G_DECODE_THREADS;
      else env.G2G_DECODE_THREADS = value;
      const script = `console.log(require(${JSON.stringify(defaultAddonPath())}).decodePoolStats().size)`;
      const { stdout } = await run(process.execPath, ['-e', script], { env });
      return Number(stdout.trim());
    };
    const cores = availableParallelism();
    expect(await sizeWith('7')).toBe(7);
    expect(await sizeWith(undefined)).toBe(cores);
    expect(await sizeWith('lots')).toBe(cores);
    expect(await sizeWith('0')).toBe(cores);
  });

  it('the pool size is checked and follows setDecodePoolThreads', () => {
    expect(() => addon.setDecodePoolThreads(100_000)).toThrow(/decode pool threads must be in \[0, 256\]/);
    addon.setDecodePoolThreads(5);
    expect(addon.decodePoolStats().size).toBe(5);
    addon.setDecodePoolThreads(POOL_SIZE);
    expect(addon.decodePoolStats()).toMatchObject({ size: POOL_SIZE, threads: 0 });
  });
});
