import { cpus, loadavg } from 'node:os';
import { derive, type BenchOptions, type BenchReport, type CaseResult, type MachineInfo, type Timing } from './format';
import { findGst, gstArgs, runGst, type GstPeer } from './gstreamer';
import { timeG2g } from './g2g';
import { cpuModel, median, type Progress } from './harness';

/**
 * The core benchmark: per-packet and per-hop cost of the pull runtime against GStreamer.
 *
 * Method, identical for both: every case runs once untimed (JIT warm-up for g2g; page cache and plugin
 * registry for gst-launch), then `runs` times, interleaved case by case so drift spreads evenly; the
 * MEDIAN wall time is taken (robust to one GC pause or a scheduler hiccup on a 2-core box, where the
 * best-of would reward luck). The median of a num-buffers=0 run of the same pipeline is subtracted, so
 * set-up, negotiation and (for GStreamer) process spawn and teardown are not charged per packet.
 */

interface Case {
  readonly label: string;
  readonly kind: 'identity' | 'queue';
  readonly hops: number;
}

export function cases(o: Pick<BenchOptions, 'hops' | 'queue'>): Case[] {
  const hops = o.hops.includes(0) ? o.hops : [0, ...o.hops];
  const list: Case[] = hops.map((h) => ({ label: String(h), kind: 'identity', hops: h }));
  if (o.queue) list.push({ label: 'queue', kind: 'queue', hops: 1 });
  return list;
}

export function machineInfo(gst: string | undefined, loadAverage: number): MachineInfo {
  return {
    cpus: cpus().length,
    cpuModel: cpuModel(),
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
    gst,
    loadAverage,
  };
}

/** Baseline repeats: the empty pipeline is cheap, and its noise goes into every row. */
const BASELINE_RUNS = 5;

type Measure = (packets: number, c: Case) => Promise<{ wall: number; selfReported?: number }>;

async function measureAll(list: readonly Case[], o: BenchOptions, measure: Measure, who: string, progress: Progress): Promise<Map<string, Timing>> {
  const walls = new Map<string, number[]>(list.map((c) => [c.label, []]));
  const selfs = new Map<string, number[]>(list.map((c) => [c.label, []]));
  const bases = new Map<string, number[]>(list.map((c) => [c.label, []]));
  for (const c of list) {
    progress(`${who}: warm-up ${c.label}`);
    await measure(o.packets, c);
  }
  for (let r = 0; r < o.runs; r++) {
    for (const c of list) {
      progress(`${who}: run ${r + 1}/${o.runs}, hops ${c.label}`);
      const m = await measure(o.packets, c);
      walls.get(c.label)!.push(m.wall);
      if (m.selfReported !== undefined) selfs.get(c.label)!.push(m.selfReported);
    }
  }
  for (let r = 0; r < BASELINE_RUNS; r++) for (const c of list) bases.get(c.label)!.push((await measure(0, c)).wall);
  const out = new Map<string, Timing>();
  const zero = list.find((c) => c.kind === 'identity' && c.hops === 0)!;
  const timing = (c: Case, zeroNet: number | undefined): Timing => {
    const runs = walls.get(c.label)!;
    const baseline = median(bases.get(c.label)!);
    const s = selfs.get(c.label)!;
    return { runs, baseline, ...derive(runs, baseline, o.packets, c.hops, zeroNet), ...(s.length ? { selfReported: median(s) } : {}) };
  };
  const z = timing(zero, undefined);
  for (const c of list) out.set(c.label, c === zero ? z : timing(c, z.net));
  return out;
}

export async function runBench(o: BenchOptions, progress: Progress = () => undefined): Promise<BenchReport> {
  const list = cases(o);
  const load = loadavg()[0];
  const g2g = await measureAll(list, o, async (n, c) => ({ wall: await timeG2g(n, c) }), 'g2g', progress);

  let gst: Map<string, Timing> | undefined;
  let gstSkipped: string | undefined;
  let peer: GstPeer | undefined;
  if (!o.gst) gstSkipped = 'disabled with --no-gst';
  else {
    const found = findGst();
    if ('skipped' in found) gstSkipped = found.skipped;
    else {
      peer = found;
      try {
        gst = await measureAll(list, o, (n, c) => runGst(found.bin, gstArgs(n, c.hops, c.kind)), 'gstreamer', progress);
      } catch (e) {
        gstSkipped = `gst-launch failed: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
  }

  // Loaded only when asked for: the experiments compare against rxjs, a devDependency the package does not install.
  const experiments = o.experiments
    ? await (
        await import('./experiments')
      ).runExperiments(
        o.packets,
        list.filter((c) => c.kind === 'identity').map((c) => c.hops),
        progress
      )
    : undefined;
  const results: CaseResult[] = list.map((c) => ({
    label: c.label,
    kind: c.kind,
    hops: c.hops,
    g2g: g2g.get(c.label)!,
    ...(gst ? { gst: gst.get(c.label)! } : {}),
  }));
  return {
    packets: o.packets,
    runs: o.runs,
    statistic: 'median',
    machine: machineInfo(peer?.version, load),
    cases: results,
    ...(gstSkipped ? { gstSkipped } : {}),
    ...(experiments ? { experiments } : {}),
  };
}
