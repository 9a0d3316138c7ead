/**
 * `runVerdicts` with real short runs (threads run the built files: GPC_LAB_DIST or dist/): a
 * variant with a finding put there on purpose (test/support/never-retry-protocol.mjs, loaded as a
 * --protocol-module) is reported with the step it replaces and the patch line of that step, while
 * mainline beside it stays clean; a mainline finding that is none of mainline's documented
 * candidate upstream bugs (here a catalog bug switch on) makes exit 1.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveVerdictsConfig } from '../../src/verdicts/verdicts-config.js';
import { runVerdicts } from '../../src/verdicts/run-verdicts.js';
import { formatVerdictsMarkdown } from '../../src/verdicts/format-verdicts.js';

const FIXTURE = resolve('test/support/never-retry-protocol.mjs');

describe('gpc-lab verdicts, run in-process', () => {
  it('a variant whose retry predicate never retries: its findings name retryPredicate, the fixture module and its patch line; mainline beside it has none; exit 0', async () => {
    const report = await runVerdicts(resolveVerdictsConfig({ protocol: 'test-never-retry', protocolModule: FIXTURE, budget: 3, vcpus: 2, seed: 3 }));
    expect(report.exitCode).toBe(0);
    expect(report.variants.map((v) => v.name)).toEqual(['test-never-retry']);
    const v = report.variants[0]!;
    expect(v.module).toBe(FIXTURE);
    expect(v.replacedSteps).toEqual([{ step: 'retryPredicate', patch: 'mmu_notifier_retry_cache() returning false (test fixture: B1 reverted, 58cd407ca4c6)' }]);
    expect(v.run.findingsTotal).toBeGreaterThan(0);
    expect(v.run.firstFinding).not.toBeNull();
    expect(v.run.findings.length).toBeGreaterThan(0);
    // Every finding that a refresh's install raced is blamed on the replaced step, with its function and module.
    const traced = v.run.findings.filter((f) => f.allowingSteps.length > 0);
    expect(traced.length, v.run.findings.map((f) => `${f.property}: ${f.allowedBy}`).join('\n')).toBeGreaterThan(0);
    for (const f of traced) {
      expect(f.allowingSteps[0]).toMatchObject({ step: 'retryPredicate', function: 'neverRetryCache', module: FIXTURE });
      expect(f.allowingSteps[0]!.tracedBy.some((s) => s.startsWith('refresh-install'))).toBe(true);
      expect(f.allowedBy).toContain('58cd407ca4c6');
      // Racing steps first, ending with the FINDING.
      expect(f.racing.at(-1)!.step).toBe('FINDING');
    }
    expect(v.mainline).not.toBeNull();
    expect(v.mainline!.protocol).toBe('mainline');
    expect(v.mainline!.workloads).toEqual(v.run.workloads);
    expect(v.mainline!.seed).toBe(v.run.seed);
    expect(v.mainline!.findingsTotal).toBe(0);
    expect(v.mainline!.properties.find((p) => p.property === 'uaf-khva')!.verdict).toMatch(/^no finding in [\d,]+ checks over 3\.\d s$/);
    expect(report.unexplainedMainline).toEqual([]);
    const md = formatVerdictsMarkdown(report).join('\n');
    expect(md).toContain('| variant | runs with | checks | findings | first | verdict | mainline beside it |');
    expect(md).toMatch(/\| `test-never-retry` \| [^|]+ \| [\d,]+ \| [\d,]+ \| [a-z-]+ [\d.]+ s \| [\d,]+ findings in [\d,]+ checks over 3\.\d s \| no finding in [\d,]+ checks over 3\.\d s \(seed 3\) \|/);
    expect(md).toContain('| property | `test-never-retry` |');
    expect(md).toMatch(/\| [a-z-]+ \| \*\*[\d,]+\*\* in [\d,]+/);
    expect(md).toContain('Allowed by: retryPredicate (neverRetryCache');
  }, 120_000);

  it('mainline with a catalog bug switch on (refresh-skips-retry, B1): its findings are none of its candidate upstream bugs, so exit 1 and each is listed', async () => {
    const report = await runVerdicts(resolveVerdictsConfig({ protocol: 'mainline', bug: 'refresh-skips-retry', budget: 3, vcpus: 2, seed: 3 }));
    const m = report.variants[0]!;
    expect(m.name).toBe('mainline');
    expect(m.mainline).toBeNull();
    expect(m.run.findingsTotal).toBeGreaterThan(0);
    expect(report.exitCode).toBe(1);
    expect(report.unexplainedMainline.length).toBeGreaterThan(0);
    for (const u of report.unexplainedMainline) expect(u.rerun).toContain('--bug refresh-skips-retry');
    for (const f of m.run.findings) {
      expect(f.candidateBug).toBeNull();
      expect(f.allowedBy).toContain('not one of its documented candidate upstream bugs');
    }
  }, 120_000);

  it('mainline and a shipped variant with no bug: every row that made checks says "no finding in N checks over T s" or counts its findings, never "safe"; exit 0', async () => {
    const report = await runVerdicts(resolveVerdictsConfig({ protocol: 'mainline,b17-trylock', budget: 2, vcpus: 2, seed: 5, workload: 'steal,xen' }));
    expect(report.variants.map((v) => v.name)).toEqual(['mainline', 'b17-trylock']);
    // Same workloads and strategy: b17-trylock's mainline is the mainline row's run, not a second one.
    expect(report.variants[1]!.mainline).toBe(report.variants[0]!.run);
    expect(report.variants[1]!.module).toBe('src/kvm/protocols/b17-trylock.ts');
    for (const v of report.variants) {
      for (const p of v.run.properties) {
        expect(p.verdict).not.toMatch(/safe/i);
        if (p.findings === 0) expect(p.verdict).toBe(`no finding in ${p.checks.toLocaleString('en-US')} checks over ${v.run.seconds.toFixed(1)} s`);
      }
    }
    // Mainline here may show S1 (no fix is on), which is documented: only an unexplained finding would make exit 1.
    expect(report.exitCode).toBe(report.unexplainedMainline.length > 0 ? 1 : 0);
    expect(report.unexplainedMainline).toEqual([]);
  }, 120_000);

  it('--shard splits the chosen variants by list index, and every shard lists the same selection', async () => {
    const config = { protocol: 'mainline,b17-trylock,range-retry', budget: 0.5, vcpus: 1, workload: 'steal' } as const;
    const one = await runVerdicts(resolveVerdictsConfig({ ...config, shard: '2/2' }));
    expect(one.selected).toEqual(['mainline', 'b17-trylock', 'range-retry']);
    expect(one.variants.map((v) => v.name)).toEqual(['b17-trylock']);
    expect(one.shard).toBe('2/2');
  }, 120_000);
});
