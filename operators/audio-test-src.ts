import { type Caps } from '../src/caps';
import { defineElement, prop, type ElementOptions } from '../src/descriptor';
import { EOS, type Pulled, type Reader } from '../src/element';
import { cpuMemory } from '../src/memory/memory';
import { defineSource, type Source } from '../src/operator';
import { EMPTY_META, PacketFlags } from '../src/packet';
import { SECOND, ticksToNs } from '../src/time';
import { fixateRawAudio } from '../src/audio/fixate';
import { rawAudioInfo, rawAudioTemplate } from '../src/audio/format';
import type { RawAudioPacket } from '../src/audio/packet';
import { writePlanes } from '../src/audio/samples';
import { TEST_WAVES, testWave } from '../src/audio/test-wave';

export type { RawAudioPacket };

const TEMPLATE: Caps = rawAudioTemplate();

export const AUDIO_TEST_SRC = defineElement({
  name: 'audioTestSrc',
  kind: 'source',
  description: 'Raw audio test signals: a sine, silence or periodic ticks (GStreamer audiotestsrc)',
  caps: { src: TEMPLATE },
  notes:
    "Fixates as audiotestsrc: S16LE, 44100 Hz, mono unless downstream says otherwise. Buffer i holds frames [i·n, (i+1)·n) (n = samplesperbuffer) and has pts round(i·n·1e9/rate) exactly, so timestamps never drift and durations sum to the stream's length. Live (is-live): buffer i at base time + pts, capture time stamped then, as videoTestSrc.",
  properties: {
    wave: prop.enum(TEST_WAVES, { default: 'sine', doc: 'sine, silence, or ticks (a burst of sine every tick-interval)' }),
    freq: prop.double({ default: 440, min: 0, max: 20000, doc: 'Frequency of the sine and of the ticks, Hz' }),
    volume: prop.double({ default: 0.8, min: 0, max: 1, doc: 'Peak amplitude (1 = full scale)' }),
    samplesperbuffer: prop.uint({ default: 1024, min: 1, max: 2147483647, doc: 'Frames in each buffer' }),
    tickInterval: prop.duration({ default: SECOND, min: 1, unit: 'ns', doc: 'ticks: time from one tick to the next (a bare number is ns, as GStreamer)' }),
    sinePeriodsPerTick: prop.uint({ default: 10, min: 1, max: 1000000, doc: 'ticks: periods of the sine in each tick' }),
    numBuffers: prop.int({ default: -1, min: -1, doc: 'Buffers before end-of-stream (-1 = unlimited)' }),
    isLive: prop.boolean({ default: false, doc: 'Pace buffers on the pipeline clock and stamp their capture time' }),
  },
  build(s) {
    const { numBuffers, isLive: live, samplesperbuffer: spb } = s;
    return defineSource<RawAudioPacket>({
      srcCaps: TEMPLATE,
      fixate: (allowed) => fixateRawAudio(allowed),
      open(ctx): Reader<RawAudioPacket> {
        const info = rawAudioInfo(ctx.outputCaps);
        const wave = { ...s, tickFrames: Math.max(1, Math.round((s.tickInterval * info.rate) / SECOND)) };
        let i = 0;
        // Frame → ns, exact for any frame count (ticksToNs rounds half up, BigInt past 2^53).
        const at = (buffer: number) => ticksToNs(buffer * spb, info.rate);
        const make = (): RawAudioPacket => {
          const meta = live ? { captureTime: ctx.clock.now() } : EMPTY_META;
          const pts = at(i);
          // Every channel carries the same signal, as audiotestsrc's.
          const plane = testWave(wave, info.rate, i * spb, spb);
          const data = writePlanes(
            info,
            Array.from({ length: info.channels }, () => plane),
            spb
          );
          const p: RawAudioPacket = {
            caps: ctx.outputCaps,
            pts,
            dts: pts,
            duration: at(i + 1) - pts,
            flags: i === 0 ? PacketFlags.DISCONT : 0,
            memory: cpuMemory(data),
            meta,
          };
          i++;
          return p;
        };
        return {
          pull(signal): Pulled<RawAudioPacket> | Promise<Pulled<RawAudioPacket>> {
            if (numBuffers >= 0 && i >= numBuffers) return EOS;
            if (!live) return make();
            const due = ctx.baseTime + at(i);
            if (ctx.clock.now() >= due) return make();
            return ctx.clock.sleepUntil(due, signal).then(make);
          },
        };
      },
    });
  },
});

export type AudioTestSrcOptions = ElementOptions<typeof AUDIO_TEST_SRC>;

/**
 * GStreamer's audiotestsrc: a sine (freq, volume), silence or ticks, `samplesperbuffer` frames a buffer, as
 * fast as pulled or paced live on the pipeline clock. Timestamps come from frame counts, so they never drift.
 */
export const audioTestSrc: (options?: AudioTestSrcOptions) => Source<RawAudioPacket> = AUDIO_TEST_SRC.create;
