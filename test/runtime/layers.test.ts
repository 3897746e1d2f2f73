/** The layers: src/ (the core) imports nothing above it; operators/ nothing from node/. */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './bundle';
import { allFiles, importSpecifiers } from './scan-imports';

/** Relative imports of every file under `dir` that resolve outside the folders `allowed`. */
function escapes(dir: string, allowed: readonly string[]): string[] {
  const out: string[] = [];
  for (const file of allFiles(join(REPO_ROOT, dir))) {
    for (const spec of importSpecifiers(readFileSync(file, 'utf8')).specifiers) {
      if (!spec.startsWith('.')) continue;
      const target = relative(REPO_ROOT, resolve(dirname(file), spec)).split('\\').join('/');
      if (!allowed.some((a) => target === a || target.startsWith(`${a}/`))) out.push(`${relative(REPO_ROOT, file)} → ${spec}`);
    }
  }
  return out;
}

describe('layers', () => {
  it('src/ imports nothing from operators/, node/ or marbles/', () => {
    expect(escapes('src', ['src'])).toEqual([]);
  });
  it('operators/ imports only the core', () => {
    expect(escapes('operators', ['src', 'operators'])).toEqual([]);
  });
  it('the check sees an import that escapes (it can fail)', () => {
    const text = "import { queue } from '../../operators/queue';";
    const spec = importSpecifiers(text).specifiers[0];
    expect(relative(REPO_ROOT, resolve(join(REPO_ROOT, 'src/pipeline'), spec))).toBe('operators/queue');
  });
});
