/**
 * The fuzz pass (`npm run fuzz` for a long one; part of `npm test` for a short one): every target mutated for
 * G2G_FUZZ_MS ms (default 3 s each). CI uses a fixed seed so that a failure reproduces; `npm run fuzz` a
 * random one (printed). Findings land in test/fuzz/findings/ (git-ignored); fix, then move each to
 * test/fuzz/regressions/<target>/, where it is replayed on every run and seeds later passes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { disposeWorkerBundle, fuzz } from './engine';
import { TARGETS } from './targets';

const budgetMs = Number(process.env.G2G_FUZZ_MS ?? 3000);
const seed = process.env.G2G_FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.G2G_FUZZ_SEED ?? 20261205);

describe(`fuzz (seed ${seed}, ${budgetMs} ms a target)`, () => {
  afterAll(disposeWorkerBundle);
  for (const target of TARGETS) {
    it(target.name, { timeout: budgetMs + 60_000 }, async () => {
      const report = await fuzz(target.name, { seed, budgetMs });
      console.log(`fuzz ${target.name}: ${report.executions} executions, ${report.findings.length} findings (seed ${seed})`);
      expect(report.executions).toBeGreaterThan(0);
      expect(report.findings.map((f) => `${f.why}\n    input: ${f.file}`)).toEqual([]);
    });
  }
});
