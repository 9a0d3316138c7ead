/**
 * The guest re-registers its vcpu_info at another offset of the same page
 * (KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO with a new gpa, docs/UPSTREAM-SPEC.md 5.3): the vCPU does it in
 * its exit handler when the VMM asked; the cache takes __kvm_gpc_refresh's same-page shortcut, the
 * guest looks at the new offset, and the pending bits are carried over, so nothing is lost; with
 * khva-keeps-old-offset (history B11) the next delivery is caught. One thread, then real threads.
 */
import { testVmConfig } from '../../support/vm-config.js';
import { describe, expect, it } from 'vitest';
import { buildVm, type VmConfig } from '../../../src/stress/build-vm.js';
import { cacheNamed } from '../../../src/kvm/cache-table.js';
import { guestLayout } from '../../../src/kvm/guest-layout.js';
import { USER_XEN_VCPU_INFO, workloadMask } from '../../../src/kvm/cache-users.js';
import { BUG_KHVA_KEEPS_OLD_OFFSET } from '../../../src/kvm/bug-switches.js';
import { gpcActivateHva } from '../../../src/kvm/gpc.js';
import { G_GPA, G_KHVA, G_PFN, G_UHVA, G_VALID, gpcBase } from '../../../src/kvm/gpc-layout.js';
import { kvmSetMemslot } from '../../../src/kvm/set-memslot.js';
import { newMemslotSwapStats } from '../../../src/kvm/swap-memslots.js';
import { KVM_MR_CREATE, KVM_MR_DELETE, readCurrentSlot, type MemslotOp, type SlotValue } from '../../../src/mem/memslot-update.js';
import { gfnToVpage, memslotsGeneration } from '../../../src/mem/memslots.js';
import { peekFileWord } from '../../../src/mem/host-page-table.js';
import { guestStep, openGuestState } from '../../../src/kvm/users/guest-code.js';
import { setEvtchnFast } from '../../../src/kvm/users/xen-evtchn.js';
import { VI_PENDING_SEL, VI_UPCALL_PENDING } from '../../../src/kvm/users/xen-vcpu-info.js';
import { requestVcpuInfoMove, vcpuInfoCarryOffset, vcpuInfoGuestOffset, xenVcpuInfoMoveIfAsked } from '../../../src/kvm/users/xen-vcpu-info-move.js';
import { ST_EVENTS_CONSUMED, ST_VCPU_INFO_LATE_CARRIES, ST_VCPU_INFO_MOVES } from '../../../src/kvm/thread-stats.js';
import { runEndOfRunOracles } from '../../../src/stress/end-of-run.js';
import { readFindingRecords, totalFindings } from '../../../src/trace/findings.js';
import { END_EVENTS_NO_UPCALL, PROP_EVENTS } from '../../../src/oracle/properties/events.js';
import { INV_KHVA_OFFSET, PROP_STATE_INVARIANT } from '../../../src/oracle/properties/state-invariant.js';
import { flushCounters, type ModelContext } from '../../../src/kvm/model-context.js';
import { findingsOf, firing, shortStress } from '../../stress/stress-support.js';
import { inSrcu } from '../../support/srcu-section.js';

const TABLE = guestLayout(2, 4096).caches;
const VI = cacheNamed(TABLE, 'vcpu_info vcpu-1');
const MASK = 4095;

function config(overrides: Partial<VmConfig> = {}): VmConfig {
  return testVmConfig({ traceDepth: 32, workload: workloadMask(['xen']), eventPermille: 0, stealPermille: 0, postPermille: 0, ...overrides });
}


/** vcpu_info word `index` (VI_*) at byte offset `offset` of vCPU 1's vcpu_info page. */
function viWord(main: ModelContext, offset: number, index: number): number {
  return peekFileWord(main.host, VI.gfn, (offset >> 2) + index);
}

/** The VMM asks vCPU 1 to move its vcpu_info, and the vCPU's exit handler does it; returns the old offset. */
function moveVcpu1(main: ModelContext): number {
  const from = vcpuInfoGuestOffset(main, 1);
  requestVcpuInfoMove(main, 1);
  expect(inSrcu(main, () => xenVcpuInfoMoveIfAsked(main, 1))).toBe(1);
  expect(vcpuInfoGuestOffset(main, 1)).not.toBe(from);
  return from;
}

