/**
 * The leaks oracle on page references: history B4 (a refresh that got the same pfn back kept
 * hva_to_pfn's reference) and B5 (a refresh whose uhva became invalid put the old page, a
 * reference it does not hold) are caught; the reference protocol stays silent on the same steps.
 */
import { KVM_MR_DELETE } from '../../../src/mem/memslot-update.js';
import { newMemslotSwapStats } from '../../../src/kvm/swap-memslots.js';
import { testVmConfig } from '../../support/vm-config.js';
import { describe, expect, it } from 'vitest';
import { buildVm, type VmConfig } from '../../../src/stress/build-vm.js';
import { gpcRefresh } from '../../../src/kvm/gpc.js';
import { G_PFN, gpcBase } from '../../../src/kvm/gpc-layout.js';
import { guestLayout } from '../../../src/kvm/guest-layout.js';
import { cacheNamed } from '../../../src/kvm/cache-table.js';
import { USER_STEAL_TIME } from '../../../src/kvm/cache-users.js';
import { BUG_REFRESH_ERROR_PUTS_OLD_PAGE, BUG_REFRESH_REUSE_LEAKS_REF } from '../../../src/kvm/bug-switches.js';
import { MM_PROTECT, MM_ZAP, mmEventBegin, mmEventFinish } from '../../../src/kvm/host-mm-events.js';
import { kvmSetMemslot } from '../../../src/kvm/set-memslot.js';
import type { ModelContext } from '../../../src/kvm/model-context.js';
import { filePfn } from '../../../src/mem/host-page-table.js';
import { PAGE_FREE } from '../../../src/mem/host-mm-layout.js';
import { readCurrentSlot } from '../../../src/mem/memslot-update.js';
import { srcuReadLock, srcuReadUnlock } from '../../../src/mem/memslots.js';
import { pageRefcount, pageState } from '../../../src/mem/page-allocator.js';
import { readFindingRecords, totalFindings, type FindingRecord } from '../../../src/trace/findings.js';
import { runEndOfRunOracles } from '../../../src/stress/end-of-run.js';
import { END_LEAK_REFCOUNT, LEAK_FREED_MAPPED, LEAK_PUT_UNREFERENCED, PROP_LEAKS, leaks } from '../../../src/oracle/properties/leaks.js';
import { EFAULT } from '../../../src/util/errno.js';
import { findingsOf, firing, shortStress } from '../../stress/stress-support.js';

const TABLE = guestLayout(2, 4096).caches;
const G = cacheNamed(TABLE, 'steal-time vcpu-0').index;
const GFN = cacheNamed(TABLE, 'steal-time vcpu-0').gfn;

function config(bugMask: number): VmConfig {
  return testVmConfig({ bugMask });
}

function readFindings(main: ModelContext): FindingRecord[] {
  return readFindingRecords(main.findings);
}

function refresh(main: ModelContext): number {
  const srcu = srcuReadLock(main.ms, main.thread);
  const result = gpcRefresh(main, G, 8);
  srcuReadUnlock(main.ms, main.thread, srcu);
  return result;
}

/** Write-protect (the hook clears valid, the page stays) and refresh: hva_to_pfn gives the same pfn back. */
function invalidateAndRefreshToSamePage(main: ModelContext): number {
  const pfn = main.gpcs[gpcBase(G) + G_PFN]!;
  mmEventBegin(main, MM_PROTECT, GFN);
  mmEventFinish(main, MM_PROTECT, GFN);
  expect(refresh(main)).toBe(0);
  expect(main.gpcs[gpcBase(G) + G_PFN]).toBe(pfn);
  return pfn;
}

/** Deletes the steal-time slot (a DELETE: the slot is not present), so the cache's gpa has no uhva. */
async function deleteStealSlot(main: ModelContext): Promise<void> {
  const current = readCurrentSlot(main.ms, USER_STEAL_TIME);
  const result = await kvmSetMemslot(main, { change: KVM_MR_DELETE, slot: USER_STEAL_TIME, value: current }, { shouldGiveUp: () => false, afterDrain: null, stats: newMemslotSwapStats() });
  expect(result).toBe(0);
}

describe('leaks: page references (history B4, B5)', () => {
  it('reference: a refresh that gets the same pfn back puts hva_to_pfn\'s reference, and the end of the run is clean', () => {
    const { main } = buildVm(config(0));
    const pfn = invalidateAndRefreshToSamePage(main);
    expect(pageRefcount(main.host.mm, pfn)).toBe(1);
    runEndOfRunOracles(main, true);
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('refresh-reuse-leaks-ref (B4): each refresh to the same pfn leaks a reference, and the end-of-run check names the page and its count', () => {
    const { main } = buildVm(config(BUG_REFRESH_REUSE_LEAKS_REF));
    invalidateAndRefreshToSamePage(main);
    const pfn = invalidateAndRefreshToSamePage(main);
    expect(pageRefcount(main.host.mm, pfn)).toBe(3);
    expect(totalFindings(main.findings)).toBe(0);
    runEndOfRunOracles(main, true);
    const found = readFindings(main).filter((f) => f.property === PROP_LEAKS && f.c === END_LEAK_REFCOUNT);
    expect(found).toEqual([expect.objectContaining({ pfn, a: 3, b: 1 })]);
    expect(leaks.describe(leaks.details(3, 1, END_LEAK_REFCOUNT, { pageShift: 12, messages: [] }), { cache: -1, gpa: -1, gfn: -1, pfn })).toContain('3 references');
  });

  it('reference: a refresh whose memslot was deleted fails with -EFAULT and puts nothing; the page stays its file page\'s', async () => {
    const { main } = buildVm(config(0));
    const pfn = main.gpcs[gpcBase(G) + G_PFN]!;
    await deleteStealSlot(main);
    expect(refresh(main)).toBe(-EFAULT);
    expect(pageRefcount(main.host.mm, pfn)).toBe(1);
    expect(filePfn(main.host.mm, GFN)).toBe(pfn);
    runEndOfRunOracles(main, true);
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('refresh-error-puts-old-page (B5): the bad-uhva refresh puts the page its file still maps; it is freed at once and the free is caught, then the mm\'s own put finds no reference', async () => {
    const { main } = buildVm(config(BUG_REFRESH_ERROR_PUTS_OLD_PAGE));
    const pfn = main.gpcs[gpcBase(G) + G_PFN]!;
    await deleteStealSlot(main);
    expect(refresh(main)).toBe(-EFAULT);
    expect(pageState(main.host.mm, pfn)).toBe(PAGE_FREE);
    const atFree = readFindings(main).filter((f) => f.property === PROP_LEAKS);
    expect(atFree).toEqual([expect.objectContaining({ pfn, cache: G, a: GFN, c: LEAK_FREED_MAPPED })]);
    // The mm then drops the file page's reference (a zap): the second put of the double put.
    mmEventBegin(main, MM_ZAP, GFN);
    mmEventFinish(main, MM_ZAP, GFN);
    const puts = readFindings(main).filter((f) => f.property === PROP_LEAKS && f.c === LEAK_PUT_UNREFERENCED);
    expect(puts).toEqual([expect.objectContaining({ pfn })]);
  });

  it('refresh-reuse-leaks-ref (B4) under stress with the catalog\'s workload: leaks fires; the reference does not', async () => {
    const bug = await shortStress({ bug: 'refresh-reuse-leaks-ref', duration: 1.5 });
    expect(bug.internalErrors).toEqual([]);
    expect(findingsOf(bug, 'leaks')).toBeGreaterThan(0);
    const reference = await shortStress({ duration: 1.5 });
    expect(firing(reference)).toBe('none');
  });
});
