import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the built entry file of a thread role lives (`dist/workers/<role>.js`).
 *
 * Worker entry files are not transformed by Vite, so threads always start from the tsup output,
 * also under vitest (`npm test` builds first). Resolution: `GPC_LAB_DIST` if set (lets a
 * developer build into a private folder), else the `dist/` of the package this module belongs to,
 * found by walking up from this file to the nearest package.json.
 */
export function workerFile(role: string): string {
  const file = join(distDirectory(), 'workers', `${role}.js`);
  if (!existsSync(file)) {
    throw new Error(
      `worker entry for role '${role}' not found at ${file}: run \`npm run build\` first` +
        (process.env.GPC_LAB_DIST ? ` (GPC_LAB_DIST=${process.env.GPC_LAB_DIST})` : ''),
    );
  }
  return file;
}

function distDirectory(): string {
  const override = process.env.GPC_LAB_DIST;
  if (override) return resolve(override);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist');
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
