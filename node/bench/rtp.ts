import { pipe } from '../../src';
import { fakeSink, fileSrc, h264Parse, rtpH264Pay } from '../../operators';
import { nodeFileOpener } from '../drivers/fs';
import { findOnPath } from './gstreamer';
import { benchInput, timeChild, tinyInput } from './remux';

/**
 * `g2g bench rtp`: packetise the 1080p 20 s high-profile stream at MTU 1400 (fileSrc ! h264Parse !
 * rtpH264Pay ! fakeSink) beside `gst-launch-1.0 filesrc ! h264parse ! rtph264pay mtu=1400 ! fakesink`,
 * in one run. GStreamer's process start-up (a tiny input) is subtracted. Median of `runs` after a warm-up.
 * Packets per second for both use our packet count: the same stream at the same MTU gives the same
 * FU-A split, give or take GStreamer's parameter-set repeats.
 */
export async function benchRtp(args: string[]): Promise<number> {
  const runs = Number(args[args.indexOf('--runs') + 1]) || 3;
  const json = args.includes('--json');
  const input = await benchInput();
  let packets = 0;
  const ours = async (): Promise<number> => {
    let n = 0;
    const t0 = process.hrtime.bigint();
    await pipe(fileSrc({ location: input, opener: nodeFileOpener }), h264Parse(), rtpH264Pay({ mtu: 1400 }), fakeSink({ onPacket: () => void n++ })).run({ profile: 'throughput' });
    packets = n;
    return Number(process.hrtime.bigint() - t0);
  };
  const gst = findOnPath('gst-launch-1.0');
  const gstArgs = (file: string) => ['-q', 'filesrc', `location=${file}`, '!', 'h264parse', '!', 'rtph264pay', 'mtu=1400', '!', 'fakesink'];
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  await ours();
  const g2g: number[] = [];
  const peer: number[] = [];
  let startup = 0;
  if (gst) {
    const tiny = await tinyInput();
    const s: number[] = [];
    for (let i = 0; i < 3; i++) s.push(await timeChild(gst, gstArgs(tiny)));
    startup = median(s);
  }
  for (let i = 0; i < runs; i++) {
    g2g.push(await ours());
    if (gst) peer.push(Math.max(1, (await timeChild(gst, gstArgs(input))) - startup));
  }
  const t = median(g2g);
  const report = {
    input,
    packets,
    g2g: { ms: t / 1e6, packetsPerSecond: packets / (t / 1e9) },
    gstreamer: gst ? { ms: median(peer) / 1e6, packetsPerSecond: packets / (median(peer) / 1e9), startupMs: startup / 1e6 } : undefined,
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `g2g bench rtp: ${input} → RTP at MTU 1400, ${packets} packets, median of ${runs} runs after a warm-up`,
    `g2g        ${report.g2g.ms.toFixed(1)} ms  ${Math.round(report.g2g.packetsPerSecond)} packets/s`,
  ];
  if (report.gstreamer) {
    lines.push(`GStreamer  ${report.gstreamer.ms.toFixed(1)} ms  ${Math.round(report.gstreamer.packetsPerSecond)} packets/s  (start-up ${report.gstreamer.startupMs.toFixed(1)} ms subtracted)`);
    lines.push(`ratio (g2g packets/s ÷ GStreamer's): ${(report.g2g.packetsPerSecond / report.gstreamer.packetsPerSecond).toFixed(2)}×`);
  } else lines.push('GStreamer skipped: gst-launch-1.0 not on PATH');
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
