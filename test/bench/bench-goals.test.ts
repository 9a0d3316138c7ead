import { describe, expect, it } from 'vitest';
import { judgeGoals, seedVerdict } from '../../src/bench/bench-goals.js';
import type { VmentryConfigResult, VmentryFigure } from '../../src/bench/bench-report.js';
import { nativeNotRun, type NativeReport } from '../../src/bench/native-bench.js';

function fig(name: string, median: number, floor?: string, floorMedian?: number): VmentryFigure {
  return {
    name,
    floor,
    samples: 10,
    batchSize: 1000,
    median,
    min: median,
    max: median,
    p25: median,
    p75: median,
    madPercent: 0,
    ratioToFloor: floorMedian === undefined ? undefined : median / floorMedian,
    checkFailuresPer1k: 0,
    reloadsPer1k: 0,
  };
}

const empty = { count: 0, mean: 0, min: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };

function config(vcpus: number, load: 'idle' | 'inval-cached', locked1: number): VmentryConfigResult {
  return {
    vcpus,
    load,
    figures: [
      fig('raw: Atomics.load', 8),
      fig('raw: Atomics.load+compare', 9),
      fig('raw: add+sub', 20),
      fig('raw: add+load+sub', 28, 'raw: add+sub', 20),
      fig('check: generation', 10, 'raw: Atomics.load+compare', 9),
      fig('check: locked x1', locked1, 'raw: add+sub', 20),
      fig('vmentry: empty', 100),
      fig('vmentry: generation', 110, 'vmentry: empty', 100),
      fig('vmentry: locked x1', 140, 'vmentry: empty', 100),
    ],
    invalidations: null,
    refreshLatencyUs: empty,
    gcEvents: 0,
    seconds: 1,
  };
}

describe('goals and the seed verdict', () => {
  it('are judged on 1 vCPU idle, whatever else was measured', () => {
    const goals = judgeGoals([config(2, 'idle', 100), config(1, 'inval-cached', 100), config(1, 'idle', 30)], [1]);
    const locked = goals.find((g) => g.figure === 'check: locked x1')!;
    expect(locked.ratio).toBeCloseTo(1.5);
    expect(locked.met).toBe(false);
    expect(locked.note).toBe('30.0 ns per cache against 20.0 ns of add+sub per lock');
    expect(locked.explanation).toMatch(/Atomics.load/);
    expect(locked.statement).toBe("locked: per cache <= 1.3x read lock+unlock's raw Atomics floor (add+sub per lock)");
    // Every fixture figure has p25 = p75 = median: 30 against 20 is told apart.
    expect(locked.verdict).toBe('measured');
    const generation = goals.find((g) => g.figure === 'check: generation')!;
    expect(generation.met).toBe(true);
    expect(generation.ratio).toBeCloseTo(10 / 9);
  });

  it('the seed lines give each position its added ns per vmentry', () => {
    const lines = seedVerdict([config(1, 'idle', 30)], [1]);
    expect(lines[0]).toMatch(/Paolo.*x1 \+40\.0 ns/);
    expect(lines[1]).toMatch(/David.*\+10\.0 ns/);
  });

  it('with native figures the seed lines answer from them, the model\'s beside them in brackets', () => {
    const native: NativeReport = {
      status: 'measured',
      note: '',
      compile: 'cc -std=c11 -O2',
      rounds: 1,
      plan: { batchSize: 1000, samplesPerRound: 10, notifierSamplesPerRound: 5, warmupPerRound: 1 },
      interleaving: 'test',
      figures: [
        { ...fig('check: generation', 0.5, 'raw: acquire load+compare', 0.5), model: 'check: generation', refreshesPer1k: 0 },
        { ...fig('check: locked x2', 15, 'raw: add+sub x2', 14), model: 'check: locked x2', refreshesPer1k: 0 },
        { ...fig('vmentry: empty', 3), model: 'vmentry: empty', refreshesPer1k: 0 },
        { ...fig('vmentry: generation', 3.5, 'vmentry: empty', 3), model: 'vmentry: generation', refreshesPer1k: 0 },
        { ...fig('vmentry: locked x1', 10, 'vmentry: empty', 3), model: 'vmentry: locked x1', refreshesPer1k: 0 },
      ],
      underNotifier: null,
    };
    const lines = seedVerdict([config(1, 'idle', 30)], [1], native);
    expect(lines[0]).toMatch(/Paolo.*natively.*bare entry path of 3\.00 ns \[model 100 ns\]: x1 \+7\.00 ns \[model \+40\.0 ns\]/);
    expect(lines[1]).toMatch(/David.*natively.*\+0\.50 ns per vmentry \[model \+10\.0 ns\], 0\.50 ns alone/);
    expect(lines[2]).toMatch(/locked check alone costs natively 30\.0x the generation check/);
  });

  it('without native figures the seed lines are the model\'s, with the note saying why', () => {
    const lines = seedVerdict([config(1, 'idle', 30)], [1], nativeNotRun('native figures skipped: no C compiler (cc, gcc or clang) on PATH'));
    expect(lines[0]).toMatch(/Paolo.*x1 \+40\.0 ns/);
    expect(lines.at(-1)).toMatch(/no C compiler.*these are the model's figures/);
  });
});
