import { Caps, compareFractions, fraction, structure, type FieldValue, type Fraction } from '../caps';

/** The value of `v` nearest to `target` (GStreamer's fixate_nearest_int); ties go to the earlier/lower. */
export function nearestInt(v: FieldValue | undefined, target: number): number | undefined {
  if (v === undefined) return target;
  if (typeof v === 'number') return v;
  if (typeof v !== 'object') return undefined;
  if (v.kind === 'intRange') {
    const t = Math.min(v.max, Math.max(v.min, target));
    const snapped = v.min + Math.round((t - v.min) / v.step) * v.step;
    return snapped > v.max ? snapped - v.step : snapped;
  }
  if (v.kind === 'list') {
    let best: number | undefined;
    for (const item of v.values) {
      const c = nearestInt(item, target);
      if (c !== undefined && (best === undefined || Math.abs(c - target) < Math.abs(best - target))) best = c;
    }
    return best;
  }
  return undefined;
}

const asNumber = (f: Fraction) => f.num / f.den;

/** The fraction of `v` nearest to `target` (GStreamer's fixate_nearest_fraction). */
export function nearestFraction(v: FieldValue | undefined, target: Fraction): Fraction | undefined {
  if (v === undefined) return target;
  if (typeof v !== 'object') return undefined;
  if (v.kind === 'fraction') return v;
  if (v.kind === 'fractionRange') {
    if (compareFractions(target, v.min) < 0) return v.min;
    if (compareFractions(target, v.max) > 0) return v.max;
    return target;
  }
  if (v.kind === 'list') {
    let best: Fraction | undefined;
    for (const item of v.values) {
      const c = nearestFraction(item, target);
      if (c !== undefined && (best === undefined || Math.abs(asNumber(c) - asNumber(target)) < Math.abs(asNumber(best) - asNumber(target)))) best = c;
    }
    return best;
  }
  return undefined;
}

function firstString(v: FieldValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v.kind === 'list') return v.values.find((x): x is string => typeof x === 'string');
  return undefined;
}

/**
 * Fixates raw video caps as GStreamer's video sources do: width, height and framerate nearest to the
 * preferred ones within what is allowed, format the first allowed. Other fields fixate as usual.
 * Returns EMPTY when no structure can be fixated, or only to the variable rate 0/1.
 */
export function fixateRawVideo(allowed: Caps, preferred: { width: number; height: number; framerate: Fraction }): Caps {
  for (const s of allowed.structures) {
    const format = firstString(s.fields.format);
    const width = nearestInt(s.fields.width, preferred.width);
    const height = nearestInt(s.fields.height, preferred.height);
    const framerate = nearestFraction(s.fields.framerate, preferred.framerate);
    // A source stamps and paces frames by its rate: GStreamer's "variable" 0/1 is not one it can produce.
    if (format === undefined || width === undefined || height === undefined || framerate === undefined || framerate.num === 0) continue;
    const rest = s.fixate().fields;
    return Caps.of(structure(s.name, { ...rest, format, width, height, framerate: fraction(framerate.num, framerate.den) }, s.features));
  }
  return Caps.empty();
}
