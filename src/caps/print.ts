/** Serialisation in GStreamer's caps-string syntax (what `Caps.parse` reads back). */
import { valueType, type FieldValue, type Fraction, type ListItem } from './value';

/** Characters GStreamer accepts in an unquoted string (GST_ASCII_IS_STRING). */
const SIMPLE_STRING_RE = /^[A-Za-z0-9_+\-/:.]+$/;

export function printString(s: string): string {
  return SIMPLE_STRING_RE.test(s) ? s : `"${s.replace(/["\\]/g, '\\$&')}"`;
}

const printFraction = (f: Fraction): string => `${f.num}/${f.den}`;

function printItem(v: ListItem): string {
  switch (typeof v) {
    case 'string':
      return printString(v);
    case 'number':
    case 'boolean':
      return String(v);
  }
  switch (v.kind) {
    case 'fraction':
      return printFraction(v);
    case 'intRange':
      return v.step === 1 ? `[ ${v.min}, ${v.max} ]` : `[ ${v.min}, ${v.max}, ${v.step} ]`;
    case 'fractionRange':
      return `[ ${printFraction(v.min)}, ${printFraction(v.max)} ]`;
  }
}

/**
 * Without `typed`, a bare value for messages ("{ NV12, I420 }"). With it, the
 * field form: `(type)value`; a list mixing types annotates each item instead.
 */
export function printValue(v: FieldValue, typed = false): string {
  if (typeof v === 'object' && v.kind === 'list') {
    const type = typed ? valueType(v) : undefined;
    const items = v.values.map((x) => (typed && type === undefined ? printValue(x, true) : printItem(x)));
    const body = `{ ${items.join(', ')} }`;
    return type === undefined ? body : `(${type})${body}`;
  }
  return typed ? `(${valueType(v)})${printItem(v)}` : printItem(v);
}

export function printStructure(
  name: string,
  features: readonly string[],
  fields: Readonly<Record<string, FieldValue>>,
): string {
  let s = features.length > 0 ? `${name}(${features.join(', ')})` : name;
  for (const key of Object.keys(fields)) s += `, ${key}=${printValue(fields[key], true)}`;
  return s;
}
