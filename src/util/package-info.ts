/**
 * The installed package: its root directory (the nearest package.json named gpc-lab above this
 * module: dist/ when built, src/util/ under the tests), its version, the git commit of a clone and
 * a hash of the built code. Cold path; each is computed once per process.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The package's root directory. */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'gpc-lab') return (root = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no gpc-lab package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

let version: string | undefined;

/** package.json's version (read once: every report's envelope asks for it). */
export function packageVersion(): string {
  return (version ??= (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version);
}

let commit: string | null | undefined;

/** HEAD of the clone the package runs from, or null (an installed package, no git). */
export function gitCommit(): string | null {
  if (commit !== undefined) return commit;
  const result = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: packageRoot(), encoding: 'utf8', timeout: 5000 });
  const text = result.status === 0 ? result.stdout.trim() : '';
  return (commit = /^[0-9a-f]{40}$/.test(text) ? text : null);
}

let modelHash: string | undefined;

/**
 * sha256 (first 16 hex digits) of the code the model threads run: every .js file under dist/, by
 * name and content. Two results with the same hash ran the same model, whatever their commits say.
 */
export function builtCodeHash(): string {
  if (modelHash !== undefined) return modelHash;
  const dist = join(packageRoot(), 'dist');
  const hash = createHash('sha256');
  const files = existsSync(dist) ? (readdirSync(dist, { recursive: true }) as string[]).filter((f) => f.endsWith('.js')).sort() : [];
  for (const f of files) {
    hash.update(f);
    hash.update('\0');
    hash.update(readFileSync(join(dist, f)));
  }
  return (modelHash = files.length > 0 ? hash.digest('hex').slice(0, 16) : 'unbuilt');
}
