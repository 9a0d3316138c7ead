/**
 * `gpc-lab bench` wiring: a --quick --json run gives every figure (not a timing test: figures are
 * only checked to be present and sane; the speed goals live in the bench output).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const dist = resolve(process.env.GPC_LAB_DIST ?? join(import.meta.dirname, '../../dist'));
const cli = join(dist, 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'gpc-bench-cli-'));

function gpcLab(...args: string[]) {
  return gpcLabWith({}, ...args);
}

function gpcLabWith(env: Record<string, string>, ...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, GPC_LAB_DIST: dist, ...env } });
}

const HAVE_CC = (process.env.PATH ?? '').split(':').some((d) => d !== '' && (existsSync(join(d, 'cc')) || existsSync(join(d, 'gcc')) || existsSync(join(d, 'clang'))));

interface Figure {
  name: string;
  floor?: string;
  samples: number;
  median: number;
  ratioToFloor?: number;
}

const STRATEGY_FIGURES = ['none', 'generation', 'lockless', 'locked x1', 'locked x2', 'locked x3', 'locked x8'];
const RAW_FLOORS = ['floor: empty loop', 'raw: plain load', 'raw: Atomics.load', 'raw: Atomics.load+compare', 'raw: add+sub', 'raw: add+sub x8'];

describe('gpc-lab bench (CLI)', () => {
  let quick: ReturnType<typeof gpcLab>;
  let report: {
    vmentry: { vcpus: number; load: string; figures: Figure[] }[];
    invalidation: { figures: Figure[] };
    eviction: { vcpus: number }[];
    goals: { figure: string; ratio: number }[];
    seed: string[];
    chartFile: string;
    environment: { node: string };
    native: {
      status: string;
      note: string;
      rounds: number;
      figures: (Figure & { model: string })[];
      underNotifier: { ratePerS: number; rounds: number; figures: Figure[] } | null;
    };
  };

  beforeAll(() => {
    quick = gpcLab('bench', '--quick', '--json', '--vcpus', '2', '--out', join(dir, 'quick.svg'));
    report = JSON.parse(quick.stdout);
  }, 180_000);

  it('--quick --json: every strategy, cache count, vCPU count and load, with a median, >= 10 samples and a positive ratio to its floor', () => {
    expect(quick.status, quick.stderr).toBe(0);
    const configs = report.vmentry.map((c) => `${c.vcpus} ${c.load}`);
    expect(configs).toEqual(['1 idle', '1 inval-cached', '1 inval-unrelated', '2 idle', '2 inval-cached', '2 inval-unrelated']);
    for (const c of report.vmentry) {
      const byName = new Map(c.figures.map((f) => [f.name, f]));
      const wanted = [...RAW_FLOORS, 'vmentry: empty', ...STRATEGY_FIGURES.flatMap((s) => [`check: ${s}`, `vmentry: ${s}`])];
      for (const name of wanted) {
        const f = byName.get(name);
        expect(f, `${name} (${c.vcpus} ${c.load})`).toBeDefined();
        expect(f!.median, name).toBeGreaterThan(0);
        expect(f!.samples, name).toBeGreaterThanOrEqual(10 * c.vcpus);
        if (f!.floor !== undefined) {
          expect(byName.has(f!.floor), name).toBe(true);
          expect(f!.ratioToFloor, name).toBeGreaterThan(0);
        }
      }
      for (const s of STRATEGY_FIGURES) expect(byName.get(`check: ${s}`)!.floor).toBeDefined();
    }
  });

  it('--quick --json: invalidation cost by caches, refresh, eviction, goals and the seed lines are there; the chart is an SVG', () => {
    const ops = new Map(report.invalidation.figures.map((f) => [f.name, f]));
    for (const name of ['inval unrelated, 0 caches', 'inval unrelated, 8 caches', 'inval cached + refresh, 1 caches', 'refresh, valid cache']) {
      expect(ops.get(name)?.median, name).toBeGreaterThan(0);
    }
    expect(ops.get('inval unrelated, 8 caches')!.ratioToFloor).toBeGreaterThan(0);
    expect(report.eviction.map((e) => e.vcpus)).toEqual([1, 2]);
    expect(report.goals.map((g) => g.figure)).toEqual(['check: locked x1', 'check: locked x2', 'check: locked x3', 'check: locked x8', 'check: generation']);
    for (const g of report.goals) expect(g.ratio).toBeGreaterThan(0);
    expect(report.seed.join('\n')).toMatch(/Paolo[\s\S]*David/);
    expect(report.environment.node).toBe(process.version);
    expect(readFileSync(report.chartFile, 'utf8').startsWith('<svg')).toBe(true);
  });

  it.skipIf(!HAVE_CC)('--quick --json with a cc: native figures from one round per configuration, each with its model counterpart', () => {
    expect(report.native.status, report.native.note).toBe('measured');
    expect(report.native.rounds).toBe(report.vmentry.length);
    const model = new Set(report.vmentry[0]!.figures.map((f) => f.name));
    for (const name of ['check: generation', 'check: lockless', 'check: locked x2', 'vmentry: empty', 'vmentry: locked x8', 'raw: acquire load']) {
      const f = report.native.figures.find((x) => x.name === name);
      expect(f, name).toBeDefined();
      expect(f!.median, name).toBeGreaterThan(0);
      expect(f!.samples, name).toBeGreaterThanOrEqual(10);
      expect(model.has(f!.model), `${name} -> ${f!.model}`).toBe(true);
    }
    expect(report.seed[0]).toMatch(/natively/);
    // The 4 invalidation configurations each had a native round with the notifier at --inval-rate.
    expect(report.native.underNotifier?.rounds).toBe(4);
    expect(report.native.underNotifier?.ratePerS).toBe(2000);
    expect(report.native.underNotifier?.figures.find((f) => f.name === 'vmentry: locked x2')?.samples).toBeGreaterThanOrEqual(10);
  });

  it('with no C compiler on PATH: exit 0, native skipped with the note in the report and the text, the seed lines from the model', () => {
    const json = gpcLabWith({ PATH: '' }, 'bench', '--quick', '--vcpus', '1', '--load', 'idle', '--strategy', 'generation,locked', '--json', '--no-chart');
    expect(json.status, json.stderr).toBe(0);
    const r = JSON.parse(json.stdout) as typeof report;
    expect(r.native.status).toBe('skipped');
    expect(r.native.note).toMatch(/no C compiler \(cc, gcc or clang\) on PATH/);
    expect(r.seed.join('\n')).toMatch(/Paolo[\s\S]*no C compiler.*model's figures/);
    const text = gpcLabWith({ PATH: '' }, 'bench', '--quick', '--vcpus', '1', '--load', 'idle', '--strategy', 'generation', '--no-chart');
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/Native \(bench\/native\/vmentry-checks\.c\): native figures skipped: no C compiler/);
    expect(text.stdout).not.toMatch(/native \(JS\/native\)/);
  }, 120_000);

  it('the text report has the summary tables, names the protocol variant every phase ran (--protocol) and the chart', () => {
    const out = join(dir, 'text.html');
    const result = gpcLab('bench', '--quick', '--vcpus', '1', '--load', 'idle', '--strategy', 'generation,locked', '--protocol', 'range-retry', '--out', out);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.split('\n')[0]).toContain('(protocol range-retry)');
    expect(result.stdout).toMatch(/Summary: ns per entry check/);
    expect(result.stdout).toMatch(/check: generation/);
    expect(result.stdout).not.toMatch(/check: lockless/);
    expect(result.stdout).toMatch(/Goals \(1 vCPU, idle; reported, not enforced\)\n   locked: per cache <= 1.3x [^\n]*\n     (MET   |MISSED) check: locked x1 = /);
    expect(result.stdout.match(/^   locked: per cache <= /gm)).toHaveLength(1); // each goal stated once
    expect(result.stdout).toMatch(/^ratios: ~ = within the spread of its floor/m);
    if (HAVE_CC) {
      expect(result.stdout).toMatch(/1v idle +native \(JS\/native\)/);
      expect(result.stdout).toMatch(/check: locked x2 +\S+ \(\S+x\) +\S+ \(\d+x\)/);
      expect(result.stdout).toMatch(/Native C11 counterparts \(bench\/native\/vmentry-checks\.c; .*-std=c11 -O2/);
      expect(result.stdout).toMatch(/The seed question \(native C11 figures/);
    }
    expect(result.stdout).toContain(`chart: ${out}`);
    expect(existsSync(out)).toBe(true);
  }, 120_000);

  it('a chart that cannot be written still prints the report (exit 0) and says why; --quick writes no chart unless --out names one', () => {
    const blocked = join(dir, 'taken.svg');
    mkdirSync(blocked); // a directory where the chart file should go: the write fails after the run
    const args = ['bench', '--quick', '--vcpus', '1', '--load', 'idle', '--strategy', 'generation', '--no-native', '--samples', '10', '--batch', '100', '--warmup', '0'];
    const result = gpcLab(...args, '--out', blocked);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Summary: ns per entry check/);
    expect(result.stdout).toMatch(new RegExp(`chart: chart not written to ${blocked.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
    const here = mkdtempSync(join(tmpdir(), 'gpc-bench-quick-'));
    const quickNoOut = spawnSync(process.execPath, [cli, ...args], { cwd: here, encoding: 'utf8', timeout: 180_000 });
    expect(quickNoOut.status, quickNoOut.stderr).toBe(0);
    expect(quickNoOut.stdout).not.toMatch(/^chart:/m);
    expect(readdirSync(here)).toEqual([]);
  }, 180_000);

  it.each([
    [['--vcpus', '0'], /--vcpus must be an integer from 1 to 16, got '0'/],
    [['--strategy', 'bogus'], /--strategy must be 'all' or a comma-separated list of locked, generation, lockless, none, got 'bogus'/],
    [['--load', 'busy'], /--load must be/],
    [['--out', 'chart.png'], /--out must name a .svg or .html file/],
    [['--samples', '5'], /--samples must be an integer from 10 to 1000, got '5'/],
    [['--out', '/nonexistent/x.svg'], /^error: --out \/nonexistent\/x.svg: directory \/nonexistent does not exist$/m],
  ])('bad input %j exits 2 with a message and no stack trace, before any measurement', (args, message) => {
    const startedAt = performance.now();
    const result = gpcLab('bench', ...args);
    expect(performance.now() - startedAt).toBeLessThan(10_000); // a node start-up, no bench phase (those take many seconds)
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
