// @ts-check
// A local TypeDoc plugin: names each entry-point module by the package subpath users import it by
// (`glass2glass`, `glass2glass/operators`, …) instead of its file path (`operators/entry`, `operators`, …).
// The names come from tsconfig.json's `paths`, which map the package's subpaths to their sources; an entry
// point with no such alias is an error, so a new entry cannot silently appear under a file path.
import { dirname, resolve } from 'node:path';
import { Converter, ReflectionKind } from 'typedoc';

const PACKAGE = 'glass2glass';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Module) || reflection.parent !== context.project) return;
    const file = context.getSymbolFromReflection(reflection)?.declarations?.[0]?.getSourceFile().fileName;
    const name = file && subpathOf(context.program.getCompilerOptions(), file);
    if (name) reflection.name = name;
    else app.logger.error(`typedoc-plugin: entry point ${file ?? reflection.name} has no '${PACKAGE}…' alias in tsconfig.json's paths`);
  });
}

/**
 * @param {import('typescript').CompilerOptions} options
 * @param {string} file
 */
function subpathOf(options, file) {
  const base = /** @type {string | undefined} */ (options.pathsBasePath) ?? options.baseUrl ?? dirname(String(options.configFilePath ?? 'tsconfig.json'));
  for (const [alias, targets] of Object.entries(options.paths ?? {})) {
    if (alias !== PACKAGE && !alias.startsWith(`${PACKAGE}/`)) continue;
    if (targets.some((t) => resolve(base, t) === resolve(file))) return alias;
  }
  return undefined;
}
