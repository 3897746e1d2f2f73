/**
 * A live pipeline on the system clock: a 30 fps source stamps capture time, a leaky queue decouples it
 * from the sink, and the stats print glass-to-glass latency.
 *
 *   node live-latency.js [frames]     (default 90: three seconds)
 */
import { pathToFileURL } from 'node:url';
import { formatStats, pipe } from 'glass2glass';
import { fakeSink, fakeSrc, identity, queue } from 'glass2glass/operators';

export async function main(frames = 90): Promise<string> {
  const stats = await pipe(fakeSrc({ isLive: true, framerate: '30/1', numBuffers: frames }), identity(), queue(), fakeSink()).run({ profile: 'live' });
  return formatStats(stats);
}

// Only when run as a program: a test may import main().
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  void main(process.argv[2] === undefined ? undefined : Number(process.argv[2])).then(console.log);
