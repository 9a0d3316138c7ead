import { describe, expect, it } from 'vitest';
import { MAINLINE_PATHS, pathCoverage, pathsNotRun } from '../../src/stress/path-coverage.js';
import { resolveStressConfig } from '../../src/stress/stress-config.js';
import type { StressTotals } from '../../src/stress/stress-report.js';

/** Totals where every counter is `value`. */
function totalsAll(value: number): StressTotals {
  return new Proxy({} as StressTotals, { get: () => value });
}

describe('which mainline paths a run exercised', () => {
  it('lists every path as run when the configuration enables it and its count is positive', () => {
    const rows = pathCoverage(resolveStressConfig({ workload: 'steal,xen,runstate,nested' }), totalsAll(3));
    expect(rows).toHaveLength(MAINLINE_PATHS.length);
    for (const r of rows) expect(r).toMatchObject({ enabled: true, ran: true, count: 3 });
    expect(pathsNotRun(rows)).toEqual([]);
  });

  it('names an enabled path that did not run, so a clean verdict is not read as covering it', () => {
    const rows = pathCoverage(resolveStressConfig({ workload: 'steal,xen,runstate,nested' }), totalsAll(0));
    expect(pathsNotRun(rows)).toContain('runstate across a page');
    expect(pathsNotRun(rows)).toContain('DELETE, CREATE onto other memory');
  });

  it('marks the paths of a workload or memslot operation the run left out as off, not as missing', () => {
    const rows = pathCoverage(resolveStressConfig({ workload: 'steal', memslotOps: 'flags-only' }), totalsAll(0));
    const byName = new Map(rows.map((r) => [r.name, r]));
    expect(byName.get('runstate across a page')!.enabled).toBe(false);
    expect(byName.get('event delivered from irq')!.enabled).toBe(false);
    expect(byName.get('MR_MOVE')!.enabled).toBe(false);
    expect(byName.get('FLAGS_ONLY')!.enabled).toBe(true);
    expect(pathsNotRun(rows)).not.toContain('runstate across a page');
    expect(pathsNotRun(rows)).toContain('FLAGS_ONLY');
  });
});
