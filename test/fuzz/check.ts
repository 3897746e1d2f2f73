import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { G2gError } from '../../src/errors';
import type { FuzzTarget } from './targets';

/** Saved regressions of a target: every fixed finding, replayed by regressions.test.ts and seeding each pass. */
export function regressions(target: string): Uint8Array[] {
  const dir = new URL(`./regressions/${target}/`, import.meta.url);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((f) => new Uint8Array(readFileSync(new URL(f, dir))));
}

export function corpusOf(target: FuzzTarget): Uint8Array[] {
  return [...target.seeds(), ...regressions(target.name)];
}

/** Why an input is a finding, or undefined when the target handled it (accepted it, or refused it with a G2gError). */
export async function check(target: FuzzTarget, input: Uint8Array, slowMs: number): Promise<string | undefined> {
  const started = performance.now();
  try {
    await target.run(input);
  } catch (e) {
    if (!(e instanceof G2gError)) return `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`.slice(0, 500);
  }
  const ms = performance.now() - started;
  return ms > slowMs ? `took ${ms.toFixed(0)} ms (limit ${slowMs} ms): a hang or a quadratic path` : undefined;
}
