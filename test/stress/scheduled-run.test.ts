/**
 * Stress runs under a controlled schedule (src/stress/scheduled-run.ts), end to end on the CLI:
 * real worker threads behind the turn gate. Every run is in a temporary working directory.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gpcLab, tmpCwd } from '../support/schedule-runs.js';

interface ScheduleSection {
  kind: string;
  traceHash?: string;
  steps?: number;
  decisions?: number;
  stopReason?: string;
  aborted?: boolean;
  handovers?: number;
  participants?: { thread: string; steps: number; state: string }[];
  knownGaps?: string[];
  chaosRate?: number;
}

interface Report {
  verdict: string;
  findings: { property: string; thread: string; message: string }[];
  internalErrors: string[];
  schedule: ScheduleSection;
}

function stressJson(cwd: string, args: string[]): { status: number | null; report: Report; stderr: string } {
  const result = gpcLab(cwd, ['stress', ...args, '--json']);
  expect(result.stdout, result.stderr).not.toBe('');
  return { status: result.status, report: JSON.parse(result.stdout) as Report, stderr: result.stderr };
}

const SHORT_PCT = ['--schedule', 'pct', '--vcpus', '2', '--duration', '20', '--seed', '3', '--steps', '20000'];

describe('a pct schedule on the real threads', () => {
  it('two runs with the same seeds take the same steps in the same order (same trace hash); another scheduler seed does not', () => {
    const cwd = tmpCwd('pct-hash');
    const a = stressJson(cwd, [...SHORT_PCT, '--sched-seed', '5']);
    const b = stressJson(cwd, [...SHORT_PCT, '--sched-seed', '5']);
    const c = stressJson(cwd, [...SHORT_PCT, '--sched-seed', '6']);
    expect(a.status).toBe(0);
    expect(a.report.schedule.kind).toBe('pct');
    expect(a.report.schedule.stopReason).toBe('completed');
    expect(a.report.schedule.steps).toBeGreaterThanOrEqual(20_000);
    expect(a.report.schedule.handovers).toBeGreaterThan(100);
    expect(a.report.schedule.traceHash).toMatch(/^[0-9a-f]{8}$/);
    expect(b.report.schedule.traceHash).toBe(a.report.schedule.traceHash);
    expect(b.report.schedule.decisions).toBe(a.report.schedule.decisions);
    expect(b.report.schedule.participants).toEqual(a.report.schedule.participants);
    expect(c.report.schedule.traceHash).not.toBe(a.report.schedule.traceHash);
    // Every participant ran, and all left the schedule.
    for (const p of a.report.schedule.participants ?? []) {
      expect(p.steps, p.thread).toBeGreaterThan(0);
      expect(p.state, p.thread).toBe('done');
    }
    expect(a.report.schedule.knownGaps?.length).toBeGreaterThan(0);
    // A clean run without --save-schedule writes no schedule file.
    expect(readdirSync(cwd)).toEqual([]);
  });

  it.each(['locked', 'generation'])('the reference (mainline, %s, default workload) has no finding under pct for 3 schedules', (strategy) => {
    const cwd = tmpCwd(`pct-ref-${strategy}`);
    for (const schedSeed of [1, 2, 3]) {
      // S1's would-be fix on, as in the campaign's reference runs: S1 is a documented candidate upstream bug.
      const { status, report } = stressJson(cwd, ['--schedule', 'pct', '--vcpus', '2', '--duration', '30', '--seed', String(10 + schedSeed), '--sched-seed', String(schedSeed), '--strategy', strategy, '--fix', 'hva-seq-miss']);
      expect(report.findings.map((f) => f.property), `${strategy} sched seed ${schedSeed}`).toEqual([]);
      expect(status).toBe(0);
      expect(report.verdict).toBe('clean');
      expect(report.schedule.stopReason).toBe('completed');
      expect(report.schedule.aborted).toBe(false);
    }
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('a thread that crashes under pct: exit 3 within a bound, the schedule aborted, no thread left running', () => {
    const cwd = tmpCwd('pct-crash');
    const started = performance.now();
    const { status, report } = stressJson(cwd, ['--schedule', 'pct', '--vcpus', '2', '--duration', '30', '--seed', '3', '--crash-after', '50']);
    const elapsedS = (performance.now() - started) / 1000;
    expect(status).toBe(3);
    expect(report.verdict).toBe('internal-error');
    expect(report.internalErrors.join('\n')).toContain('vcpu-0');
    expect(report.internalErrors.join('\n')).not.toContain('left running');
    expect(report.schedule.aborted).toBe(true);
    // The others were not left parked at the gate until the 30 s cap.
    expect(elapsedS).toBeLessThan(25);
  });
});

describe('a chaos schedule', () => {
  it('runs the real threads with injected delays and reports its seed and rate, but no decisions', () => {
    const cwd = tmpCwd('chaos');
    // With S1's would-be fix on: chaos reaches S1 (the candidate upstream bug, docs/VERDICTS.md) on
    // mainline within such a run now and then; this test is about the schedule, not about S1.
    const { status, report } = stressJson(cwd, ['--schedule', 'chaos', '--vcpus', '2', '--duration', '2', '--seed', '3', '--sched-seed', '4', '--chaos-rate', '0.05', '--fix', 'hva-seq-miss']);
    expect(status, JSON.stringify(report.findings).slice(0, 2000)).toBe(0);
    expect(report.schedule).toMatchObject({ kind: 'chaos', chaosRate: 0.05 });
    expect(report.schedule.traceHash).toBeUndefined();
    expect(report.schedule.decisions).toBeUndefined();
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('is not replayable: --save-schedule with chaos is a usage error (exit 2, one line)', () => {
    const cwd = tmpCwd('chaos-save');
    const result = gpcLab(cwd, ['stress', '--schedule', 'chaos', '--save-schedule', 'x.json', '--duration', '1']);
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe('error: --save-schedule needs --schedule random or pct (a chaos schedule is not replayable)');
    expect(readdirSync(cwd)).toEqual([]);
  });
});
