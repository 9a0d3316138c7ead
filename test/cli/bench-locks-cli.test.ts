/**
 * `gpc-lab bench-locks` wiring (not a timing test: figures are only checked to be sane).
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const dist = resolve(process.env.GPC_LAB_DIST ?? join(import.meta.dirname, '../../dist'));
const cli = join(dist, 'cli.js');

function gpcLab(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, GPC_LAB_DIST: dist } });
}

describe('gpc-lab bench-locks (CLI)', () => {
  it('a tiny run with --json gives every lock a median and a ratio to its raw Atomics floor', () => {
    const result = gpcLab('bench-locks', '--samples', '10', '--batch', '2000', '--warmup', '1', '--json');
    expect(result.status, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout);
    const byName = new Map<string, { median: number; floor?: string; ratioToFloor?: number }>(
      out.results.map((r: { name: string }) => [r.name, r]),
    );
    for (const name of ['read_lock+read_unlock', 'write_lock+write_unlock', 'mutex_lock+mutex_unlock', 'spin_lock+spin_unlock']) {
      const row = byName.get(name)!;
      expect(row.median, name).toBeGreaterThan(0);
      expect(byName.has(row.floor!), name).toBe(true);
      expect(row.ratioToFloor, name).toBeGreaterThan(0);
    }
    expect(byName.get('raw add+sub')!.ratioToFloor).toBeUndefined();
    expect(out.environment.node).toBe(process.version);
  });

  it('a sample count below 10 is a usage error naming the flag', () => {
    const result = gpcLab('bench-locks', '--samples', '3');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--samples must be an integer from 10 to 1000, got '3'/);
  });
});
