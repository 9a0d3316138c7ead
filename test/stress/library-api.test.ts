/** What a user's own vitest test does with the library: build a VM, run a stress, read the report. */
import { describe, expect, it } from 'vitest';
import { buildVm, PROPERTIES, STRATEGY_NAMES, stress, UsageError, type StressReport } from '../../src/index.js';
import { G_ACTIVE, G_PFN, G_VALID, gpcBase } from '../../src/kvm/gpc-layout.js';

describe('the library API', () => {
  it('a user builds a VM, and its caches are active and valid before any thread runs', () => {
    const vm = buildVm({
      vcpus: 2,
      pageSize: 4096,
      strategy: STRATEGY_NAMES.indexOf('generation'),
      bugMask: 0,
      seed: 3,
      oracles: true,
      traceDepth: 16,
      workload: 7,
      guestSteps: 4,
      eventPermille: 50,
      stealPermille: 50,
      postPermille: 100,
    });
    expect(vm.layout.gpcs).toBe(13);
    expect(vm.buffers.ram.byteLength).toBeGreaterThan(0);
    // workload 7 = xen + steal + nested: their 9 caches (shared_info, 2 steal-time, 2 x vAPIC + PI, 2 vcpu_info) are in use; the runstate ones are not.
    const gpcs = new Int32Array(vm.buffers.gpcs);
    const inUse = vm.layout.caches.caches.filter((c) => (c.workload & 7) !== 0).map((c) => c.index);
    expect(inUse).toHaveLength(9);
    for (const g of inUse) {
      expect(gpcs[gpcBase(g) + G_ACTIVE], `gpc ${g} active`).toBe(1);
      expect(gpcs[gpcBase(g) + G_VALID], `gpc ${g} valid`).toBe(1);
      expect(gpcs[gpcBase(g) + G_PFN], `gpc ${g} pfn`).toBeGreaterThanOrEqual(0);
    }
  });

  it('a user runs a short stress and reads the typed report: per property checks and findings, per thread counters', async () => {
    const report: StressReport = await stress({ vcpus: 2, duration: 1, seed: 21, strategy: 'generation' });
    expect(report.verdict).toBe('clean');
    expect(report.properties.map((p) => p.name)).toEqual(PROPERTIES.map((p) => p.name));
    expect(report.threads.filter((t) => t.role === 'vcpu')).toHaveLength(2);
    expect(report.totals.vmentries).toBeGreaterThan(0);
    expect(report.caches.length).toBe(13);
    expect(report.rerun).toContain('--seed 21');
  });

  it('a user passes a bad option: stress() throws the exported UsageError naming it, before any thread starts', () => {
    let thrown: unknown;
    try {
      void stress({ vcpus: 0 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as Error).message).toMatch(/^--vcpus must be an integer from 1 to \d+, got '0'$/);
  });
});
