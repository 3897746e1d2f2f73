import { UsageError } from './io';

export interface ArgSpec {
  /** Boolean flags, long names without dashes (`strict`). */
  readonly flags?: readonly string[];
  /** Options taking a value (`profile`), as `--profile live` or `--profile=live`. */
  readonly options?: readonly string[];
  /** Short names: `{ q: 'quiet' }`. */
  readonly short?: Readonly<Record<string, string>>;
}

export interface ParsedArgs {
  readonly positional: string[];
  readonly flags: ReadonlySet<string>;
  readonly options: ReadonlyMap<string, string>;
}

/** A small getopt: flags and options anywhere, `--` ends them; unknown ones are UsageErrors. */
export function parseArgs(args: readonly string[], spec: ArgSpec): ParsedArgs {
  const flags = new Set<string>();
  const options = new Map<string, string>();
  const positional: string[] = [];
  const isFlag = (n: string) => spec.flags?.includes(n) ?? false;
  const isOption = (n: string) => spec.options?.includes(n) ?? false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      inline = eq < 0 ? undefined : a.slice(eq + 1);
    } else if (/^-[A-Za-z]$/.test(a)) {
      name = spec.short?.[a[1]];
      if (!name) throw new UsageError(`unknown option '${a}'`);
    } else {
      positional.push(a);
      continue;
    }
    if (isFlag(name)) {
      if (inline !== undefined) throw new UsageError(`option '--${name}' takes no value`);
      flags.add(name);
    } else if (isOption(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`option '--${name}' needs a value`);
      options.set(name, value);
    } else {
      throw new UsageError(`unknown option '${a}'`);
    }
  }
  return { positional, flags, options };
}

/**
 * Joins a pipeline given as several arguments (`g2g launch fakeSrc ! fakeSink`, as gst-launch takes it).
 * The shell has removed the user's quotes, so a `key=value` argument holding spaces is quoted again.
 */
export function joinPipeline(parts: readonly string[]): string {
  if (parts.length === 1) return parts[0];
  return parts
    .map((p) => {
      const m = /^([A-Za-z_][\w-]*)=(.*)$/s.exec(p);
      if (!m || !/[\s"'!]/.test(m[2])) return p;
      return `${m[1]}="${m[2].replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    })
    .join(' ');
}
