import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliRegistry } from '../../node/cli/registry';
import { pulseSink } from '../../node/elements/pulse-sink';
import { pulseSrc } from '../../node/elements/pulse-src';
import { audioTestSrc } from '../../operators/audio-test-src';
import { capsFilter } from '../../operators/caps-filter';
import { fakeSink } from '../../operators/fake-sink';
import { identity } from '../../operators/identity';
import { parseLaunch } from '../../operators/launch';
import { pipe } from '../../src';
import { rawAudioCaps, rawAudioInfo, rawAudioTemplate, readPlanes, testWave, writePlanes, type RawAudioPacket } from '../../src/audio';
import { EOS } from '../../src/element';
import { cpuMemory } from '../../src/memory/memory';
import { defineSource } from '../../src/operator';
import { EMPTY_META } from '../../src/packet';
import { ElementError } from '../../src/pipeline/errors';
import { requirePeer } from '../peers';
import { sineFit, zeroCrossingFreq } from './helpers';
import { daemons, readWav, startPulse, stopPulse, trimSilence, type PulseDaemon } from './pulse-daemon';

requirePeer('native', 'pulseaudio');

const RATE = 48000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** parec on the null sink's monitor, mono 16-bit WAV (peers.md: --latency-msec or it loses the tail). */
async function record(d: PulseDaemon, file: string): Promise<{ proc: ChildProcess; stop(): Promise<void> }> {
  const proc = spawn('parec', ['-d', `${d.sink}.monitor`, '--latency-msec=20', `--rate=${RATE}`, '--channels=1', '--format=s16le', '--file-format=wav', file], {
    env: d.env,
    stdio: 'ignore',
  });
  // Connected once the server lists its record stream.
  const deadline = Date.now() + 5000;
  while ((spawnSync('pactl', ['list', 'short', 'source-outputs'], { env: d.env, encoding: 'utf8' }).stdout ?? '').trim() === '') {
    if (Date.now() > deadline) throw new Error('parec did not connect');
    await sleep(20);
  }
  return {
    proc,
    /**
     * Stops once the file grew by `tailSeconds` more of audio: the monitor runs on the null sink's clock, which
     * lags the wall clock on a loaded machine, so a fixed wait could cut the tone's end off.
     */
    async stop(tailSeconds = 0.3) {
      const size = () => (existsSync(file) ? statSync(file).size : 0);
      const target = size() + tailSeconds * RATE * 2;
      const deadline = Date.now() + 10_000;
      while (size() < target && Date.now() < deadline) await sleep(20);
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGINT');
      await gone;
    },
  };
}

function playTone(
  d: PulseDaemon,
  freq: number,
  buffers: number,
  extra: { channels?: number; format?: string; latencyTime?: number; bufferTime?: number } = {}
) {
  const sink = pulseSink({
    server: d.server,
    device: d.sink,
    ...(extra.latencyTime ? { latencyTime: extra.latencyTime } : {}),
    ...(extra.bufferTime ? { bufferTime: extra.bufferTime } : {}),
  });
  const caps = `audio/x-raw,format=${extra.format ?? 'S16LE'},rate=${RATE},channels=${extra.channels ?? 2}`;
  const run = pipe(audioTestSrc({ freq, volume: 0.5, samplesperbuffer: 960, numBuffers: buffers }), capsFilter(caps), sink).run();
  return { sink, run };
}

