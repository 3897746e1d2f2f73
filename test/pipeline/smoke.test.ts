import { describe, expect, it } from 'vitest';
import { pipe, VirtualClock } from '../../src';
import { fakeSink, fakeSrc, identity, queue } from '../../operators';

describe('smoke', () => {
  it('runs fakeSrc → identity → queue → fakeSink', async () => {
    let n = 0;
    const stats = await pipe(fakeSrc({ numBuffers: 1000 }), identity(), queue(), fakeSink({ onPacket: () => void n++ })).run();
    expect(n).toBe(1000);
    expect(stats.delivered).toBe(1000);
  });
  it('live under virtual clock', async () => {
    const clock = new VirtualClock();
    const pts: number[] = [];
    const stats = await pipe(fakeSrc({ numBuffers: 30, isLive: true }), queue(), fakeSink({ onPacket: (p) => void pts.push(clock.now()) })).run({ clock, profile: 'live' });
    expect(pts.length).toBe(30);
    expect(stats.latency.count).toBe(30);
    expect(clock.now()).toBe(Math.round(29 * 1e9 / 30));
  });
});
