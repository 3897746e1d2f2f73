// The package's declarations, one .d.ts per source file under dist/types (tsc -p tsconfig.build.json), made
// resolvable by every consumer: the sources import extensionless ('./caps'), which bundler resolution accepts
// and NodeNext does not, so each relative specifier gets the file it means ('./caps.js' or './caps/index.js').
// A bundled single .d.ts is what broke `export * as h264` (TS2693); a tree of files keeps namespaces intact.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/types');

rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
// The addons' declarations are napi-rs generated (native/index.d.ts, native-gst/index.d.ts), not emitted by tsc.
for (const dir of ['native', 'native-gst']) {
  mkdirSync(join(out, dir), { recursive: true });
  copyFileSync(join(root, dir, 'index.d.ts'), join(out, dir, 'index.d.ts'));
}

const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.d.ts')) files.push(p);
  }
};
walk(out);

/** './x' → './x.js' or './x/index.js', by what exists beside the declaration. */
function withExtension(file, spec) {
  if (/\.(js|mjs|cjs|json)$/.test(spec)) return spec;
  const base = resolve(dirname(file), spec);
  if (existsSync(`${base}.d.ts`)) return `${spec}.js`;
  if (existsSync(join(base, 'index.d.ts'))) return `${spec}/index.js`;
  throw new Error(`build-types: ${relative(root, file)} imports '${spec}', which resolves to no declaration`);
}

// tsc drops `/// <reference types="@webgpu/types" />` from the files it emits; declarations naming WebGPU
// types get it back (@webgpu/types is a dependency of the package).
const WEBGPU_TYPES = /\bGPU[A-Z]\w*/;
const WEBGPU_REFERENCE = '/// <reference types="@webgpu/types" />\n';

// Includes tsc's own `import(".")` / `import("..")` in inferred types (a folder's index).
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}(?:\/[^'"]*)?)\2/g;
let rewritten = 0;
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  let next = text.replace(SPECIFIER, (_m, lead, q, spec) => `${lead}${q}${withExtension(file, spec)}${q}`);
  if (WEBGPU_TYPES.test(next) && !next.includes(WEBGPU_REFERENCE)) next = WEBGPU_REFERENCE + next;
  if (next !== text) {
    writeFileSync(file, next);
    rewritten++;
  }
}
console.log(`build-types: ${files.length} declaration files in dist/types (${rewritten} with rewritten imports)`);