describe('pulseSink and pulseSrc on a private PulseAudio daemon (null sink)', () => {
  let d: PulseDaemon;
  let n = 0;
  beforeAll(async () => {
    d = await startPulse();
  }, 20_000);
  afterAll(async () => {
    for (const x of daemons.splice(0)) await stopPulse(x);
  });

  for (const { freq, format, channels } of [
    { freq: 440, format: 'S16LE', channels: 2 },
    { freq: 1000, format: 'F32LE', channels: 1 },
    { freq: 1000, format: 'S32LE', channels: 2 },
  ]) {
    it(`plays a ${freq} Hz ${format} ${channels}-channel tone that the monitor records at that frequency, level and length`, async () => {
      const file = join(d.dir, `rec${n++}.wav`);
      const rec = await record(d, file);
      // 100 buffers of 960 frames: 2.0 s.
      const t0 = performance.now();
      const { sink, run } = playTone(d, freq, 100, { format, channels });
      await run;
      const took = performance.now() - t0;
      await rec.stop();
      const wav = readWav(file);
      const tone = trimSilence(wav.planes[0]);
      const seconds = tone.length / wav.rate;
      const f = zeroCrossingFreq(tone, wav.rate);
      const fit = sineFit(tone, wav.rate, f);
      expect(Math.abs(f - freq) / freq).toBeLessThan(0.01);
      // volume 0.5 (stereo downmixed to the mono recording keeps it); 16-bit and S32/F32 alike.
      expect(fit.amplitude).toBeGreaterThan(0.45);
      expect(fit.amplitude).toBeLessThan(0.55);
      // A clean sine: nothing lost or repeated (a gap or a glitch shows as noise).
      expect(fit.thdN).toBeLessThan(-40);
      expect(Math.abs(seconds - 2) / 2).toBeLessThan(0.1);
      // It followed the clock (or the server, where its sink runs slower: a loaded machine's null sink does):
      // at least the tone's 2 s of wall time, never as fast as the data came.
      expect(took).toBeGreaterThan(1900);
      expect(sink.counters.written).toBe(96000 * channels * (format === 'S16LE' ? 2 : 4));
      expect(sink.counters.latency).toBeGreaterThan(0);
      expect(sink.counters.maxLatency).toBeLessThan(250e6);
    }, 20_000);
  }

  it('reports its output latency, which follows buffer-time', async () => {
    const p50: number[] = [];
    for (const bufferTime of [50_000_000, 300_000_000]) {
      const sink = pulseSink({ server: d.server, device: d.sink, bufferTime, latencyTime: 10_000_000 });
      await pipe(audioTestSrc({ samplesperbuffer: 480, numBuffers: 100 }), capsFilter(`audio/x-raw,rate=${RATE},channels=2`), sink).run();
      const st = sink.counters.latencyStats()!;
      expect(st.count).toBeGreaterThan(10);
      // pa_stream latency: the server's buffer (tlength is the whole latency with the simple API's
      // ADJUST_LATENCY) plus what the sink holds: near buffer-time, never far past it.
      expect(st.p50).toBeGreaterThan(bufferTime * 0.3);
      expect(sink.counters.maxLatency).toBeLessThan(bufferTime * 1.5);
      p50.push(st.p50);
    }
    expect(p50[1]).toBeGreaterThan(p50[0] * 2);
  }, 20_000);

  it('pulseSrc records a tone played by paplay at its frequency, with capture times', async () => {
    const wav = join(d.dir, 'tone.wav');
    const sox = spawnSync('sox', ['-n', '-r', String(RATE), '-c', '2', '-b', '16', wav, 'synth', '3', 'sine', '1000', 'vol', '0.5'], { encoding: 'utf8' });
    expect(sox.status, sox.stderr).toBe(0);
    const play = spawn('paplay', ['-d', d.sink, wav], { env: d.env, stdio: 'ignore' });
    const done = new Promise((r) => play.once('exit', r));
    try {
      const got: RawAudioPacket[] = [];
      const src = pulseSrc({ server: d.server, device: `${d.sink}.monitor`, blocksize: 480, numBuffers: 150 });
      await pipe(src, capsFilter(`audio/x-raw,format=S16LE,rate=${RATE},channels=1`), fakeSink<RawAudioPacket>({ onPacket: (p) => void got.push(p) })).run();
      expect(got.length).toBe(150);
      expect(rawAudioInfo(got[0].caps)).toMatchObject({ format: 'S16LE', rate: RATE, channels: 1 });
      const x = new Float64Array(150 * 480);
      got.forEach((p, i) => x.set(readPlanes(rawAudioInfo(p.caps), p.memory.data)[0], i * 480));
      const tone = trimSilence(x);
      expect(tone.length).toBeGreaterThan(RATE);
      expect(Math.abs(zeroCrossingFreq(tone, RATE) - 1000)).toBeLessThan(10);
      expect(sineFit(tone, RATE, 1000).amplitude).toBeGreaterThan(0.4);
      // Contiguous timestamps from frame counts; capture times on the pipeline clock, rising, spanning at least
      // the audio's length (more where the server's sink clock lags the wall clock, as a loaded machine's null
      // sink does: 0.7× here), and never in the future.
      for (let i = 1; i < got.length; i++) expect(got[i].pts).toBe(got[i - 1].pts! + got[i - 1].duration!);
      const caps = got.map((p) => p.meta.captureTime!);
      for (let i = 1; i < caps.length; i++) expect(caps[i]).toBeGreaterThan(caps[i - 1]);
      const span = (caps[caps.length - 1] - caps[0]) / 1e6;
      expect(span).toBeGreaterThan(149 * 10 * 0.9);
      expect(span).toBeLessThan(149 * 10 * 3);
      expect(caps[caps.length - 1]).toBeLessThan(got[0].meta.captureTime! + 10e9);
      expect(src.counters.read).toBeGreaterThanOrEqual(150);
    } finally {
      play.kill('SIGKILL');
      await done;
    }
  }, 20_000);

  it('pulseSrc records what pulseSink plays (440 Hz)', async () => {
    const got: RawAudioPacket[] = [];
    const { run } = playTone(d, 440, 150);
    const rec = pipe(
      pulseSrc({ server: d.server, device: `${d.sink}.monitor`, blocksize: 960, numBuffers: 80 }),
      capsFilter(`audio/x-raw,format=F32LE,rate=${RATE},channels=2`),
      fakeSink<RawAudioPacket>({ onPacket: (p) => void got.push(p) })
    ).run();
    await Promise.all([run, rec]);
    const x = trimSilence(Float64Array.from(got.flatMap((p) => Array.from(readPlanes(rawAudioInfo(p.caps), p.memory.data)[1]))));
    expect(x.length).toBeGreaterThan(RATE);
    expect(Math.abs(zeroCrossingFreq(x, RATE) - 440) / 440).toBeLessThan(0.01);
  }, 20_000);
});

