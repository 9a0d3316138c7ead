/**
 * The Xen runstate workload under stress (real threads): page-crossing vCPUs write through both
 * caches, the atomic sched-out path gives up now and then, the reference protocol stays clean on
 * the locked and generation strategies, and the runstate-lock-order switch is caught by lockdep.
 */
import { describe, expect, it } from 'vitest';
import { formatStressReport } from '../../src/stress/format-report.js';
import { checksOf, findingsOf, firing, shortStress } from './stress-support.js';

describe('the runstate workload on the reference protocol', () => {
  for (const strategy of ['locked', 'generation'] as const) {
    it(`strategy ${strategy}: runstate updates run (some across a page boundary) with invalidations and memslot moves, the guest checks its copies, and no oracle fires`, async () => {
      const report = await shortStress({ strategy, vcpus: 4, duration: 3, memslotRate: 50, workload: ['steal', 'xen', 'runstate', 'nested'] });
      expect(report.internalErrors).toEqual([]);
      expect(firing(report)).toBe('none');
      expect(report.exitCode).toBe(0);
      expect(report.totals.runstateUpdates).toBeGreaterThan(0);
      expect(report.totals.runstateSplitUpdates).toBeGreaterThan(0);
      expect(report.totals.runstateSplitUpdates).toBeLessThan(report.totals.runstateUpdates);
      expect(report.totals.invalidationsThatCleared).toBeGreaterThan(0);
      expect(checksOf(report, 'records')).toBeGreaterThan(0);
      expect(formatStressReport(report).join('\n')).toMatch(/runstate: [\d,]+ updates \([\d,]+ across a page boundary\), atomic give-ups/);
    });
  }

  it('with lockdep on, the gpc1 -> gpc2 nesting (subclass 1) records no lock-order finding', async () => {
    const report = await shortStress({ vcpus: 4, duration: 2, workload: 'runstate', lockdep: true });
    expect(report.internalErrors).toEqual([]);
    expect(firing(report)).toBe('none');
    expect(report.totals.runstateSplitUpdates).toBeGreaterThan(0);
  });
});

describe('the guest runstate check under a broken protocol (real threads)', () => {
  it('invalidate-skips-clear: a cache that keeps a migrated page writes part of the area to the old page, and the guest reads a torn copy', async () => {
    const report = await shortStress({ vcpus: 4, duration: 3, workload: 'runstate', bug: 'invalidate-skips-clear' });
    expect(report.internalErrors).toEqual([]);
    expect(findingsOf(report, 'records'), firing(report)).toBeGreaterThan(0);
    expect(report.findings.some((f) => f.property === 'records' && f.details.check === 'runstate-torn'), JSON.stringify(report.findings.map((f) => f.details))).toBe(true);
  });
});

describe('the runstate-lock-order switch', () => {
  it('gpc2 before gpc1 on one vCPU while another takes gpc1 first: lock-sanity reports the circular dependency', async () => {
    const report = await shortStress({ vcpus: 4, duration: 2, workload: 'runstate', lockdep: true, bug: 'runstate-lock-order' });
    expect(report.internalErrors).toEqual([]);
    expect(findingsOf(report, 'lock-sanity'), firing(report)).toBeGreaterThan(0);
    const f = report.findings.find((x) => x.property === 'lock-sanity');
    expect(JSON.stringify(f?.details)).toMatch(/gpc\.lock\/1/);
    expect(report.rerun).toContain('--bug runstate-lock-order');
  });
});
