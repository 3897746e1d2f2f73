import { describe, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bundle, CORE_ENTRY, REPO_ROOT } from './bundle';
import { isNodeBuiltin } from './node-builtins';
import { importSpecifiers, scanForNodeImports } from './scan-imports';

const CORE_DIRS = ['src', 'operators'];

describe('static scan: the core imports no Node built-in', () => {
  it('no file under src/ or operators/ imports a Node built-in', () => {
    const scan = scanForNodeImports(REPO_ROOT, CORE_DIRS);
    expect(scan.offenders).toEqual([]);
    // Every file was read, whatever its extension (a stray .js or .json is scanned, not skipped).
    const listed = CORE_DIRS.flatMap((d) =>
      readdirSync(join(REPO_ROOT, d), { recursive: true, encoding: 'utf8' })
        .map((f) => `${d}/${f.split('\\').join('/')}`)
        .filter((f) => statSync(join(REPO_ROOT, f)).isFile()),
    );
    expect([...scan.files].sort()).toEqual(listed.sort());
    expect(scan.files).toContain('src/clock/host.ts');
    expect(scan.files).toContain('operators/queue.ts');
  });

  it('finds every import esbuild resolves (the regex misses no form the core uses)', async () => {
    // esbuild's metafile records each file's imports as written: an independent parser to check the regex against.
    const { build } = await import('esbuild');
    const result = await build({
      stdin: { contents: CORE_ENTRY, resolveDir: REPO_ROOT, loader: 'ts', sourcefile: 'g2g-entry.ts' },
      bundle: true,
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const scan = scanForNodeImports(REPO_ROOT, CORE_DIRS);
    const missed: string[] = [];
    let checked = 0;
    for (const [file, input] of Object.entries(result.metafile.inputs)) {
      if (file === 'g2g-entry.ts') continue;
      const mine = new Set(scan.specifiers.get(file));
      for (const imp of input.imports) {
        // Imports esbuild adds itself (its runtime helpers) have no source text to find.
        if (imp.original === undefined) continue;
        checked++;
        if (!mine.has(imp.original!)) missed.push(`${file}: ${imp.original}`);
      }
    }
    expect(missed).toEqual([]);
    expect(checked).toBeGreaterThan(50);
    // Sanity: the bundle helper sees the same file set the scan does for reachable code.
    expect((await bundle(CORE_ENTRY)).inputs.filter((f) => f !== 'g2g-entry.ts').every((f) => scan.files.includes(f))).toBe(true);
  });

  it('flags a fixture that imports Node built-ins in every form', () => {
    const scan = scanForNodeImports(REPO_ROOT, ['test/runtime/fixtures']);
    const f = 'test/runtime/fixtures/every-import-form.ts';
    expect(scan.offenders.filter((o) => o.startsWith(f + ':')).sort()).toEqual(
      [
        'node:fs', // multi-line import
        'fs', // import type
        'path', // namespace import
        'node:process', // side-effect import
        'events', // export … from
        'node:os', // export * from
        'node:crypto', // dynamic import
        'zlib', // require
        'import(<expr>) ×1', // unanalysable dynamic import
      ]
        .map((s) => `${f}: ${s}`)
        .sort(),
    );
    expect(scan.offenders).toContain('test/runtime/fixtures/imports-node.ts: node:fs');
    expect(scan.offenders).toContain('test/runtime/fixtures/imports-bare-builtin.ts: events');
  });

  it('does not flag relative imports or packages that merely look like built-ins', () => {
    const text = "import { a } from './fs';\nimport b from 'rxjs';\nexport * from '../path/x';\nimport c from 'events-extra';\nconst d = Array.from('fs');";
    const { specifiers, dynamic } = importSpecifiers(text);
    expect(specifiers.sort()).toEqual(['../path/x', './fs', 'events-extra', 'rxjs']);
    expect(dynamic).toBe(0);
    expect(specifiers.filter(isNodeBuiltin)).toEqual([]);
  });
});