describe('pulseSink and pulseSrc in launch syntax, and what they leave behind', () => {
  afterEach(async () => {
    for (const x of daemons.splice(0)) await stopPulse(x);
  });

  it('parses GStreamer-style properties (latency-time, buffer-time in µs) and plays', async () => {
    const d = await startPulse();
    const p = parseLaunch(
      `audioTestSrc num-buffers=20 samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 ! pulseSink server=${d.server} device=${d.sink} latency-time=20000 buffer-time=60000 client-name=g2g-test`,
      cliRegistry()
    );
    await p.run();
    expect(() => parseLaunch('audioTestSrc ! pulseSink buffer-time=lots', cliRegistry())).toThrow(/buffer-time/);
  }, 20_000);

  it('a format change mid-stream plays the old stream out and opens a new one', async () => {
    const d = await startPulse();
    const file = join(d.dir, 'change.wav');
    const rec = await record(d, file);
    const a = rawAudioCaps({ format: 'S16LE', rate: RATE, channels: 2 });
    const b = rawAudioCaps({ format: 'F32LE', rate: RATE, channels: 1 });
    // 0.5 s of 440 Hz in S16LE stereo, then 0.5 s of it in F32LE mono (the phase runs on).
    const packets = Array.from({ length: 50 }, (_, i) => {
      const caps = i < 25 ? a : b;
      const info = rawAudioInfo(caps);
      const plane = testWave({ wave: 'sine', freq: 440, volume: 0.5, tickFrames: 1, sinePeriodsPerTick: 1 }, RATE, i * 960, 960);
      const data = writePlanes(
        info,
        Array.from({ length: info.channels }, () => plane),
        960
      );
      return { caps, pts: i * 20e6, dts: i * 20e6, duration: 20e6, flags: 0, memory: cpuMemory(data), meta: EMPTY_META } as RawAudioPacket;
    });
    const sink = pulseSink({ server: d.server, device: d.sink });
    const src = defineSource<RawAudioPacket>({
      srcCaps: rawAudioTemplate(['S16LE', 'F32LE'], ['interleaved']),
      fixate: () => a,
      open: () => {
        let i = 0;
        return { pull: () => (i < packets.length ? packets[i++] : EOS) };
      },
    });
    await pipe(src, sink).run();
    await rec.stop();
    expect(sink.counters.reopened).toBe(1);
    const tone = trimSilence(readWav(file).planes[0]);
    // Both halves played: about 1 s of 440 Hz (the old stream drained before the new one started: a short gap
    // of silence between them at most).
    expect(tone.length / RATE).toBeGreaterThan(0.85);
    expect(tone.length / RATE).toBeLessThan(1.5);
    // Each half at 440 Hz (measured apart: the gap between them would bias the zero-crossing spacing).
    for (const half of [tone.subarray(0, 0.4 * RATE), tone.subarray(tone.length - 0.4 * RATE)])
      expect(Math.abs(zeroCrossingFreq(half, RATE) - 440) / 440).toBeLessThan(0.01);
  }, 20_000);

  it('no thread of the addon or of libpulse outlives a run (done, failed or aborted)', async () => {
    const d = await startPulse();
    const tone = () =>
      pipe(
        audioTestSrc({ samplesperbuffer: 960, numBuffers: 20 }),
        capsFilter(`audio/x-raw,rate=${RATE},channels=2`),
        pulseSink({ server: d.server, device: d.sink })
      );
    const before = threads();
    await tone().run();
    const ac = new AbortController();
    const aborted = tone().run({ signal: ac.signal });
    await sleep(100);
    // While it plays: the addon's thread and libpulse's mainloop thread (what the check below would catch).
    const during = threads();
    expect(during['g2g-pulse-out']).toBe((before['g2g-pulse-out'] ?? 0) + 1);
    expect(Object.values(during).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2);
    ac.abort();
    await aborted.catch(() => undefined);
    await pipe(pulseSrc({ server: d.server, device: `${d.sink}.monitor`, numBuffers: 5 }), fakeSink()).run();
    await pipe(audioTestSrc({ numBuffers: 1 }), pulseSink({ server: 'unix:/nonexistent/native' }))
      .run()
      .catch(() => undefined);
    await sleep(100);
    expect(threads()).toEqual(before);
  }, 20_000);
});

