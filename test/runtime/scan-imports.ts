import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isNodeBuiltin } from './node-builtins';

/** Every module specifier a source text names, by regex (no parser): strict rather than clever. */
export function importSpecifiers(text: string): { specifiers: string[]; dynamic: number } {
  const specs: string[] = [];
  const patterns = [
    /\bfrom\s*(['"])([^'"\n]+)\1/g, // import … from 'x', import type … from 'x', export … from 'x'
    /\bimport\s*(['"])([^'"\n]+)\1/g, // import 'x' (side effect)
    /\bimport\s*\(\s*(['"`])([^'"`\n]+)\1/g, // import('x')
    /\brequire\s*\(\s*(['"`])([^'"`\n]+)\1/g, // require('x'), import x = require('x')
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) specs.push(m[2]);
  // import(expr) / require(expr) cannot be checked statically, so they count against the file.
  const dynamic = [...text.matchAll(/\b(?:import|require)\s*\(\s*(?!['"`])[^)\s]/g)].length;
  return { specifiers: specs, dynamic };
}

/** Every file under `dir`, dotfiles included: nothing is left out by name or extension. */
export function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

export interface ScanResult {
  /** Repo-relative paths of every file read. */
  files: string[];
  /** Repo-relative path → specifiers it names. */
  specifiers: Map<string, string[]>;
  /** `path: specifier` for every Node built-in, and `path: import(<expr>)` for every unanalysable load. */
  offenders: string[];
}

export function scanForNodeImports(root: string, dirs: string[]): ScanResult {
  const result: ScanResult = { files: [], specifiers: new Map(), offenders: [] };
  for (const dir of dirs) {
    for (const file of allFiles(join(root, dir))) {
      const rel = relative(root, file).split('\\').join('/');
      const { specifiers, dynamic } = importSpecifiers(readFileSync(file, 'utf8'));
      result.files.push(rel);
      result.specifiers.set(rel, specifiers);
      for (const s of specifiers) if (isNodeBuiltin(s)) result.offenders.push(`${rel}: ${s}`);
      if (dynamic > 0) result.offenders.push(`${rel}: import(<expr>) ×${dynamic}`);
    }
  }
  return result;
}
