/**
 * itazuri-gmem-rfc2 (Takahiro Itazuri's RFC v2, 20260226135309.29493-1-itazur@amazon.com): its
 * workloads' memslots are guest_memfd slots, the notifier thread then punches holes in them and
 * converts their pages (MM_GMEM_*, src/kvm/gmem-invalidate.ts) without the MMU notifier, counted in
 * active_invalidate_count (the model's VM_MN_COUNT); the caches stay correct. Without 7/7
 * (--bug gmem-skips-gpc-invalidation, RFC v1) the same events leave caches valid on pages the
 * guest_memfd took away. Mainline has no guest_memfd slot and no such event.
 */
import { describe, expect, it } from 'vitest';
import { describeProtocol } from '../../../src/kvm/protocols/protocol-variant.js';
import { ITAZURI_GMEM_RFC2 } from '../../../src/kvm/protocols/itazuri-gmem-rfc2.js';
import { KVM_MR_CREATE, KVM_MR_FLAGS_ONLY, KVM_MR_MOVE, initialSlot } from '../../../src/mem/memslot-update.js';
import { createMemslotsBuffer, memslotsView, SLOT_GMEM, SLOT_PRESENT } from '../../../src/mem/memslots.js';
import { checkMemslotChange } from '../../../src/kvm/set-memslot.js';
import { EINVAL } from '../../../src/util/errno.js';
import { findingsOf, firing, shortStress } from '../../stress/stress-support.js';

const QUICK = { workload: 'steal,xen', vcpus: 2, duration: 2, protocol: 'itazuri-gmem-rfc2' } as const;

describe('itazuri-gmem-rfc2: the variant and its guest_memfd slots', () => {
  it('names its workloads, the users it backs with guest_memfd and its sources; it replaces no refresh or check step', () => {
    const d = describeProtocol(ITAZURI_GMEM_RFC2);
    expect(d.source).toContain('20260226135309.29493-1-itazur@amazon.com');
    expect(d.steps).toEqual([]);
    expect(d.gmemBacked).toEqual(['steal', 'xen']);
    expect(d.workloads).toEqual(['steal', 'xen']);
  });

  it('a guest_memfd slot is immutable, as kvm_set_memory_region has it since 6.8: MOVE and FLAGS_ONLY are -EINVAL, a CREATE with the flag is accepted', () => {
    const ms = memslotsView(createMemslotsBuffer(2, 1));
    initialSlot(ms, 0, { baseGfn: 0, npages: 4, uhvaVpage: 1, flags: SLOT_PRESENT | SLOT_GMEM });
    expect(checkMemslotChange(ms, { change: KVM_MR_MOVE, slot: 0, value: { baseGfn: 8, npages: 4, uhvaVpage: 1, flags: SLOT_PRESENT | SLOT_GMEM } })).toBe(-EINVAL);
    expect(checkMemslotChange(ms, { change: KVM_MR_FLAGS_ONLY, slot: 0, value: { baseGfn: 0, npages: 4, uhvaVpage: 1, flags: SLOT_PRESENT | SLOT_GMEM | 4 } })).toBe(-EINVAL);
    expect(checkMemslotChange(ms, { change: KVM_MR_CREATE, slot: 1, value: { baseGfn: 16, npages: 4, uhvaVpage: 9, flags: SLOT_PRESENT | SLOT_GMEM } })).toBe(0);
  });
});

describe('itazuri-gmem-rfc2 in a short stress (steal, xen)', () => {
  it('guest_memfd punch holes and conversions happen beside the MMU-notifier events, pages are taken away, and no oracle fires', async () => {
    const report = await shortStress({ ...QUICK, duration: 3 });
    expect(report.internalErrors).toEqual([]);
    expect(report.protocol.name).toBe('itazuri-gmem-rfc2');
    expect(report.totals.gmemInvalidations).toBeGreaterThan(100);
    expect(report.totals.invalidationsThatCleared).toBeGreaterThan(0);
    expect(report.totals.pagesFreed).toBeGreaterThan(0);
    expect(report.totals.memslotRejected).toBe(0);
    expect(firing(report)).toBe('none');
  });

  it('--bug gmem-skips-gpc-invalidation (7/7 reverted: RFC v1): the guest_memfd hook leaves caches valid on the pages it takes away (state-invariant), and readers use them', async () => {
    const report = await shortStress({ ...QUICK, bug: 'gmem-skips-gpc-invalidation' });
    expect(report.internalErrors).toEqual([]);
    expect(report.totals.gmemInvalidations).toBeGreaterThan(0);
    expect(findingsOf(report, 'state-invariant'), firing(report)).toBeGreaterThan(0);
    const first = report.findings.find((f) => f.property === 'state-invariant')!;
    expect(first.interleaving.some((s) => s.step.startsWith('gmem-invalidate-start'))).toBe(true);
  });

  it('mainline: no guest_memfd slot, so no guest_memfd event (the switch has nothing to revert there)', async () => {
    const report = await shortStress({ workload: 'steal,xen', vcpus: 2, duration: 1.5, bug: 'gmem-skips-gpc-invalidation' });
    expect(report.protocol.name).toBe('mainline');
    expect(report.totals.gmemInvalidations).toBe(0);
    expect(firing(report)).toBe('none');
  });
});
