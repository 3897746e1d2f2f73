import { MissingDependencyError } from '../errors';

/**
 * Whether `e` says that `packageName` itself is missing (Node's ESM and CommonJS loaders, Vite), not a
 * module the package imports.
 */
function isNotFound(e: unknown, packageName: string): boolean {
  if (!(e instanceof Error)) return false;
  const missing =
    /Cannot find (?:package|module) ['"]([^'"]+)['"]/.exec(e.message)?.[1] ?? /Failed to (?:load url|resolve import) ['"]?([^\s'"]+)/.exec(e.message)?.[1];
  return missing !== undefined && (missing === packageName || missing.startsWith(`${packageName}/`));
}

/**
 * Loads an optional peer dependency. `load` is a literal `() => import('pkg')` so that bundlers still see
 * and bundle the package; a missing one becomes a MissingDependencyError naming what to install, any other
 * failure (the package is there but broken) is rethrown as is.
 */
export async function importOptional<T>(packageName: string, feature: string, load: () => Promise<T>, note?: string): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if (isNotFound(e, packageName)) throw new MissingDependencyError(packageName, feature, { cause: e, ...(note !== undefined ? { note } : {}) });
    throw e;
  }
}
