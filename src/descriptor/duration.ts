import { MICROSECOND, MILLISECOND, SECOND } from '../time';

/** The unit a bare number means in launch syntax, as each property declares (GStreamer's are mixed). */
export type DurationUnit = 'ns' | 'us' | 'ms' | 's';

export const DURATION_UNITS: Readonly<Record<DurationUnit, number>> = {
  ns: 1,
  us: MICROSECOND,
  ms: MILLISECOND,
  s: SECOND,
};
const SUFFIXES: Readonly<Record<string, number>> = {
  ...DURATION_UNITS,
  µs: MICROSECOND,
  min: 60 * SECOND,
  h: 3600 * SECOND,
};

/**
 * A duration written as text, in integer nanoseconds: `200ms`, `1.5s`, `2000000ns`, `2min`, `0:00:01.5`
 * (as formatTime prints), or a bare number in `bare` units. Throws RangeError saying what it expected.
 */
export function parseDuration(text: string, bare: DurationUnit = 'ns'): number {
  const t = text.trim();
  if (t.length > 64) throw new RangeError('expected a duration (too long)');
  const clock = /^(\d{1,9}):([0-5]\d):([0-5]\d(?:\.\d{1,9})?)$/.exec(t);
  if (clock) {
    const [whole, frac = ''] = clock[3].split('.');
    const ns = (Number(clock[1]) * 3600 + Number(clock[2]) * 60 + Number(whole)) * SECOND + Number(frac.padEnd(9, '0'));
    if (!Number.isSafeInteger(ns)) throw new RangeError('duration out of range');
    return ns;
  }
  // The number is written as every decimal of launch text is (property.ts DECIMAL_RE, unsigned): `1.5e3ms`,
  // and `1e+29` is out of range rather than unreadable.
  const m = /^((?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*([a-zµ]*)$/i.exec(t);
  if (!m) throw new RangeError(`expected a duration such as 200ms, 1.5s, 2000000ns or a number of ${bare}`);
  const n = Number(m[1]);
  if (m[2] === '' && bare === 'ns' && !Number.isInteger(n))
    throw new RangeError('a bare duration is integer nanoseconds here; add a unit (ns, us, ms, s, min, h)');
  const unit = m[2] === '' ? DURATION_UNITS[bare] : Object.hasOwn(SUFFIXES, m[2]) ? SUFFIXES[m[2]] : undefined;
  if (unit === undefined) throw new RangeError(`unknown duration unit '${m[2]}' (use ns, us, ms, s, min or h)`);
  const ns = Math.round(n * unit);
  if (!Number.isSafeInteger(ns)) throw new RangeError('duration out of range');
  return ns;
}

/** A duration as `parseDuration` reads it back exactly: the largest unit that divides it (`50ms`, `1500ms`, `7ns`). */
export function formatDuration(ns: number): string {
  for (const u of ['s', 'ms', 'us'] as const) if (ns % DURATION_UNITS[u] === 0 && ns !== 0) return `${ns / DURATION_UNITS[u]}${u}`;
  return `${ns}ns`;
}
