/**
 * The guest's Xen upcall (src/kvm/users/guest-code.ts) when the VMM has MOVEd shared_info's memslot
 * away: the reads are MMIO exits, so the guest puts the selector back instead of dropping it, and
 * takes the events once the slot is back. The end-of-run events check stays silent on that
 * (the VMM's doing), and still fires for a selector bit that is really missing. One thread.
 */
import { testVmConfig } from '../../support/vm-config.js';
import { describe, expect, it } from 'vitest';
import { buildVm } from '../../../src/stress/build-vm.js';
import { cacheNamed } from '../../../src/kvm/cache-table.js';
import { guestLayout } from '../../../src/kvm/guest-layout.js';
import { USER_XEN_SHINFO, workloadMask } from '../../../src/kvm/cache-users.js';
import { flushCounters, type ModelContext } from '../../../src/kvm/model-context.js';
import { srcuEnter, srcuExit } from '../../../src/kvm/srcu.js';
import { kvmSetMemslot } from '../../../src/kvm/set-memslot.js';
import { newMemslotSwapStats } from '../../../src/kvm/swap-memslots.js';
import { KVM_MR_MOVE, readCurrentSlot, type SlotValue } from '../../../src/mem/memslot-update.js';
import { peekFileWord } from '../../../src/mem/host-page-table.js';
import { guestStep, openGuestState } from '../../../src/kvm/users/guest-code.js';
import { guestPageBegin, guestPageEnd } from '../../../src/kvm/users/guest-memory.js';
import { setEvtchnFast } from '../../../src/kvm/users/xen-evtchn.js';
import { VI_PENDING_SEL, VI_UPCALL_PENDING } from '../../../src/kvm/users/xen-vcpu-info.js';
import { ST_EVENTS_CONSUMED } from '../../../src/kvm/thread-stats.js';
import { runEndOfRunOracles } from '../../../src/stress/end-of-run.js';
import { readFindingRecords, totalFindings } from '../../../src/trace/findings.js';
import { END_EVENTS_NO_UPCALL, PROP_EVENTS } from '../../../src/oracle/properties/events.js';

const TABLE = guestLayout(2, 4096).caches;
const SHINFO = cacheNamed(TABLE, 'shared_info');
const VI = cacheNamed(TABLE, 'vcpu_info vcpu-1');
const SEL = (VI.offset >> 2) + VI_PENDING_SEL;
const UPCALL = (VI.offset >> 2) + VI_UPCALL_PENDING;

function vm(): ModelContext {
  return buildVm(testVmConfig({ traceDepth: 32, workload: workloadMask(['xen']), eventPermille: 0, stealPermille: 0, postPermille: 0 })).main;
}

function sendToPort1(main: ModelContext): number {
  const srcu = srcuEnter(main);
  const rc = setEvtchnFast(main, 1, false);
  srcuExit(main, srcu);
  return rc;
}

/** KVM_MR_MOVE of shared_info's slot to `value` (the control plane's move-and-back, one half). */
async function moveShinfoSlot(main: ModelContext, value: SlotValue): Promise<void> {
  const op = { change: KVM_MR_MOVE, slot: USER_XEN_SHINFO, value };
  expect(await kvmSetMemslot(main, op, { shouldGiveUp: () => false, afterDrain: null, stats: newMemslotSwapStats() })).toBe(0);
}

function endOfRun(main: ModelContext): void {
  flushCounters(main);
  runEndOfRunOracles(main, true);
}

describe('the guest\'s Xen upcall while shared_info\'s memslot is moved away', () => {
  it('the upcall reads no shared_info (MMIO), puts the selector back with upcall_pending, and after the move back takes the event; the end-of-run check is clean throughout', async () => {
    const main = vm();
    expect(sendToPort1(main)).toBe(1);
    const home = readCurrentSlot(main.ms, USER_XEN_SHINFO);
    await moveShinfoSlot(main, { ...home, baseGfn: main.layout.gfns + USER_XEN_SHINFO * main.layout.windowPages });
    const gs = openGuestState(main, 1);
    guestStep(main, 1, gs);
    expect(main.counters[ST_EVENTS_CONSUMED]).toBe(0);
    expect(peekFileWord(main.host, SHINFO.gfn, 1)).toBe(1);
    expect(peekFileWord(main.host, VI.gfn, SEL)).toBe(1);
    expect(peekFileWord(main.host, VI.gfn, UPCALL)).toBe(1);
    endOfRun(main);
    expect(totalFindings(main.findings)).toBe(0);

    await moveShinfoSlot(main, home);
    guestStep(main, 1, gs);
    expect(main.counters[ST_EVENTS_CONSUMED]).toBe(1);
    expect(peekFileWord(main.host, SHINFO.gfn, 1)).toBe(0);
    expect(peekFileWord(main.host, VI.gfn, UPCALL)).toBe(0);
    endOfRun(main);
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('a port pending in shared_info whose selector bit is nowhere (taken and dropped) is still caught by the end-of-run check', () => {
    const main = vm();
    expect(sendToPort1(main)).toBe(1);
    expect(peekFileWord(main.host, VI.gfn, SEL)).toBe(1);
    // A guest that takes the selector and drops it without reading shared_info.
    const pfn = guestPageBegin(main, VI.gfn);
    expect(pfn).toBeGreaterThanOrEqual(0);
    Atomics.store(main.ram, pfn * main.pageInts + UPCALL, 0);
    Atomics.store(main.ram, pfn * main.pageInts + SEL, 0);
    guestPageEnd(main);
    endOfRun(main);
    const found = readFindingRecords(main.findings).filter((f) => f.property === PROP_EVENTS);
    expect(found).toEqual([expect.objectContaining({ cache: VI.index, c: END_EVENTS_NO_UPCALL })]);
  });
});
