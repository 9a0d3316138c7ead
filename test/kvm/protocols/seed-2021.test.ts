/**
 * `seed-2021` (src/kvm/protocols/seed-2021.ts): the 2021 RFC's nVMX guest-uses steps on the model.
 * Short real-thread stress runs of the nested workload show its steps running, its two findings
 * (the inverted check in vmx_guest_apic_has_interrupt; the PI descriptor the entry check does not
 * cover), each turned off by its fix switch, and a clean run with both.
 */
import { describe, expect, it } from 'vitest';
import { findProtocol, resolveProtocol } from '../../../src/kvm/protocols/registry.js';
import { SEED_2021, seedCheckGuestMaps, seedEvictionRequest, seedGpcInvalidateRequest, seedNestedEvents, seedNestedVmexit } from '../../../src/kvm/protocols/seed-2021.js';
import { REQ_GPC_INVALIDATE } from '../../../src/kvm/vcpu-layout.js';
import { resolveStressConfig } from '../../../src/stress/stress-config.js';
import type { StressReport } from '../../../src/stress/stress-report.js';
import { findingsOf, firing, shortStress } from '../../stress/stress-support.js';

const NESTED = { workload: 'nested', protocol: 'seed-2021', vcpus: 4, duration: 3 } as const;

async function runUntil(options: Parameters<typeof shortStress>[0], found: (r: StressReport) => boolean, tries = 3): Promise<StressReport> {
  let report = await shortStress({ ...options, seed: 1 });
  for (let seed = 2; seed <= tries && !found(report); seed++) report = await shortStress({ ...options, seed });
  return report;
}

describe('protocol seed-2021', () => {
  it('is shipped with the RFC\'s steps and the thread messages they come from, and without --strategy names locked', () => {
    expect(findProtocol('seed-2021')).toBe(SEED_2021);
    const steps = resolveProtocol(SEED_2021);
    expect(steps.entryCheck).toBe(seedCheckGuestMaps);
    expect(steps.gpcInvalidateRequest).toBe(seedGpcInvalidateRequest);
    expect(steps.nestedHostAccess).toBe(seedNestedEvents);
    expect(steps.nestedVmexit).toBe(seedNestedVmexit);
    expect(steps.evictionRequest).toBe(seedEvictionRequest);
    expect(seedEvictionRequest(null as never)).toBe(REQ_GPC_INVALIDATE);
    expect(SEED_2021.stepSources.entryCheck).toContain('9733f477bada4cc311078be529b7118f1dec25bb.camel@infradead.org');
    expect(SEED_2021.workloads).toEqual(['nested']);
    expect(resolveStressConfig({ protocol: 'seed-2021' }).strategy).toBe('locked');
  });

  it('with both fixes it is clean under invalidations and memslot updates, and its steps ran: entry checks cancelled entries, KVM read the vAPIC page through khva, L2 exited to L1', async () => {
    const report = await shortStress({ ...NESTED, fix: ['seed-apic-check-polarity', 'seed-check-pi-desc'] });
    expect(report.internalErrors).toEqual([]);
    expect(report.protocol.name).toBe('seed-2021');
    expect(firing(report)).toBe('none');
    expect(report.totals.nestedHostAccesses).toBeGreaterThan(100);
    expect(report.totals.nestedL1Vmexits).toBeGreaterThan(10);
    expect(report.totals.evictions).toBeGreaterThan(0);
    expect(report.threads.reduce((sum, t) => sum + t.entryCancels, 0)).toBeGreaterThan(0);
  }, 60_000);

  it('as posted, vmx_guest_apic_has_interrupt reads khva when kvm_gfn_to_pfn_cache_check fails: KVM reads the freed or stale vAPIC page (uaf-khva / stale-generation)', async () => {
    const report = await runUntil({ ...NESTED, fix: 'seed-check-pi-desc' }, (r) => findingsOf(r, 'uaf-khva') + findingsOf(r, 'stale-generation') > 0);
    expect(findingsOf(report, 'uaf-khva') + findingsOf(report, 'stale-generation'), firing(report)).toBeGreaterThan(0);
    expect(findingsOf(report, 'uaf-guest-mode'), firing(report)).toBe(0);
  }, 120_000);

  it('as posted, nested_vmx_check_guest_maps checks only the vAPIC cache: an invalidated PI descriptor stays in vmcs02 (uaf-guest-mode / free-while-in-guest on the PI page)', async () => {
    const report = await runUntil({ ...NESTED, fix: 'seed-apic-check-polarity' }, (r) => findingsOf(r, 'uaf-guest-mode') + findingsOf(r, 'free-while-in-guest') > 0);
    expect(findingsOf(report, 'uaf-guest-mode') + findingsOf(report, 'free-while-in-guest'), firing(report)).toBeGreaterThan(0);
    expect(findingsOf(report, 'uaf-khva'), firing(report)).toBe(0);
  }, 120_000);
});
