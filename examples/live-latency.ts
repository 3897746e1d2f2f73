/**
 * A live pipeline on the system clock: a 30 fps source stamps capture time, a leaky queue decouples it
 * from the sink, and the stats print glass-to-glass latency. Run: npx esbuild … or via `g2g demo`.
 */
import { formatStats, pipe } from '../src';
import { fakeSink, fakeSrc, identity, queue } from '../operators';

export async function main(frames = 90): Promise<string> {
  const stats = await pipe(fakeSrc({ isLive: true, framerate: '30/1', numBuffers: frames }), identity(), queue(), fakeSink()).run({ profile: 'live' });
  return formatStats(stats);
}