/** This process's threads by name (libpulse's mainloop threads and the addon's g2g-pulse-*), counted. */
function threads(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of readdirSync('/proc/self/task')) {
    const name = readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim();
    if (/pulse|threaded-ml/i.test(name)) out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

describe('pulseSink and pulseSrc without a server, and when it dies', () => {
  afterEach(async () => {
    for (const x of daemons.splice(0)) await stopPulse(x);
  });

  it('no server: an ElementError naming the sink before any buffer', async () => {
    let pulled = 0;
    const sink = pulseSink({ name: 'speaker', server: 'unix:/nonexistent/g2g-pulse/native' });
    const src = audioTestSrc({ numBuffers: 10 });
    const err = await pipe(src, capsFilter('audio/x-raw,rate=48000'), identity({ handoff: () => void pulled++ }), sink)
      .run()
      .then(
        () => undefined,
        (e: unknown) => e
      );
    expect(err).toBeInstanceOf(ElementError);
    expect((err as ElementError).element).toBe('speaker');
    expect(String((err as Error).message)).toMatch(/PulseAudio/);
    expect(String((err as Error).message)).toMatch(/nonexistent|refused|Connection/i);
    expect(pulled).toBe(0);
  });

  it('no server: pulseSrc fails naming itself', async () => {
    const err = await pipe(pulseSrc({ name: 'mic', server: 'unix:/nonexistent/g2g-pulse/native' }), fakeSink())
      .run()
      .then(
        () => undefined,
        (e: unknown) => e
      );
    expect(err).toBeInstanceOf(ElementError);
    expect((err as ElementError).element).toBe('mic');
  });

  it('server killed mid-stream: the pipeline fails naming the sink, promptly', async () => {
    const d = await startPulse();
    const sink = pulseSink({ name: 'speaker', server: d.server, device: d.sink });
    // 10 s of tone; the server dies after 0.5 s.
    const running = pipe(audioTestSrc({ samplesperbuffer: 960, numBuffers: 500 }), capsFilter(`audio/x-raw,rate=${RATE},channels=2`), sink).run();
    await sleep(500);
    const killedAt = performance.now();
    d.proc.kill('SIGKILL');
    const err = await running.then(
      () => undefined,
      (e: unknown) => e
    );
    expect(err).toBeInstanceOf(ElementError);
    expect((err as ElementError).element).toBe('speaker');
    expect(String((err as Error).message)).toMatch(/PulseAudio/);
    expect(performance.now() - killedAt).toBeLessThan(2000);
  }, 20_000);

  it('server killed mid-stream: pulseSrc fails naming itself', async () => {
    const d = await startPulse();
    const play = spawn('sh', ['-c', `sox -n -r 48000 -c 2 -b 16 -t wav - synth 10 sine 440 | paplay -d ${d.sink}`], { env: d.env, stdio: 'ignore' });
    try {
      const running = pipe(pulseSrc({ name: 'mic', server: d.server, device: `${d.sink}.monitor` }), fakeSink()).run();
      await sleep(500);
      d.proc.kill('SIGKILL');
      const err = await running.then(
        () => undefined,
        (e: unknown) => e
      );
      expect(err).toBeInstanceOf(ElementError);
      expect((err as ElementError).element).toBe('mic');
    } finally {
      play.kill('SIGKILL');
    }
  }, 20_000);
});
