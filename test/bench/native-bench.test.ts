/**
 * The native column (bench/native/vmentry-checks.c through src/bench/native-bench.ts): with a cc
 * the program compiles and gives sane figures; without one, or with a source that does not
 * compile, the report carries a note and nothing fails. Not a timing test: only orders of
 * magnitude that no busy machine inverts are checked.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NativeBench, findCompiler, findNativeSource, modelCounterpart, nativeNotifierVariantNames, nativeVariantNames } from '../../src/bench/native-bench.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'gpc-native-test-'));
const cc = findCompiler();
const NAMES = nativeVariantNames(['locked', 'generation', 'lockless', 'none'], [1, 2, 3, 8]);
const NOTIFIER_NAMES = nativeNotifierVariantNames(['locked', 'generation', 'lockless', 'none'], [1, 2, 3, 8]);
const PLAN = { batchSize: 5_000, samplesPerRound: 3, notifierSamplesPerRound: 2, warmupPerRound: 1 };

describe('native entry checks', () => {
  it.skipIf(cc === null)('with a cc on PATH: compiles once, runs two rounds, and pools every variant into sane figures', () => {
    const bench = new NativeBench(PLAN, NAMES, NOTIFIER_NAMES, 'test');
    expect(bench.prepare({ cacheDir }), bench.note).toBe(true);
    expect(bench.runRound(), bench.note).toBe(true);
    expect(bench.runRound(), bench.note).toBe(true);
    const report = bench.report();
    expect(report.status).toBe('measured');
    expect(report.note).toBe('');
    expect(report.rounds).toBe(2);
    expect(report.compile).toMatch(/-std=c11 -O2/);
    const byName = new Map(report.figures.map((f) => [f.name, f]));
    for (const name of NAMES) {
      const f = byName.get(name);
      expect(f, name).toBeDefined();
      expect(f!.samples, name).toBe(2 * PLAN.samplesPerRound);
      expect(f!.median, name).toBeGreaterThan(0);
      expect(f!.median, name).toBeLessThan(10_000);
      if (f!.floor !== undefined) expect(byName.has(f!.floor), `${name}'s floor ${f!.floor}`).toBe(true);
    }
    // Eight read lock+unlock pairs cost more than one; a locked check more than the empty loop.
    expect(byName.get('check: locked x8')!.median).toBeGreaterThan(2 * byName.get('check: locked x1')!.median);
    expect(byName.get('vmentry: locked x8')!.median).toBeGreaterThan(byName.get('vmentry: empty')!.median);
    expect(byName.get('raw: acquire load')!.model).toBe('raw: Atomics.load');
    expect(byName.get('check: locked x2')!.model).toBe('check: locked x2');
    expect(report.underNotifier).toBeNull();
    for (const f of report.figures) expect(f.refreshesPer1k, `${f.name}: idle, no cache is ever invalid`).toBe(0);
  }, 60_000);

  it.skipIf(cc === null)('a round under the notifier thread: the locked variants only, the notifier invalidates and the checks refresh', () => {
    const bench = new NativeBench({ ...PLAN, batchSize: 50_000, notifierSamplesPerRound: 4 }, NAMES, NOTIFIER_NAMES, 'test');
    expect(bench.prepare({ cacheDir }), bench.note).toBe(true);
    expect(bench.runRound(5_000), bench.note).toBe(true);
    const report = bench.report();
    expect(report.status).toBe('measured');
    expect(report.figures).toEqual([]);
    const loaded = report.underNotifier!;
    expect(loaded.rounds).toBe(1);
    expect(loaded.ratePerS).toBe(5_000);
    // The timing starts after the notifier's first pass (the program's start barrier).
    expect(loaded.events).toBeGreaterThan(0);
    const names = loaded.figures.map((f) => f.name);
    for (const name of NOTIFIER_NAMES) expect(names, name).toContain(name);
    expect(names).not.toContain('check: generation');
    // The first pass invalidated every cache before the timing began, so the first locked check refreshed.
    expect(loaded.figures.some((f) => f.name.startsWith('check: locked') && f.refreshesPer1k > 0)).toBe(true);
    expect(loaded.figures.find((f) => f.name === 'raw: add+sub')!.refreshesPer1k).toBe(0);
    for (const f of loaded.figures) expect(f.median, f.name).toBeGreaterThan(0);
  }, 60_000);

  it('with no C compiler on PATH (an empty PATH): skipped with a note naming why, no figures, no throw', () => {
    expect(findCompiler('')).toBeNull();
    const bench = new NativeBench(PLAN, NAMES, NOTIFIER_NAMES, 'test');
    expect(bench.prepare({ pathEnv: '', cacheDir })).toBe(false);
    expect(bench.ready).toBe(false);
    expect(bench.runRound()).toBe(false);
    const report = bench.report();
    expect(report.status).toBe('skipped');
    expect(report.note).toMatch(/no C compiler \(cc, gcc or clang\) on PATH/);
    expect(report.figures).toEqual([]);
  });

  it.skipIf(cc === null)('a source that does not compile: skipped with the compiler\'s first error line', () => {
    const bad = join(cacheDir, 'broken.c');
    writeFileSync(bad, 'int main(void) { return undeclared_thing; }\n');
    const bench = new NativeBench(PLAN, NAMES, NOTIFIER_NAMES, 'test');
    expect(bench.prepare({ source: bad, cacheDir })).toBe(false);
    expect(bench.report().note).toMatch(/compiling .*broken\.c with .* failed: .*error.*undeclared_thing/);
  }, 60_000);

  it.skipIf(cc === null)('a program that fails at run time: the round reports the failure and the bench goes on without native figures', () => {
    const failing = join(cacheDir, 'exit3.c');
    writeFileSync(failing, '#include <stdio.h>\nint main(void) { fputs("boom\\n", stderr); return 3; }\n');
    const bench = new NativeBench(PLAN, NAMES, NOTIFIER_NAMES, 'test');
    expect(bench.prepare({ source: failing, cacheDir })).toBe(true);
    expect(bench.runRound()).toBe(false);
    expect(bench.ready).toBe(false);
    const report = bench.report();
    expect(report.status).toBe('skipped');
    expect(report.note).toMatch(/native round 1 failed \(exit 3: boom\); no native figures/);
  }, 60_000);

  it('the shipped source is found from the module, and the raw floors map to their model counterparts', () => {
    expect(findNativeSource()).toMatch(/bench\/native\/vmentry-checks\.c$/);
    expect(modelCounterpart('raw: relaxed load')).toBe('raw: plain load');
    expect(modelCounterpart('raw: acquire load+compare')).toBe('raw: Atomics.load+compare');
    expect(nativeVariantNames(['generation'], [1, 2])).not.toContain('check: locked x1');
  });
});
