/**
 * Exact `A ⊆ B` for unions of structures, as GStreamer's gst_caps_is_subset:
 * compute A \ B by structure subtraction and test for emptiness. Needed because
 * a structure can be covered by several structures jointly (e.g. width [1,10]
 * by [1,5] ∪ [6,10], or a 2-D box by slabs) without being inside any one of them.
 *
 * Unlike GStreamer (which approximates: no open ranges), intermediate pieces use
 * `VSet`s with open fraction endpoints and complements, so the answer is exact.
 */
import type { Structure } from './structure';
import { maxStep, toAtoms, UNIVERSE, vsIntersect, vsIsEmpty, vsSubtract, type Atom, type VSet } from './valueset';

interface Piece {
  readonly source: Structure; // name + features identity
  readonly fields: ReadonlyMap<string, VSet>;
}

interface Subtrahend {
  readonly source: Structure;
  readonly fields: readonly (readonly [string, Atom[]])[];
}

function piece(s: Structure): Piece {
  const fields = new Map<string, VSet>();
  for (const key of Object.keys(s.fields)) fields.set(key, { neg: false, atoms: toAtoms(s.fields[key]) });
  return { source: s, fields };
}

/**
 * p \ t as disjoint pieces: for t's k-th field, the part of p outside t on that
 * field but inside t on the fields before it. Stops as soon as p misses t.
 */
function subtract(p: Piece, t: Subtrahend): Piece[] {
  if (!p.source.sameKind(t.source)) return [p];
  const out: Piece[] = [];
  let cur = p.fields;
  for (const [key, atoms] of t.fields) {
    const v = cur.get(key) ?? UNIVERSE;
    const outside = vsSubtract(v, atoms);
    if (!vsIsEmpty(outside)) out.push({ source: p.source, fields: new Map(cur).set(key, outside) });
    const inside = vsIntersect(v, atoms);
    if (vsIsEmpty(inside)) return out;
    cur = new Map(cur).set(key, inside);
  }
  return out; // what is left in `cur` lies inside t
}

/** True iff the union of `as` is contained in the union of `bs`. */
export function isCovered(as: readonly Structure[], bs: readonly Structure[]): boolean {
  // The union does not depend on order; subtracting dense structures (small
  // steps, then few fields) first keeps the number of pieces down.
  const ts = bs
    .map((b): Subtrahend & { step: bigint } => {
      const fields = Object.keys(b.fields).map((k) => [k, toAtoms(b.fields[k])] as const);
      const step = fields.reduce((m, [, atoms]) => (maxStep(atoms) > m ? maxStep(atoms) : m), 0n);
      return { source: b, fields, step };
    })
    .sort((x, y) => (x.step < y.step ? -1 : x.step > y.step ? 1 : x.fields.length - y.fields.length));
  let rest = as.map(piece);
  for (const t of ts) {
    if (rest.length === 0) return true;
    rest = rest.flatMap((p) => subtract(p, t));
  }
  return rest.length === 0;
}
