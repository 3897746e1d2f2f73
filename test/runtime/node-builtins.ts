import { builtinModules } from 'node:module';

/** Node's built-ins as the running Node names them (fs, fs/promises, node:test, …), so the list never goes stale. */
const BUILTINS = new Set(builtinModules);

/** True for a specifier that only Node (or a Node polyfill) can satisfy. */
export function isNodeBuiltin(specifier: string): boolean {
  if (specifier.startsWith('node:')) return true;
  // 'fs/promises' is listed itself; 'fs/whatever' still means the built-in package 'fs'.
  return BUILTINS.has(specifier) || BUILTINS.has(specifier.split('/')[0]);
}
