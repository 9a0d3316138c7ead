/**
 * The events part of the end-of-run oracles on a one-thread VM: a Xen event still pending must be
 * reachable by its vCPU (selector bit with upcall_pending in its vcpu_info, or in its kernel-side
 * copy). Silent after real deliveries (through vcpu_info or the copy); fires when the vcpu_info
 * write is lost, as a write through a stale mapping would be.
 */
import { testVmConfig } from '../support/vm-config.js';
import { describe, expect, it } from 'vitest';
import { buildVm, type VmConfig } from '../../src/stress/build-vm.js';
import { runEndOfRunOracles } from '../../src/stress/end-of-run.js';
import { cacheNamed } from '../../src/kvm/cache-table.js';
import { guestLayout } from '../../src/kvm/guest-layout.js';
import { VCPU_INFO_OFFSET, workloadMask } from '../../src/kvm/cache-users.js';
import { gpcDeactivate } from '../../src/kvm/gpc.js';
import { filePfn } from '../../src/mem/host-page-table.js';
import { flushCounters, type ModelContext } from '../../src/kvm/model-context.js';
import { srcuEnter, srcuExit } from '../../src/kvm/srcu.js';
import { setEvtchnFast } from '../../src/kvm/users/xen-evtchn.js';
import { VI_PENDING_SEL } from '../../src/kvm/users/xen-vcpu-info.js';
import { PROP_EVENTS, END_EVENTS_NO_UPCALL } from '../../src/oracle/properties/events.js';
import { readFindingRecords, totalFindings } from '../../src/trace/findings.js';
import { END_MMU_IN_PROGRESS, END_MN_COUNT, PROP_LOCK_SANITY } from '../../src/oracle/properties/lock-sanity.js';
import { MM_PROTECT, mmEventBegin, mmEventFinish } from '../../src/kvm/host-mm-events.js';
import { USER_STEAL_TIME } from '../../src/kvm/cache-users.js';
import { VM_MMU_IN_PROGRESS } from '../../src/kvm/vm-layout.js';
import { publishSlotUpdate, readCurrentSlot } from '../../src/mem/memslot-update.js';
import { nameFinding } from '../../src/stress/finding-text.js';

const TABLE = guestLayout(2, 4096).caches;

function config(): VmConfig {
  return testVmConfig({ traceDepth: 32, workload: workloadMask(['xen']), eventPermille: 0, stealPermille: 0, postPermille: 0 });
}

function send(main: ModelContext, port: number): number {
  const srcu = srcuEnter(main);
  const rc = setEvtchnFast(main, port, false);
  srcuExit(main, srcu);
  return rc;
}

describe('end-of-run events: pending Xen events can reach their vCPU', () => {
  it('after deliveries through vcpu_info and through the kernel-side copy (vcpu_info inactive), nothing fires and the events balance', () => {
    const { main } = buildVm(config());
    expect(send(main, 0)).toBe(1);
    const srcu = srcuEnter(main);
    gpcDeactivate(main, cacheNamed(TABLE, 'vcpu_info vcpu-1').index);
    srcuExit(main, srcu);
    expect(send(main, 1)).toBe(1);
    flushCounters(main);
    const totals = runEndOfRunOracles(main, true);
    expect(totals.eventsSent).toBe(2);
    expect(totals.eventsPending).toBe(2);
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('an event whose vcpu_info selector write was lost (as through a stale mapping) is caught: pending, but nothing tells the vCPU', () => {
    const { main } = buildVm(config());
    expect(send(main, 1)).toBe(1);
    const vi = cacheNamed(TABLE, 'vcpu_info vcpu-1');
    main.ram[filePfn(main.host.mm, vi.gfn) * main.pageInts + (VCPU_INFO_OFFSET >> 2) + VI_PENDING_SEL] = 0;
    flushCounters(main);
    runEndOfRunOracles(main, true);
    const records = readFindingRecords(main.findings).filter((r) => r.property === PROP_EVENTS);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ c: END_EVENTS_NO_UPCALL, a: 1, b: 1, cache: vi.index });
  });
});

describe('end-of-run at rest: the invalidation counts are back to 0', () => {
  const atRest = (main: ModelContext) =>
    readFindingRecords(main.findings)
      .filter((r) => r.property === PROP_LOCK_SANITY && (r.c === END_MN_COUNT || r.c === END_MMU_IN_PROGRESS))
      .map((r) => [r.c, r.a]);

  it('an invalidation of a memslot page that began and ended: both counts 0, nothing fires', () => {
    const { main, layout } = buildVm(config());
    const gfn = layout.slotBase[USER_STEAL_TIME]!;
    mmEventBegin(main, MM_PROTECT, gfn);
    mmEventFinish(main, MM_PROTECT, gfn);
    flushCounters(main);
    runEndOfRunOracles(main, true);
    expect(atRest(main)).toEqual([]);
  });

  it('one that began and never ended: mn-count-at-end and in-progress-at-end, each 1', () => {
    const { main, layout } = buildVm(config());
    mmEventBegin(main, MM_PROTECT, layout.slotBase[USER_STEAL_TIME]!);
    runEndOfRunOracles(main, true);
    expect(atRest(main)).toEqual([
      [END_MN_COUNT, 1],
      [END_MMU_IN_PROGRESS, 1],
    ]);
  });

  it('a memslot DELETE published without waiting for the in-flight invalidation (no kvm_swap_active_memslots wait): its end sees no slot, in_progress stays 1 at rest', () => {
    const { main, layout } = buildVm(config());
    const slot = USER_STEAL_TIME;
    const gfn = layout.slotBase[slot]!;
    mmEventBegin(main, MM_PROTECT, gfn); // overlaps the slot: in_progress 1
    expect(Atomics.load(main.vm, VM_MMU_IN_PROGRESS)).toBe(1);
    publishSlotUpdate(main.ms, slot, { ...readCurrentSlot(main.ms, slot), flags: 0 });
    mmEventFinish(main, MM_PROTECT, gfn); // overlaps nothing now: no in_progress--
    runEndOfRunOracles(main, true);
    expect(atRest(main)).toEqual([[END_MMU_IN_PROGRESS, 1]]);
    const message = nameFinding(readFindingRecords(main.findings).find((r) => r.c === END_MMU_IN_PROGRESS)!, { pageShift: main.pageShift, messages: [] }).message;
    expect(message).toMatch(/mmu_invalidate_in_progress is 1 after the run/);
  });
});
