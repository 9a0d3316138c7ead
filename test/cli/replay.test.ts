/**
 * `gpc-lab replay` end to end: a catalog bug found under pct, its schedule file, the replay that
 * reproduces it (exit 1), the determinism check, a tampered file that diverges (exit 3), a clean
 * recording that replays clean (exit 0) and files that are refused (exit 2). Temporary dirs only.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bugRunArgs, gpcLab, recordBugFinding, tmpCwd } from '../support/schedule-runs.js';
import type { ScheduleFile } from '../../src/sched/schedule-file.js';

const cwd = tmpCwd('replay-cli');
let recorded: ScheduleFile;
let schedSeed = 0;

beforeAll(() => {
  ({ schedSeed } = recordBugFinding(cwd, 'found.json'));
  recorded = JSON.parse(readFileSync(join(cwd, 'found.json'), 'utf8')) as ScheduleFile;
}, 600_000);

/** The report's last paragraph (the verdict), unwrapped. */
function lastLine(text: string): string {
  return (text.trim().split('\n\n').at(-1) ?? '').replace(/\s+/g, ' ');
}

describe('a catalog bug found under pct', () => {
  it('writes a schedule file with the finding, the configuration and the decisions', () => {
    expect(recorded.format).toBe('gpc-lab-schedule');
    expect(recorded.finding?.property).toBeTruthy();
    expect(recorded.config.bug).toEqual(['refresh-skips-retry']);
    expect(recorded.scheduler).toMatchObject({ kind: 'pct', seed: schedSeed, pctDepth: 3 });
    expect(recorded.stop.reasonName).toBe('finding');
    expect(recorded.decisions.count).toBeGreaterThan(recorded.stop.step / 2);
    expect(recorded.threads.map((t) => t.name)).toEqual(expect.arrayContaining(['vcpu-0', 'vcpu-1', 'notifier']));
  });

  it('without --save-schedule the file goes to gpc-lab-schedules/ in the working directory, and its path and replay command are printed', () => {
    const own = tmpCwd('replay-default-dir');
    const result = gpcLab(own, bugRunArgs(schedSeed));
    expect(result.status).toBe(1);
    const files = readdirSync(join(own, 'gpc-lab-schedules'));
    expect(files).toHaveLength(1);
    expect(result.stderr).toContain(`replay it with: npx gpc-lab replay gpc-lab-schedules/${files[0]}`);
    // The same seeds: the same decisions as the recording.
    const again = JSON.parse(readFileSync(join(own, 'gpc-lab-schedules', files[0]!), 'utf8')) as ScheduleFile;
    expect(again.traceHash).toBe(recorded.traceHash);
    expect(again.decisions).toEqual(recorded.decisions);
  });

  it('replay says REPRODUCED with the same signature and exits 1', () => {
    const result = gpcLab(cwd, ['replay', 'found.json']);
    expect(result.status, result.stderr).toBe(1);
    expect(lastLine(result.stdout)).toBe(`REPRODUCED (exit 1): reproduced: ${recorded.finding!.text}`);
    const flat = result.stdout.replace(/\s+/g, ' ');
    expect(flat).toContain(`recorded: ${recorded.finding!.text} (trace hash ${recorded.traceHash})`);
    expect(flat).toContain(`replay 1: ${recorded.finding!.text}; ${recorded.decisions.count} decisions`);
  });

  it('--check-determinism replays three times with the recorded trace hash each time', () => {
    const result = gpcLab(cwd, ['replay', 'found.json', '--check-determinism', '--json']);
    expect(result.status, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as { verdict: string; deterministic: boolean; runs: { traceHash: string }[]; summary: string };
    expect(report.verdict).toBe('reproduced');
    expect(report.deterministic).toBe(true);
    expect(report.runs.map((r) => r.traceHash)).toEqual([recorded.traceHash, recorded.traceHash, recorded.traceHash]);
    expect(report.summary).toContain(`deterministic: 3 replays, trace hash ${recorded.traceHash} each time`);
  });

  it('a tampered file (a decision edited) diverges: exit 3, naming the decision, whom it wanted and who was runnable', () => {
    const runs = recorded.decisions.runs.map(([who, n]) => [who, n] as [number, number]);
    const main = recorded.threads.find((t) => t.name === 'main')!.index;
    // A run late enough that main sleeps between its updates; give it to main.
    const k = runs.findIndex(([who], i) => i >= 4 && who !== main);
    const editedAt = runs.slice(0, k).reduce((sum, [, n]) => sum + n, 0);
    runs[k]![0] = main;
    writeFileSync(join(cwd, 'tampered.json'), JSON.stringify({ ...recorded, decisions: { ...recorded.decisions, runs } }));
    const started = performance.now();
    const result = gpcLab(cwd, ['replay', 'tampered.json']);
    expect(result.status, result.stdout.slice(-2000)).toBe(3);
    const m = /^DIVERGED \(exit 3\): diverged at decision (\d+): wanted (\S+), runnable = \{([^}]*)\}$/.exec(lastLine(result.stdout));
    expect(m, lastLine(result.stdout)).not.toBeNull();
    const names = recorded.threads.map((t) => t.name);
    expect(Number(m![1])).toBeGreaterThanOrEqual(editedAt);
    expect(names).toContain(m![2]);
    const runnable = m![3]!.split(', ');
    expect(runnable.length).toBeGreaterThan(0);
    for (const r of runnable) expect(names).toContain(r);
    expect(runnable).not.toContain(m![2]);
    // The divergence ends the run: it does not run on to the replay's wall-clock cap (120 s).
    expect((performance.now() - started) / 1000).toBeLessThan(60);
  });

  it('a clean recording (--save-schedule, no finding) replays clean: exit 0', () => {
    const result = gpcLab(cwd, ['stress', '--schedule', 'pct', '--vcpus', '2', '--duration', '20', '--seed', '3', '--sched-seed', '7', '--steps', '20000', '--save-schedule', 'clean.json']);
    expect(result.status, result.stderr).toBe(0);
    const replay = gpcLab(cwd, ['replay', 'clean.json', '--check-determinism']);
    expect(replay.status, replay.stdout.slice(-1500)).toBe(0);
    expect(lastLine(replay.stdout)).toMatch(/^AS-RECORDED-CLEAN \(exit 0\): no finding, as recorded; deterministic: 3 replays/);
  });
});

