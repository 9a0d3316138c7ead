import { readdirSync } from 'node:fs';
import { defineConfig } from 'tsup';

// Every thread role under workers/ becomes its own file in dist/workers/, so piscina can load it
// by path at run time (see src/harness/worker-file.ts).
const workerEntries = Object.fromEntries(
  readdirSync('workers')
    .filter((name) => name.endsWith('.worker.ts'))
    .map((name) => [`workers/${name.replace(/\.worker\.ts$/, '')}`, `workers/${name}`]),
);

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    cli: 'src/cli.ts',
    ...workerEntries,
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  splitting: true,
  sourcemap: true,
  clean: true,
  dts: { entry: { index: 'src/index.ts' } },
  minify: false,
});
