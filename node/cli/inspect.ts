import type { PropertySpec } from '../../src/element';
import { formatTime } from '../../src/time';
import { UnknownElementError, type ElementEntry, type ElementRegistry } from '../../operators/registry';
import { parseArgs } from './args';
import { processIo, UsageError, type CliIo } from './io';
import { cliRegistry } from './registry';

export const INSPECT_USAGE = `Usage: g2g inspect [element]

Without an element, lists every element (name, kind, description).
With one, prints its pad templates (caps) and properties, as gst-inspect-1.0.`;

/** One line per element: name, kind, description. */
export function formatElementList(registry: ElementRegistry): string {
  const entries = registry.list();
  const w = Math.max(...entries.map((e) => e.name.length));
  const lines = entries.map((e) => `${e.name.padEnd(w)}  ${e.kind.padEnd(9)}  ${e.description}`);
  lines.push('', `${entries.length} elements`);
  return lines.join('\n');
}

const TYPE_NAMES: Readonly<Record<PropertySpec['type'], string>> = {
  int: 'Integer',
  uint: 'Unsigned Integer',
  double: 'Double',
  boolean: 'Boolean',
  string: 'String',
  enum: 'Enum',
  time: 'Time (ns, or with a unit: 50ms, 2s)',
  caps: 'Caps',
};

function formatDefault(p: PropertySpec): string {
  const d = p.default;
  if (d === undefined) return '';
  if (p.type === 'string' || p.type === 'enum' || p.type === 'caps') return ` Default: "${String(d)}"`;
  if (p.type === 'time' && typeof d === 'number') return ` Default: ${d}${d > 0 ? ` (${formatTime(d)})` : ''}`;
  return ` Default: ${String(d)}`;
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
export function formatElementDetails(e: ElementEntry): string {
  const lines = ['Factory Details:', `  Name                     ${e.name}`, `  Kind                     ${e.kind}`, `  Description              ${e.description}`, '', 'Pad Templates:'];
  if (e.caps.sink !== undefined) lines.push(...formatTemplate('sink', e.caps.sink, e.pads === 'fan-in'));
  if (e.caps.sink !== undefined && e.caps.src !== undefined) lines.push('');
  if (e.caps.src !== undefined) lines.push(...formatTemplate('src', e.caps.src, e.pads === 'fan-out'));
  if (e.pads) lines.push('', e.pads === 'fan-out' ? `  Branches: the chain after it and each chain starting at NAME. (name=NAME)` : `  Inputs: each chain ending in '! NAME.' (name=NAME)`);
  lines.push('', 'Element Properties:');
  for (const p of e.properties) {
    lines.push(`  ${p.name.padEnd(20)}: ${p.description}`, `${' '.repeat(24)}${TYPE_NAMES[p.type]}.${formatDefault(p)}`);
    if (p.type === 'enum') lines.push(`${' '.repeat(27)}${(p.values ?? []).join(', ')}`);
  }
  return lines.join('\n');
}

/** `g2g inspect [element]`. */
export async function inspect(args: string[], io: CliIo = processIo): Promise<number> {
  const a = parseArgs(args, { flags: ['help'], short: { h: 'help' } });
  if (a.flags.has('help')) {
    io.out(INSPECT_USAGE);
    return 0;
  }
  if (a.positional.length > 1) throw new UsageError('inspect takes at most one element name');
  const registry = cliRegistry();
  if (a.positional.length === 0) {
    io.out(formatElementList(registry));
    return 0;
  }
  try {
    io.out(formatElementDetails(registry.lookup(a.positional[0])));
    return 0;
  } catch (e) {
    if (!(e instanceof UnknownElementError)) throw e;
    io.err(`ERROR: ${e.message}`);
    return 1;
  }
}
