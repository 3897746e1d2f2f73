/**
 * weston's `timeline` debug stream (`weston-debug timeline`, weston started with --debug) read as each
 * surface commit's fate: shown at a repaint's vblank, or replaced by a later commit of the surface before
 * any repaint took it. This is how `g2g bench display` sees presentation for a client it does not control
 * (GStreamer's waylandsink), with the same rule for ours, so both sides are measured alike.
 *
 * The stream is JSON objects, one per line: object declarations (`{"id":3,"type":"weston_surface",…}`) and
 * events `{"T":[s,ns],"N":name,…}` on CLOCK_MONOTONIC (not the presentation clock: weston headless
 * reports presentation on CLOCK_MONOTONIC_RAW, ~0.3 s apart here; checked against wp_presentation feedback).
 * A commit (`core_commit_damage`, ws) is taken by the next repaint that flushes that surface
 * (`core_flush_damage`, ws, wo) and shown at that output's next `core_repaint_finished` (its
 * `vblank_monotonic`: the time the repaint turned into light, what wp_presentation reports).
 */

export interface Commit {
  /** The surface's timeline id. */
  readonly surface: number;
  /** When the client's commit reached the compositor, ns. */
  readonly at: number;
  /** When it was shown (the vblank of the repaint that took it), ns; undefined: replaced or never repainted. */
  presented?: number;
}

const ns = (t: unknown): number | undefined => (Array.isArray(t) && t.length === 2 ? Number(t[0]) * 1e9 + Number(t[1]) : undefined);

/** Every commit in the stream, in order, with its presentation time where a repaint showed it. */
export function parseTimeline(text: string): Commit[] {
  const commits: Commit[] = [];
  /** Per surface: its latest commit not yet taken by a repaint. */
  const pending = new Map<number, Commit>();
  /** Per output: the commits its current repaint took, shown at its next repaint_finished. */
  const inRepaint = new Map<number, Commit[]>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let e: { T?: unknown; N?: string; ws?: number; wo?: number; vblank_monotonic?: unknown };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      continue; // a line cut off when the stream stopped
    }
    const t = ns(e.T);
    if (t === undefined || e.N === undefined) continue;
    if (e.N === 'core_commit_damage' && e.ws !== undefined) {
      const c: Commit = { surface: e.ws, at: t };
      commits.push(c);
      pending.set(e.ws, c);
    } else if (e.N === 'core_flush_damage' && e.ws !== undefined && e.wo !== undefined) {
      const c = pending.get(e.ws);
      if (!c) continue;
      pending.delete(e.ws);
      const list = inRepaint.get(e.wo) ?? [];
      list.push(c);
      inRepaint.set(e.wo, list);
    } else if (e.N === 'core_repaint_finished' && e.wo !== undefined) {
      const vblank = ns(e.vblank_monotonic) ?? t;
      for (const c of inRepaint.get(e.wo) ?? []) c.presented = vblank;
      inRepaint.delete(e.wo);
    }
  }
  return commits;
}

/** A frame as the sink got it: its capture time and its arrival at the sink, ns on the timeline's clock. */
export interface SinkFrame {
  readonly capture: number;
  readonly arrival: number;
}

/**
 * Capture → presented of each shown frame: a commit shows the newest frame that had reached the sink by
 * then (a sink commits what it was given last; frames in between were replaced or dropped). Commits
 * before the first frame, or long after the last one (a window's own), are not frames.
 */
export function presentedLatencies(commits: readonly Commit[], frames: readonly SinkFrame[], window = 1e9): number[] {
  const sorted = [...frames].sort((a, b) => a.arrival - b.arrival);
  const out: number[] = [];
  let i = -1;
  const used = new Set<number>();
  for (const c of [...commits].sort((a, b) => a.at - b.at)) {
    while (i + 1 < sorted.length && sorted[i + 1].arrival <= c.at) i++;
    if (i < 0 || c.presented === undefined || c.at - sorted[i].arrival > window || used.has(i)) continue;
    used.add(i);
    out.push(c.presented - sorted[i].capture);
  }
  return out;
}
