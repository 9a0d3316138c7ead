/**
 * runReplay (src/replay/run-replay.ts) in process, on a schedule file the CLI recorded: the
 * verdicts and exit codes it gives for a reproduced finding, a divergence and another finding.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runReplay } from '../../src/replay/run-replay.js';
import type { ScheduleFile } from '../../src/sched/schedule-file.js';
import { UsageError } from '../../src/util/usage-error.js';
import { recordBugFinding, tmpCwd } from '../support/schedule-runs.js';

const cwd = tmpCwd('run-replay');
let recorded: ScheduleFile;

beforeAll(() => {
  recordBugFinding(cwd, 'found.json');
  recorded = JSON.parse(readFileSync(join(cwd, 'found.json'), 'utf8')) as ScheduleFile;
}, 600_000);

function variant(name: string, edit: (f: ScheduleFile) => ScheduleFile): string {
  const path = join(cwd, name);
  writeFileSync(path, JSON.stringify(edit(recorded)));
  return path;
}

describe('replaying a recorded finding in process', () => {
  it('reproduced: the same signature, exit 1, the replay following every recorded decision', async () => {
    const report = await runReplay(join(cwd, 'found.json'));
    expect(report.verdict).toBe('reproduced');
    expect(report.exitCode).toBe(1);
    expect(report.runs).toHaveLength(1);
    expect(report.runs[0]!.finding).toEqual(recorded.finding);
    expect(report.runs[0]!.traceHash).toBe(recorded.traceHash);
    expect(report.runs[0]!.decisions).toBe(recorded.decisions.count);
    expect(report.runs[0]!.diverged).toBeUndefined();
    expect(report.report.schedule.kind).toBe('replay');
  });

  it('a recorded signature that differs from what recurs: not reproduced, exit 0, saying both', async () => {
    const path = variant('other-signature.json', (f) => ({ ...f, finding: { ...f.finding!, property: 'uaf-gpa', text: 'uaf-gpa (someone)' } }));
    const report = await runReplay(path);
    expect(report.verdict).toBe('not-reproduced');
    expect(report.exitCode).toBe(0);
    expect(report.summary).toBe(`another finding: ${recorded.finding!.text} (recorded: uaf-gpa (someone))`);
  });

  it('decisions cut short: diverged where the log ends, exit 3', async () => {
    const count = Math.floor(recorded.decisions.count / 3);
    const runs: [number, number][] = [];
    let left = count;
    for (const [who, n] of recorded.decisions.runs) {
      if (left === 0) break;
      runs.push([who, Math.min(n, left)]);
      left -= Math.min(n, left);
    }
    const path = variant('short.json', (f) => ({ ...f, decisions: { count, runs } }));
    const report = await runReplay(path, { checkDeterminism: true });
    expect(report.verdict).toBe('diverged');
    expect(report.exitCode).toBe(3);
    expect(report.runs).toHaveLength(1); // no second replay of a diverged one
    expect(report.deterministic).toBe(false);
    expect(report.runs[0]!.diverged).toMatchObject({ decision: count, wanted: '(end of schedule)' });
    expect(report.summary).toMatch(new RegExp(`^diverged at decision ${count}: wanted \\(end of schedule\\), runnable = \\{.+\\}`));
  });

  it('a mismatched file is a UsageError before anything runs', async () => {
    await expect(runReplay(variant('bad.json', (f) => ({ ...f, formatVersion: 0 })))).rejects.toThrow(UsageError);
  });
});
