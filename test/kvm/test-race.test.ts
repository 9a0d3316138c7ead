/**
 * The injected two-preemption race (src/kvm/test-race.ts, test only): its stage machine fires in
 * its one bad order and in no other (one thread playing both vCPUs, the scheduler off), and a
 * pct run restarted every 100 steps (--pct-epoch) finds it on the real threads, writes a schedule
 * that replays it, while the hook off leaves the property unchecked.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testVmConfig } from '../support/vm-config.js';
import { buildVm } from '../../src/stress/build-vm.js';
import { MAX_EXTRA_ENTRIES, testRaceSideX, testRaceSideYAfter, testRaceSideYBefore, VM_TEST_RACE_EXTRA, VM_TEST_RACE_STAGE } from '../../src/kvm/test-race.js';
import { PROP_INJECTED_RACE } from '../../src/oracle/properties/injected-race.js';
import { readFindingRecords } from '../../src/trace/findings.js';
import type { ModelContext } from '../../src/kvm/model-context.js';
import { gpcLab, tmpCwd } from '../support/schedule-runs.js';

/**
 * Plays the race's steps in `order` on one context and says whether x3 would see the bad order:
 * x1, x2 and x3 are vcpu-0's three points (testRaceSideX runs them back to back, so a test that
 * interleaves inside it plays its stores as that function does), y1 and y2 vcpu-1's two sides.
 */
function raceCompletes(order: readonly string[]): boolean {
  const ctx: ModelContext = buildVm(testVmConfig({ vcpus: 2 })).main;
  const vm = ctx.vm;
  for (const step of order) {
    if (step === 'x1') {
      Atomics.store(vm, VM_TEST_RACE_EXTRA, 0);
      Atomics.store(vm, VM_TEST_RACE_STAGE, 1);
    } else if (step === 'x2' && Atomics.compareExchange(vm, VM_TEST_RACE_STAGE, 3, 4) === 3) Atomics.store(vm, VM_TEST_RACE_EXTRA, 0);
    else if (step === 'y1') testRaceSideYBefore(ctx);
    else if (step === 'y2') testRaceSideYAfter(ctx);
    else if (step === 'x3') return Atomics.load(vm, VM_TEST_RACE_STAGE) === 6;
  }
  return false;
}

describe('the injected race: its stage machine', () => {
  it('completes in the order x1 < y1 < y2 < x2 < y1 < y2 < x3 (vcpu-0 stopped across one whole entry of vcpu-1, twice)', () => {
    expect(raceCompletes(['x1', 'y1', 'y2', 'x2', 'y1', 'y2', 'x3'])).toBe(true);
  });

  it(`still completes with up to MAX_EXTRA_ENTRIES (${MAX_EXTRA_ENTRIES}) more entries in each gap`, () => {
    const more = (n: number): string[] => Array.from({ length: n }, () => ['y1', 'y2']).flat();
    expect(raceCompletes(['x1', 'y1', 'y2', ...more(MAX_EXTRA_ENTRIES), 'x2', 'y1', 'y2', ...more(MAX_EXTRA_ENTRIES), 'x3'])).toBe(true);
    expect(raceCompletes(['x1', 'y1', 'y2', ...more(MAX_EXTRA_ENTRIES + 1), 'x2', 'y1', 'y2', 'x3'])).toBe(false);
  });

  it.each<[string, string[]]>([
    ['no preemption', ['x1', 'x2', 'x3', 'y1', 'y2']],
    ['one preemption only', ['x1', 'y1', 'y2', 'x2', 'x3']],
    ['single steps interleaved (two cores side by side)', ['x1', 'y1', 'x2', 'y2', 'x3']],
    ['the second stop too short (y2 after x3)', ['x1', 'y1', 'y2', 'x2', 'y1', 'x3', 'y2']],
    ['the first stop too short (y2 after x2)', ['x1', 'y1', 'x2', 'y2', 'y1', 'y2', 'x3']],
    ['vcpu-1 entered before x1', ['y1', 'x1', 'y2', 'x2', 'y1', 'y2', 'x3']],
    ['the first stop too long (three more entries begin before x2)', ['x1', 'y1', 'y2', 'y1', 'y2', 'y1', 'y2', 'y1', 'x2', 'y1', 'y2', 'x3']],
    ['the second stop too long (three more entries begin before x3)', ['x1', 'y1', 'y2', 'x2', 'y1', 'y2', 'y1', 'y2', 'y1', 'y2', 'y1', 'x3']],
  ])('does not complete with %s', (_label, order) => {
    expect(raceCompletes(order)).toBe(false);
  });

  it("vcpu-0's own side alone never completes it, and resets the stage", () => {
    const ctx: ModelContext = buildVm(testVmConfig({ vcpus: 2 })).main;
    for (let round = 0; round < 5; round++) testRaceSideX(ctx, round);
    expect(readFindingRecords(ctx.findings).filter((r) => r.property === PROP_INJECTED_RACE)).toEqual([]);
    expect(Atomics.load(ctx.vm, VM_TEST_RACE_STAGE)).toBe(0);
  });
});

interface Report {
  findings: { property: string }[];
  properties: { name: string; checks: number }[];
  schedule: { kind: string; pctEpoch?: number };
}

const RACE_RUN = ['stress', '--vcpus', '2', '--workload', 'steal', '--schedule', 'pct', '--duration', '30', '--stop-on-finding', '--json'];

describe('the injected race on the real threads under pct', () => {
  it('pct restarted every 100 steps finds it within 6 schedules, and the saved schedule replays it', () => {
    const cwd = tmpCwd('inject-race');
    const tried: string[] = [];
    let found: { schedSeed: number; report: Report } | null = null;
    for (let schedSeed = 1; schedSeed <= 6 && found === null; schedSeed++) {
      const result = gpcLab(cwd, [...RACE_RUN, '--inject-race', '--pct-epoch', '100', '--sched-seed', String(schedSeed), '--save-schedule', 'race.json']);
      const report = JSON.parse(result.stdout) as Report;
      tried.push(`sched seed ${schedSeed}: exit ${String(result.status)}, findings ${report.findings.map((f) => f.property).join(',')}`);
      if (result.status === 1) found = { schedSeed, report };
    }
    expect(found, tried.join('\n')).not.toBeNull();
    expect(found!.report.findings[0]!.property).toBe('injected-race');
    expect(found!.report.schedule.pctEpoch).toBe(100);
    expect(found!.report.properties.find((p) => p.name === 'injected-race')!.checks).toBeGreaterThan(0);
    expect(existsSync(join(cwd, 'race.json'))).toBe(true);
    const replay = gpcLab(cwd, ['replay', 'race.json']);
    expect(replay.status, replay.stdout + replay.stderr).toBe(1);
    expect(replay.stdout).toContain('reproduced');
  });

  it('without the hook the property is never checked (and nothing is found)', () => {
    const cwd = tmpCwd('no-race');
    const result = gpcLab(cwd, [...RACE_RUN, '--pct-epoch', '100', '--sched-seed', '1', '--steps', '50000', '--fix', 'hva-seq-miss']);
    const report = JSON.parse(result.stdout) as Report;
    expect(result.status, result.stderr).toBe(0);
    expect(report.findings).toEqual([]);
    const property = report.properties.find((p) => p.name === 'injected-race');
    expect(property).toBeDefined();
    expect(property!.checks).toBe(0);
  });
});
