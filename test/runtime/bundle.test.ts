import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundle, buildErrors, CORE_ENTRY, nodeReferences, REPO_ROOT } from './bundle';

/** Runtime dependencies the core may bundle (rxjs, ix): declared, so their platform support is a reviewed choice. */
const DEPENDENCIES = Object.keys((JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies?: object }).dependencies ?? {});

describe('browser bundle of the core', () => {
  it('bundles src + operators for platform browser with no Node reference left', async () => {
    const { text, inputs } = await bundle(CORE_ENTRY);
    expect(nodeReferences(text)).toEqual([]);
    // Nothing but the core and its declared dependencies is dragged in (not node/, test/, or a stray devDependency).
    const allowed = (f: string) => /^(src|operators)\//.test(f) || f === 'g2g-entry.ts' || DEPENDENCIES.some((d) => f.startsWith(`node_modules/${d}/`));
    expect(inputs.filter((f) => !allowed(f))).toEqual([]);
    expect(inputs).toContain('src/pipeline/run.ts');
    expect(text).toMatch(/^var g2g = /m);
  });

  it('fails the same build for a file importing node:fs', async () => {
    const errors = await bundle("export * from './test/runtime/fixtures/imports-node';").then(
      () => ['(the build succeeded)'],
      buildErrors,
    );
    expect(errors.some((t) => t.includes('node:fs'))).toBe(true);
  });

  it('fails the same build for a bare built-in name (events)', async () => {
    const errors = await bundle("export * from './test/runtime/fixtures/imports-bare-builtin';").then(
      () => ['(the build succeeded)'],
      buildErrors,
    );
    expect(errors.some((t) => t.includes('"events"'))).toBe(true);
  });

  it('the text check flags a Node built-in that a build left external', async () => {
    const node = await bundle("export * from './test/runtime/fixtures/imports-node';", { external: ['node:*'] });
    expect(nodeReferences(node.text)).toEqual(['node:fs', 'require(node:fs)']);
    const bare = await bundle("export * from './test/runtime/fixtures/imports-bare-builtin';", { external: ['events'] });
    expect(nodeReferences(bare.text)).toEqual(['require(events)']);
  });

  it('the text check ignores look-alikes that are not Node modules', () => {
    expect(nodeReferences('require("./events-local"); const s = "nodes:1"; __require("rxjs");')).toEqual([]);
    expect(nodeReferences("x = require( 'fs/promises' ); y = `node:path`;")).toEqual(['node:path', 'require(fs/promises)']);
  });
});
