/**
 * `griffoul-v4` (src/kvm/protocols/griffoul-v4.ts): Griffoul's v4 nVMX series on the model. Short
 * real-thread stress runs of the nested workload show its steps running (KVM's own accesses to the
 * nested pages through khva, L1 exits with a VMRESUME reload, evictions with no request bit), its
 * two findings (each with the fix switch that turns it off) and a clean run with both fixes.
 */
import { describe, expect, it } from 'vitest';
import { GRIFFOUL_V4, griffoulEvictionRequest, griffoulNestedEvents, griffoulNestedVmexit } from '../../../src/kvm/protocols/griffoul-v4.js';
import { findProtocol, resolveProtocol } from '../../../src/kvm/protocols/registry.js';
import { resolveStressConfig } from '../../../src/stress/stress-config.js';
import type { StressReport } from '../../../src/stress/stress-report.js';
import { findingsOf, firing, shortStress } from '../../stress/stress-support.js';

const NESTED = { workload: 'nested', protocol: 'griffoul-v4', vcpus: 4, duration: 3 } as const;
const BOTH_FIXES = ['griffoul-refresh-unlocked', 'griffoul-host-refresh-reloads'];

/** Runs `options` with seeds 1.. until `found` holds (at most `tries` runs); returns the last report. */
async function runUntil(options: Parameters<typeof shortStress>[0], found: (r: StressReport) => boolean, tries = 3): Promise<StressReport> {
  let report = await shortStress({ ...options, seed: 1 });
  for (let seed = 2; seed <= tries && !found(report); seed++) report = await shortStress({ ...options, seed });
  return report;
}

describe('protocol griffoul-v4', () => {
  it('is shipped with its steps and their patches, touches the nested workload, and without --strategy runs its authors\' lockless check', () => {
    expect(findProtocol('griffoul-v4')).toBe(GRIFFOUL_V4);
    const steps = resolveProtocol(GRIFFOUL_V4);
    expect(steps.evictionRequest).toBe(griffoulEvictionRequest);
    expect(steps.nestedHostAccess).toBe(griffoulNestedEvents);
    expect(steps.nestedVmexit).toBe(griffoulNestedVmexit);
    expect(steps.entryCheck).toBeUndefined();
    expect(GRIFFOUL_V4.stepSources.evictionRequest).toContain('20260102142429.896101-3-griffoul@gmail.com');
    expect(GRIFFOUL_V4.stepSources.nestedHostAccess).toContain('20260102142429.896101-5-griffoul@gmail.com');
    expect(GRIFFOUL_V4.workloads).toEqual(['nested']);
    expect(resolveStressConfig({ protocol: 'griffoul-v4' }).strategy).toBe('lockless');
    expect(resolveStressConfig({ protocol: 'griffoul-v4', strategy: 'locked' }).strategy).toBe('locked');
    expect(resolveStressConfig({}).strategy).toBe('locked');
  });

  it('with both fixes and no memslot updates, lockless is clean (lockdep on), and the steps ran: KVM accessed the pages through khva, L2 exited to L1, invalidations evicted vCPUs', async () => {
    const report = await shortStress({ ...NESTED, memslotRate: 0, lockdep: true, fix: BOTH_FIXES });
    expect(report.internalErrors).toEqual([]);
    expect(report.protocol.name).toBe('griffoul-v4');
    expect(report.config.strategy).toBe('lockless');
    expect(firing(report)).toBe('none');
    expect(report.totals.nestedHostAccesses).toBeGreaterThan(100);
    expect(report.totals.nestedL1Vmexits).toBeGreaterThan(10);
    expect(report.totals.evictions).toBeGreaterThan(0);
    expect(report.totals.entryChecks).toBeGreaterThan(1000);
  }, 60_000);

  it('as posted (deadlock fix only): a refresh in nested_lock_pi_desc moves the cache, not vmcs02, kvm_gpc_invalid passes, and L2 runs on the freed page (uaf-guest-mode)', async () => {
    const report = await runUntil({ ...NESTED, memslotRate: 0, fix: 'griffoul-refresh-unlocked' }, (r) => findingsOf(r, 'uaf-guest-mode') > 0);
    // The window happened: KVM used khva on a page other than the one vmcs02 held.
    expect(report.totals.nestedHostPfnMismatches).toBeGreaterThan(0);
    expect(findingsOf(report, 'uaf-guest-mode'), firing(report)).toBeGreaterThan(0);
  }, 120_000);

  it('as posted, with lockdep: that vAPIC refresh takes refresh_lock (a mutex) inside the PI cache read lock, a sleep in atomic context (lock-sanity)', async () => {
    const report = await runUntil({ ...NESTED, memslotRate: 0, lockdep: true, stallTimeout: 2, fix: 'griffoul-host-refresh-reloads' }, (r) => findingsOf(r, 'lock-sanity') > 0);
    expect(findingsOf(report, 'lock-sanity'), firing(report)).toBeGreaterThan(0);
  }, 120_000);

  it('as posted: vmx_complete_nested_posted_interrupt refreshes the vAPIC cache holding the PI cache read lock, and the notifier waits for that lock forever (livelock, stall)', async () => {
    const report = await runUntil(
      // The deadlock needs an invalidation of the PI page while its vCPU refreshes the vAPIC cache
      // under the PI lock (seconds apart at these rates): a longer run that stops at the first finding.
      { ...NESTED, memslotRate: 0, livelockTimeout: 0.5, stallTimeout: 2, duration: 20, stopOnFinding: true, fix: 'griffoul-host-refresh-reloads' },
      (r) => findingsOf(r, 'livelock') + findingsOf(r, 'stall') > 0,
      2,
    );
    expect(findingsOf(report, 'livelock') + findingsOf(report, 'stall'), firing(report)).toBeGreaterThan(0);
  }, 240_000);
});