/** The end-of-run oracles, with this thread's counters flushed first (as a thread does when it stops). */
function endOfRun(main: ModelContext): void {
  flushCounters(main);
  runEndOfRunOracles(main, true);
}

/** KVM_SET_USER_MEMORY_REGION of the vcpu_info slot (a DELETE, or a CREATE of `value`). */
async function setVcpuInfoSlot(main: ModelContext, change: number, value: SlotValue): Promise<void> {
  const op: MemslotOp = { change, slot: USER_XEN_VCPU_INFO, value };
  expect(await kvmSetMemslot(main, op, { shouldGiveUp: () => false, afterDrain: null, stats: newMemslotSwapStats() })).toBe(0);
}

describe('vcpu_info re-registered within its page (one thread)', () => {
  it('nothing moves until the VMM asks; then the cache keeps its page (same pfn) with khva at the new offset, the guest looks there, and the bits pending at the old offset are carried over', () => {
    const { main } = buildVm(config());
    const base = gpcBase(VI.index);
    expect(inSrcu(main, () => xenVcpuInfoMoveIfAsked(main, 1))).toBe(0);
    expect(vcpuInfoGuestOffset(main, 1)).toBe(VI.offset);
    // An event for port 1 before the move: its word bit and upcall_pending at the old offset.
    expect(inSrcu(main, () => setEvtchnFast(main, 1, false))).toBe(1);
    expect(viWord(main, VI.offset, VI_PENDING_SEL)).toBe(1);
    const pfn = main.gpcs[base + G_PFN]!;

    const from = moveVcpu1(main);
    const to = vcpuInfoGuestOffset(main, 1);
    expect(from).toBe(VI.offset);
    expect(to % 64).toBe(0);
    expect(to + 64).toBeLessThanOrEqual(4096);
    expect(main.gpcs[base + G_VALID]).toBe(1);
    expect(main.gpcs[base + G_PFN]).toBe(pfn);
    expect(main.gpcs[base + G_KHVA]! & MASK).toBe(to);
    expect(main.gpcs[base + G_GPA]).toBe((VI.gfn << 12) + to);
    expect(viWord(main, from, VI_PENDING_SEL)).toBe(0);
    expect(viWord(main, from, VI_UPCALL_PENDING)).toBe(0);
    expect(viWord(main, to, VI_PENDING_SEL)).toBe(1);
    expect(viWord(main, to, VI_UPCALL_PENDING)).toBe(1);
    expect(vcpuInfoCarryOffset(main, 1)).toBe(-1);
    expect(main.counters[ST_VCPU_INFO_MOVES]).toBe(1);

    // A second event after the move (already pending in shared_info: rc 0), then the guest's upcall takes both.
    expect(inSrcu(main, () => setEvtchnFast(main, 1, false))).toBe(0);
    guestStep(main, 1, openGuestState(main, 1));
    expect(main.counters[ST_EVENTS_CONSUMED]).toBe(2);
    expect(viWord(main, to, VI_UPCALL_PENDING)).toBe(0);
    // An event after that goes to the new offset and is taken too.
    expect(inSrcu(main, () => setEvtchnFast(main, 1, false))).toBe(1);
    expect(viWord(main, to, VI_PENDING_SEL)).toBe(1);
    endOfRun(main);
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('a vcpu_info attached by HVA stays attached by HVA: the move re-activates it at the new offset of the same uhva page', () => {
    const { main } = buildVm(config());
    const base = gpcBase(VI.index);
    const uhva = (gfnToVpage(main.ms, memslotsGeneration(main.ms), VI.gfn) << 12) + VI.offset;
    expect(inSrcu(main, () => gpcActivateHva(main, VI.index, uhva, 64))).toBe(0);
    expect(main.gpcs[base + G_GPA]).toBe(-1);
    moveVcpu1(main);
    const to = vcpuInfoGuestOffset(main, 1);
    expect(main.gpcs[base + G_GPA]).toBe(-1);
    expect(main.gpcs[base + G_UHVA]).toBe(uhva - VI.offset + to);
    expect(main.gpcs[base + G_KHVA]! & MASK).toBe(to);
    expect(inSrcu(main, () => setEvtchnFast(main, 1, false))).toBe(1);
    expect(viWord(main, to, VI_PENDING_SEL)).toBe(1);
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('a move while no memslot maps the page: the activation fails (-EFAULT) but the cache is at the new gpa, the bits wait at the old offset (the end-of-run check looks there too), and the next exit after the CREATE carries them over', async () => {
    const { main } = buildVm(config());
    expect(inSrcu(main, () => setEvtchnFast(main, 1, false))).toBe(1);
    const slot = readCurrentSlot(main.ms, USER_XEN_VCPU_INFO);
    await setVcpuInfoSlot(main, KVM_MR_DELETE, slot);
    const from = moveVcpu1(main);
    const to = vcpuInfoGuestOffset(main, 1);
    expect(main.gpcs[gpcBase(VI.index) + G_GPA]).toBe((VI.gfn << 12) + to);
    expect(main.gpcs[gpcBase(VI.index) + G_VALID]).toBe(0);
    expect(vcpuInfoCarryOffset(main, 1)).toBe(from);
    expect(main.counters[ST_VCPU_INFO_LATE_CARRIES]).toBe(1);
    expect(viWord(main, from, VI_PENDING_SEL)).toBe(1);
    endOfRun(main);
    expect(totalFindings(main.findings)).toBe(0);

    // The same memory comes back (CREATE with the same hva); no new request: the exit only carries.
    await setVcpuInfoSlot(main, KVM_MR_CREATE, slot);
    expect(inSrcu(main, () => xenVcpuInfoMoveIfAsked(main, 1))).toBe(0);
    expect(vcpuInfoCarryOffset(main, 1)).toBe(-1);
    expect(viWord(main, from, VI_PENDING_SEL)).toBe(0);
    expect(viWord(main, to, VI_PENDING_SEL)).toBe(1);
    expect(viWord(main, to, VI_UPCALL_PENDING)).toBe(1);
    guestStep(main, 1, openGuestState(main, 1));
    expect(main.counters[ST_EVENTS_CONSUMED]).toBe(1);
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('khva-keeps-old-offset (B11): after the move khva still points at the old offset; the next delivery is caught by the offset invariant, and at the end the events oracle finds its bit where the guest does not look', () => {
    const { main } = buildVm(config({ bugMask: BUG_KHVA_KEEPS_OLD_OFFSET }));
    const from = moveVcpu1(main);
    expect(main.gpcs[gpcBase(VI.index) + G_KHVA]! & MASK).toBe(from);
    expect(totalFindings(main.findings)).toBe(0);
    expect(inSrcu(main, () => setEvtchnFast(main, 1, false))).toBe(1);
    const atDelivery = readFindingRecords(main.findings).filter((f) => f.property === PROP_STATE_INVARIANT);
    expect(atDelivery).toEqual([expect.objectContaining({ cache: VI.index, a: INV_KHVA_OFFSET })]);
    expect(viWord(main, from, VI_PENDING_SEL)).toBe(1);
    expect(viWord(main, vcpuInfoGuestOffset(main, 1), VI_PENDING_SEL)).toBe(0);
    endOfRun(main);
    const atEnd = readFindingRecords(main.findings).filter((f) => f.property === PROP_EVENTS);
    expect(atEnd).toEqual([expect.objectContaining({ cache: VI.index, c: END_EVENTS_NO_UPCALL })]);
  });
});

describe('vcpu_info re-registered within its page (stress, real threads)', () => {
  it('the xen workload with the juggler at 1000/s moves vcpu_info within its page and stays clean; with khva-keeps-old-offset the same run is caught', async () => {
    const reference = await shortStress({ workload: 'xen', juggleRate: 1000, duration: 2 });
    expect(reference.internalErrors).toEqual([]);
    expect(reference.totals.vcpuInfoMoves).toBeGreaterThan(0);
    expect(firing(reference)).toBe('none');
    const bug = await shortStress({ workload: 'xen', juggleRate: 1000, duration: 10, bug: 'khva-keeps-old-offset', stopOnFinding: true });
    expect(bug.internalErrors).toEqual([]);
    expect(findingsOf(bug, 'state-invariant') + findingsOf(bug, 'events')).toBeGreaterThan(0);
  }, 60_000);
});
