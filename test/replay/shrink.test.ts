/**
 * `replay --shrink` (src/replay/shrink.ts) in process, on a B1 (refresh-skips-retry) schedule the
 * CLI recorded under pct restarted every 200 steps (a short schedule: found early). The result
 * must be no larger in any measure, replay strictly to the same finding, and name the critical
 * pair: two steps of two threads whose order the passing neighbour reverses.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runReplay } from '../../src/replay/run-replay.js';
import type { ScheduleFile } from '../../src/sched/schedule-file.js';
import { gpcLab, tmpCwd } from '../support/schedule-runs.js';

const cwd = tmpCwd('shrink');
let recorded: ScheduleFile;

beforeAll(() => {
  const tried: string[] = [];
  for (let schedSeed = 5; schedSeed <= 12; schedSeed++) {
    const result = gpcLab(cwd, ['stress', '--schedule', 'pct', '--pct-epoch', '200', '--vcpus', '2', '--duration', '20', '--seed', '3', '--sched-seed', String(schedSeed), '--bug', 'refresh-skips-retry', '--save-schedule', 'b1.json', '--json']);
    tried.push(`sched seed ${schedSeed}: exit ${String(result.status)}`);
    if (result.status !== 1) continue;
    const file = JSON.parse(readFileSync(join(cwd, 'b1.json'), 'utf8')) as ScheduleFile;
    // A schedule found early keeps the test short (each shrink trial replays it).
    if (file.decisions.count <= 20_000) {
      recorded = file;
      return;
    }
    tried.push(`  ${file.decisions.count} decisions: too long`);
  }
  throw new Error(`no short B1 schedule:\n${tried.join('\n')}`);
}, 600_000);

describe('shrinking a B1 schedule', () => {
  it('gives a schedule no larger in threads, switches and decisions that replays to the same finding, and names the critical pair', async () => {
    const report = await runReplay(join(cwd, 'b1.json'), { shrinkTo: join(cwd, 'b1.shrunk.json'), shrinkTrials: 40, progress: 'silent' });
    expect(report.verdict).toBe('reproduced');
    const s = report.shrink!;
    expect(s).toBeDefined();
    expect(s.verified).toBe('reproduced');
    expect(s.after.decisions).toBeLessThanOrEqual(s.before.decisions);
    expect(s.after.contextSwitches).toBeLessThanOrEqual(s.before.contextSwitches);
    expect(s.after.threads).toBeLessThanOrEqual(s.before.threads);
    // It did shrink: fewer context switches or fewer threads.
    expect(s.after.contextSwitches < s.before.contextSwitches || s.after.threads < s.before.threads).toBe(true);
    const shrunk = JSON.parse(readFileSync(join(cwd, 'b1.shrunk.json'), 'utf8')) as ScheduleFile;
    expect(shrunk.finding).toEqual(recorded.finding);
    expect(shrunk.shrunkFrom?.decisions).toBe(recorded.decisions.count);
    // Every kept reduction is in the shrunk file's configuration.
    for (const r of s.reductions) {
      const [flag, value] = r.startsWith('--workload without ') ? ['workload', r.slice('--workload without '.length)] : [r.split(' ')[0]!, r.split(' ')[1]!];
      if (flag === 'workload') expect(shrunk.config.workload).not.toContain(value);
      else if (flag === '--vcpus') expect(shrunk.config.vcpus).toBe(Number(value));
      else expect(Number((shrunk.config as Record<string, unknown>)[flag.slice(2).replace(/-(\w)/g, (_m, c: string) => c.toUpperCase())])).toBe(0);
    }
    // The critical pair: two different threads, and its neighbour without this finding.
    expect(s.criticalPair, s.criticalPairNote).not.toBeNull();
    const pair = s.criticalPair!;
    expect(pair.first.thread).not.toBe(pair.second.thread);
    expect(pair.neighbour).not.toContain(recorded.finding!.text);
    expect(report.summary).toContain('critical pair:');
  }, 900_000);
});