describe('a random schedule', () => {
  it('is saved and replays deterministically as well', () => {
    const own = tmpCwd('replay-random');
    const result = gpcLab(own, ['stress', '--schedule', 'random', '--vcpus', '2', '--duration', '20', '--seed', '4', '--sched-seed', '2', '--steps', '20000', '--save-schedule', 'random.json']);
    expect([0, 1], result.stderr).toContain(result.status);
    const file = JSON.parse(readFileSync(join(own, 'random.json'), 'utf8')) as ScheduleFile;
    expect(file.scheduler.kind).toBe('random');
    const replay = gpcLab(own, ['replay', 'random.json', '--check-determinism', '--json']);
    const report = JSON.parse(replay.stdout) as { verdict: string; deterministic: boolean; exitCode: number };
    expect(report.deterministic, replay.stdout.slice(0, 1500)).toBe(true);
    expect(report.verdict).toBe(file.finding === null ? 'as-recorded-clean' : 'reproduced');
    expect(replay.status).toBe(report.exitCode);
  });
});

describe('files replay refuses (exit 2, one line)', () => {
  it.each<[string, (f: ScheduleFile) => unknown, string]>([
    ['other-model.json', (f) => ({ ...f, modelHash: '0000000000000000' }), 'recorded with model code 0000000000000000, this build\'s is'],
    ['other-version.json', (f) => ({ ...f, formatVersion: 99 }), 'format version 99, this tool reads version 1'],
    ['other-tool.json', (f) => ({ ...f, tool: { name: 'gpc-lab', version: '0.0.0-other' } }), 'recorded by gpc-lab 0.0.0-other'],
  ])('%s', (name, edit, message) => {
    writeFileSync(join(cwd, name), JSON.stringify(edit(recorded)));
    const result = gpcLab(cwd, ['replay', name]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${name} is not a usable schedule file: ${message}`);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
  });

  it('a file that is not JSON, and a file that is not there', () => {
    writeFileSync(join(cwd, 'junk.json'), 'not json at all');
    const junk = gpcLab(cwd, ['replay', 'junk.json']);
    expect(junk.status).toBe(2);
    expect(junk.stderr.trim()).toBe('error: junk.json is not a usable schedule file: it is not JSON');
    const missing = gpcLab(cwd, ['replay', 'nowhere.json']);
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim()).toBe('error: cannot read schedule file nowhere.json: ENOENT');
  });
});
