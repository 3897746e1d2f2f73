import { build, type BuildFailure, type BuildOptions } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { isNodeBuiltin } from './node-builtins';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The browser-platform IIFE the QuickJS test evaluates: every public export of the core and operators under `g2g`. */
export const CORE_ENTRY = "export * from './src/index';\nexport * from './operators/index';\n";

export interface Bundle {
  text: string;
  /** Repo-relative paths of every file esbuild pulled in. */
  inputs: string[];
}

/**
 * Bundles `contents` (resolved from the repo root) exactly as a browser build would; `external` lets a
 * caller keep an import in the output instead of failing, to exercise `nodeReferences`.
 */
export async function bundle(contents: string, extra: Pick<BuildOptions, 'external'> = {}): Promise<Bundle> {
  const result = await build({
    stdin: { contents, resolveDir: REPO_ROOT, loader: 'ts', sourcefile: 'g2g-entry.ts' },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'g2g',
    // ES2022 is the core's stated floor: nothing is lowered, so the engine sees the code as written.
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    ...extra,
  });
  return { text: result.outputFiles[0].text, inputs: Object.keys(result.metafile.inputs) };
}

/** esbuild's error texts, for asserting why a build failed. */
export function buildErrors(e: unknown): string[] {
  const errors = (e as Partial<BuildFailure>).errors;
  if (!errors) throw e;
  return errors.map((m) => m.text);
}

/**
 * Node references left in bundled text: `require("x")` / `__require("x")` of a built-in, and any quoted
 * `node:` specifier (import, dynamic import, or a string a polyfill would resolve).
 */
export function nodeReferences(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/require\s*\(\s*(['"`])([^'"`]+)\1\s*\)/g)) if (isNodeBuiltin(m[2])) found.add(`require(${m[2]})`);
  for (const m of text.matchAll(/(['"`])(node:[^'"`]*)\1/g)) found.add(m[2]);
  return [...found].sort();
}
