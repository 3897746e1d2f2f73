import type { ElementDescriptor } from '../../src/descriptor';
import { UnknownElementError, type ElementRegistry } from '../../src/descriptor';
import type { PropertyInfo, PropertyType } from '../../src/descriptor/property';
import { parseArgs } from './args';
import { processIo, UsageError, type CliIo } from './io';
import { cliRegistry } from './registry';

export const INSPECT_USAGE = `Usage: g2g inspect [--json] [element]

Without an element, lists every element (name, kind, description).
With one, prints its pad templates (caps), properties and promises, as gst-inspect-1.0.
--json prints the whole registry (or the one element) as JSON, for tools.`;

/** One line per element: name, kind, description. */
export function formatElementList(registry: ElementRegistry): string {
  const entries = registry.list();
  const w = Math.max(...entries.map((e) => e.name.length));
  const lines = entries.map((e) => `${e.name.padEnd(w)}  ${e.kind.padEnd(9)}  ${e.description}`);
  lines.push('', `${entries.length} elements`);
  return lines.join('\n');
}

const TYPE_NAMES: Readonly<Record<PropertyType, string>> = {
  int: 'Integer',
  uint: 'Unsigned Integer',
  double: 'Double',
  boolean: 'Boolean',
  string: 'String',
  enum: 'Enum',
  duration: 'Duration',
  caps: 'Caps',
  fraction: 'Fraction',
  doubles: 'Doubles',
  color: 'Colour',
};

function formatDefault(p: PropertyInfo): string {
  if (p.required) return ' Required.';
  if (p.default !== undefined) return ` Default: ${p.type === 'string' || p.type === 'enum' || p.type === 'caps' ? `"${p.default}"` : p.default}`;
  return p.defaultDoc ? ` Default: ${p.defaultDoc}` : '';
}

function formatTemplate(direction: 'sink' | 'src', caps: string, request: boolean): string[] {
  return [
    `  ${direction.toUpperCase()} template: '${request ? `${direction}_%u` : direction}'`,
    `    Availability: ${request ? 'On request' : 'Always'}`,
    '    Capabilities:',
    ...caps.split(/;\s*/).map((s) => `      ${s}`),
  ];
}

/** An element's details, laid out as gst-inspect-1.0 does: factory, pad templates, properties. */
export function formatElementDetails(e: ElementDescriptor): string {
  const lines = ['Factory Details:', `  Name                     ${e.name}`, `  Kind                     ${e.kind}`, `  Description              ${e.description}`, '', 'Pad Templates:'];
  if (e.caps.sink !== undefined) lines.push(...formatTemplate('sink', e.caps.sink.toString(), e.pads === 'fan-in'));
  if (e.caps.sink !== undefined && e.caps.src !== undefined) lines.push('');
  if (e.caps.src !== undefined) lines.push(...formatTemplate('src', e.caps.src.toString(), e.pads === 'fan-out'));
  if (e.pads) lines.push('', e.pads === 'fan-out' ? `  Branches: the chain after it and each chain starting at NAME. (name=NAME)` : `  Inputs: each chain ending in '! NAME.' (name=NAME)`);
  if (e.metas) lines.push('', `Allocation query: ${e.metas === 'forward' ? 'answers for what follows it' : e.metas.join(', ')}`);
  if (e.notes) lines.push('', 'Behaviour:', ...wrap(e.notes, 96).map((l) => `  ${l}`));
  lines.push('', 'Element Properties:');
  for (const p of e.propertyInfo()) {
    lines.push(`  ${p.name.padEnd(20)}: ${p.doc}`, `${' '.repeat(24)}${TYPE_NAMES[p.type]}: ${p.accepts}.${formatDefault(p)}`);
  }
  return lines.join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** `g2g inspect [element]`. */
export async function inspect(args: string[], io: CliIo = processIo): Promise<number> {
  const a = parseArgs(args, { flags: ['help', 'json'], short: { h: 'help' } });
  if (a.flags.has('help')) {
    io.out(INSPECT_USAGE);
    return 0;
  }
  if (a.positional.length > 1) throw new UsageError('inspect takes at most one element name');
  const registry = cliRegistry();
  const json = a.flags.has('json');
  if (a.positional.length === 0) {
    io.out(json ? JSON.stringify(registry, null, 2) : formatElementList(registry));
    return 0;
  }
  try {
    const e = registry.lookup(a.positional[0]);
    io.out(json ? JSON.stringify(e, null, 2) : formatElementDetails(e));
    return 0;
  } catch (e) {
    if (!(e instanceof UnknownElementError)) throw e;
    io.err(`ERROR: ${e.message}`);
    return 1;
  }
}
