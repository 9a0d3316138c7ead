/**
 * Shared by the controlled-schedule tests: the CLI run in a temporary working directory (so no
 * schedule file lands in the repository), and a recorded pct finding of a catalog bug (bounded:
 * a few scheduler seeds until one finds it).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const cli = join(resolve(process.env.GPC_LAB_DIST ?? 'dist'), 'cli.js');

export function tmpCwd(label: string): string {
  return mkdtempSync(join(tmpdir(), `gpc-${label}-`));
}

export function gpcLab(cwd: string, args: string[], timeoutMs = 180_000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: timeoutMs, cwd });
}

/** The options of a short pct run of refresh-skips-retry on 2 vCPUs (the workload seed fixed). */
export function bugRunArgs(schedSeed: number): string[] {
  return ['stress', '--schedule', 'pct', '--vcpus', '2', '--duration', '20', '--seed', '3', '--sched-seed', String(schedSeed), '--bug', 'refresh-skips-retry'];
}

/** Records a pct finding of refresh-skips-retry into `file`; tries up to 12 scheduler seeds. */
export function recordBugFinding(cwd: string, file: string): { schedSeed: number; result: SpawnSyncReturns<string> } {
  const tried: string[] = [];
  for (let schedSeed = 1; schedSeed <= 12; schedSeed++) {
    const result = gpcLab(cwd, [...bugRunArgs(schedSeed), '--save-schedule', file, '--json']);
    if (result.status === 1 && existsSync(join(cwd, file))) return { schedSeed, result };
    tried.push(`sched seed ${schedSeed}: exit ${String(result.status)} ${result.stderr.slice(0, 200)}`);
  }
  throw new Error(`no pct schedule of 12 found refresh-skips-retry:\n${tried.join('\n')}`);
}
