// `g2g bench audio` (output latency) end to end, briefly: pulseSink and GStreamer's pulsesink on one private
// PulseAudio daemon, read the same way from the server.
import { describe, expect, it } from 'vitest';
import { benchAudioOutput } from '../../node/bench/audio-output';
import { requirePeer } from '../peers';

requirePeer('native', 'pulseaudio', 'gstreamer');

describe('g2g bench audio', () => {
  it('measures both sinks at both buffer times; ours agrees with the server and follows buffer-time', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await benchAudioOutput(['--seconds', '2', '--json'], { out: (t) => void out.push(t), err: (t) => void err.push(t) });
    expect(code, err.join('\n')).toBe(0);
    const r = JSON.parse(out.join('')) as {
      sides: { sink: string; bufferTimeMs: number; serverP50: number; readings: number; ownP50?: number; error?: string }[];
    };
    expect(r.sides).toHaveLength(4);
    for (const s of r.sides) {
      expect(s.error).toBeUndefined();
      expect(s.readings).toBeGreaterThan(3);
      expect(s.serverP50).toBeGreaterThan(0);
      expect(s.serverP50).toBeLessThan(s.bufferTimeMs * 1.5);
    }
    const ours = r.sides.filter((s) => s.sink === 'g2g pulseSink');
    // Our own reading (pa_simple_get_latency) and the server's agree within 20 ms.
    for (const s of ours) expect(Math.abs(s.ownP50! - s.serverP50)).toBeLessThan(20);
    expect(ours[1].serverP50).toBeGreaterThan(ours[0].serverP50);
  }, 60_000);
});
