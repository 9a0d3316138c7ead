/**
 * dwmw2-range-2024 (David Woodhouse's v3 1-4/5, 20240821202814.711673-1..4-dwmw2@infradead.org):
 * its steps run in the threads, its finding (the gpc hook moved to invalidate_range_end leaves a
 * valid cache on a page the mm unmaps and frees before range_end) fires, and the toggle
 * --fix dwmw2-invalidate-at-start (range_start clears valid again) silences it; under the B20
 * workload refreshes complete.
 */
import { describe, expect, it } from 'vitest';
import { createVmBuffer, VM_MN_COUNT } from '../../../src/kvm/vm-layout.js';
import { invalidationsPendingLocked, recordInvalidateRangeLocked } from '../../../src/kvm/protocols/dwmw2-range-2024.js';
import { findingsOf, firing, shortStress } from '../../stress/stress-support.js';

const PAGE = 4096;
const QUICK = { workload: 'steal,xen', vcpus: 2, duration: 2 } as const;

describe('dwmw2-range-2024: the range record of v3 2/5 (one interval, widened while the count is raised)', () => {
  it('two invalidations in flight on either side of a cache: the union covers the cache although neither does, until the count is 0', () => {
    const vm = new Int32Array(createVmBuffer());
    const cache = 10 * PAGE + 128;
    Atomics.store(vm, VM_MN_COUNT, 1);
    recordInvalidateRangeLocked(vm, 2 * PAGE, 3 * PAGE, true);
    expect(invalidationsPendingLocked(vm, cache)).toBe(false);
    Atomics.store(vm, VM_MN_COUNT, 2);
    recordInvalidateRangeLocked(vm, 20 * PAGE, 21 * PAGE, false);
    // "any ranges invalidated concurrently will accumulate and persist until all outstanding invalidates complete"
    expect(invalidationsPendingLocked(vm, cache)).toBe(true);
    Atomics.store(vm, VM_MN_COUNT, 0);
    expect(invalidationsPendingLocked(vm, cache)).toBe(false);
    // The next first invalidation (count 1) starts the record afresh.
    Atomics.store(vm, VM_MN_COUNT, 1);
    recordInvalidateRangeLocked(vm, 20 * PAGE, 21 * PAGE, true);
    expect(invalidationsPendingLocked(vm, cache)).toBe(false);
    expect(invalidationsPendingLocked(vm, 20 * PAGE + 8)).toBe(true);
  });
});

describe('dwmw2-range-2024 in a short stress (steal, xen)', () => {
  it('the invalidation runs at range_end only: the notifier finds a cache still valid as range_start returns (state-invariant), and readers use pages the mm freed before range_end (uaf-khva)', async () => {
    const report = await shortStress({ ...QUICK, protocol: 'dwmw2-range-2024' });
    expect(report.internalErrors).toEqual([]);
    expect(report.protocol.name).toBe('dwmw2-range-2024');
    expect(report.protocol.steps.map((s) => s.step)).toEqual([
      'retryPredicate',
      'invalidationHook',
      'rangeStartLocked',
      'invalidationHookAtEnd',
      'countZeroWake',
      'retryBeforeUnlock',
      'retryBeforeRelock',
    ]);
    expect(findingsOf(report, 'state-invariant'), firing(report)).toBeGreaterThan(0);
    const first = report.findings.find((f) => f.property === 'state-invariant')!;
    expect(first.message).toMatch(/valid for a page of the range the invalidation hook just invalidated/);
    expect(findingsOf(report, 'stall'), firing(report)).toBe(0);
    // The range_end hook cleared caches (the v3 1/5 test on needs_invalidation).
    expect(report.totals.invalidationsThatCleared).toBeGreaterThan(0);
  });

  it('--fix dwmw2-invalidate-at-start (range_start clears valid, the series\' range_end hook and wait kept): no cache is left valid as range_start returns; the range_end hook still finds needs_invalidation set on caches with valid 0', async () => {
    const report = await shortStress({ ...QUICK, duration: 3, protocol: 'dwmw2-range-2024', fix: ['hva-seq-miss', 'dwmw2-invalidate-at-start'] });
    expect(report.internalErrors).toEqual([]);
    expect(report.config.fixes).toContain('dwmw2-invalidate-at-start');
    expect(findingsOf(report, 'state-invariant'), firing(report)).toBe(0);
    expect(report.totals.gpcInflightInvalidations).toBeGreaterThan(0);
    expect(report.totals.refreshes).toBeGreaterThan(0);
  });

  it('both fixes (dwmw2-invalidate-at-start, and dwmw2-hook-any-pfn: the range_end hook also clears needs_invalidation on a refresh whose old pfn is KVM_PFN_ERR_FAULT): no oracle fires, and refreshes still wait for invalidations of their uhva', async () => {
    const report = await shortStress({ ...QUICK, duration: 3, seed: 14, protocol: 'dwmw2-range-2024', fix: ['hva-seq-miss', 'dwmw2-invalidate-at-start', 'dwmw2-hook-any-pfn'] });
    expect(report.internalErrors).toEqual([]);
    expect(firing(report)).toBe('none');
    expect(report.totals.gpcInflightInvalidations).toBeGreaterThan(0);
    expect(report.totals.pagesFreed).toBeGreaterThan(0);
    expect(report.totals.juggles).toBeGreaterThan(0);
  });

  it('mainline with both dwmw2 fixes: the switches do nothing there (no variant step counter moves, no finding)', async () => {
    const report = await shortStress({ ...QUICK, fix: ['hva-seq-miss', 'dwmw2-invalidate-at-start', 'dwmw2-hook-any-pfn'] });
    expect(report.protocol.name).toBe('mainline');
    expect(firing(report)).toBe('none');
    expect(report.totals.gpcInflightInvalidations + report.totals.gpcInvalidationWaits).toBe(0);
  });
});

describe('dwmw2-range-2024 under the B20 workload (unrelated invalidations, two always in flight)', () => {
  it('every refresh completes: the spare pages lie outside every cache\'s uhva, so the union never covers one and no round waits or retries; only the memslot updater starves (the count is never 0)', async () => {
    const report = await shortStress({ workload: 'steal,xen', invalidate: 'unrelated', inflight: 2, livelockTimeout: 0.5, duration: 2, protocol: 'dwmw2-range-2024', updaterTimeout: 0.5 });
    expect(report.findings.filter((f) => f.details.check !== 'updater-starved').map((f) => f.property)).toEqual([]);
    expect(report.totals.refreshes).toBeGreaterThan(100);
    expect(report.totals.maxRefreshRetries).toBe(0);
    expect(report.totals.gpcInvalidationWaits).toBe(0);
    expect(report.totals.invalidations).toBeGreaterThan(1000);
  });
});
