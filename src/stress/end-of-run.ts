/**
 * The oracles that run once, on the main thread, after every model thread has stopped: event and
 * posted-interrupt conservation, records through the true translation, leaked pages and kernel
 * mappings, lock words, and the caches' state invariants at rest.
 */
import { LOCK_MAGIC, LockSlot } from '../sync/lock-block.js';
import {
  FILE_INTS,
  FILE_PFN,
  MM_FREE_COUNT,
  MM_LOCK,
  META_INTS,
  META_KMAP,
  META_OWNER_GFN,
  META_REFCOUNT,
  META_STATE,
  PAGE_ALLOCATED,
} from '../mem/host-mm-layout.js';
import { peekFileWord, type HostMemory } from '../mem/host-page-table.js';
import { otherBankFilePage, overlayFilePage } from '../mem/host-mm-layout.js';
import { OVERLAY_PAGES } from '../kvm/guest-layout.js';
import { guestFilePage } from '../kvm/users/guest-memory.js';
import { G_ACTIVE, G_KHVA, G_ON_LIST, G_PFN, G_VALID, GPC_LOCK, GPC_REFRESH_LOCK, gpcBase } from '../kvm/gpc-layout.js';
import { NESTED_PAGE_PI, NESTED_PAGE_VAPIC, SHINFO_CANDIDATES, USER_NESTED_VMX, USER_STEAL_TIME, USER_XEN_SHINFO, USER_XEN_VCPU_INFO } from '../kvm/cache-users.js';
import { VI_PENDING_SEL, VI_UPCALL_PENDING, pendingSelCopy, portWordBit, vcpuInfoCache, vcpuInfoGfn } from '../kvm/users/xen-vcpu-info.js';
import { vcpuInfoCarryOffset, vcpuInfoGuestOffset } from '../kvm/users/xen-vcpu-info-move.js';
import { userCache, userGfn } from '../kvm/cache-table.js';
import { countCheck, finding, type ModelContext } from '../kvm/model-context.js';
import {
  ST_EVENTS_CONSUMED,
  ST_EVENTS_SENT,
  ST_LAST_HW_TICK,
  ST_LAST_STEAL,
  ST_NESTED_CONSUMED,
  ST_POSTED,
  ST_STEAL_WRITES,
  readStat,
} from '../kvm/thread-stats.js';
import { PI_PIR, STEAL_VALUE, VAPIC_HW_TICK, VAPIC_IRR } from '../kvm/users/page-fields.js';
import { VM_GPC_LOCK, VM_MMU_IN_PROGRESS, VM_MN_COUNT, WORKLOAD_NESTED, WORKLOAD_STEAL, WORKLOAD_XEN } from '../kvm/vm-layout.js';
// Each finding's `c` says which check fired; the property's module names its fields and says it.
import { END_EVENTS_EVTCHN, END_EVENTS_NO_UPCALL, END_EVENTS_POSTED, PROP_EVENTS } from '../oracle/properties/events.js';
import { END_LEAK_KMAP, END_LEAK_PAGE, END_LEAK_PAGE_COUNT, END_LEAK_REFCOUNT, PROP_LEAKS } from '../oracle/properties/leaks.js';
import { END_LOCK_CORRUPT, END_LOCK_HELD, END_MMU_IN_PROGRESS, END_MN_COUNT, PROP_LOCK_SANITY } from '../oracle/properties/lock-sanity.js';
import { END_RECORD_HW_TICK, END_RECORD_STEAL, PROP_RECORDS } from '../oracle/properties/records.js';
import { END_INVARIANT, PROP_STATE_INVARIANT } from '../oracle/properties/state-invariant.js';

export interface EndOfRunTotals {
  eventsSent: number;
  eventsConsumed: number;
  eventsPending: number;
  posted: number;
  nestedConsumed: number;
  postedPending: number;
  /**
   * Of eventsPending / postedPending, those in memory no memslot maps at the end (a slot DELETEd
   * and re-CREATEd onto different memory left them behind): thrown away with the memory. Who
   * wrote what into it after its DELETE began is the lost-write tally (src/oracle/retired-memory.ts).
   */
  eventsPendingUnmapped: number;
  postedPendingUnmapped: number;
  /** vCPUs whose last steal-time record / last hardware tick is only in memory no memslot maps at the end. */
  stealRecordsUnmapped: number;
  hwTicksUnmapped: number;
}

/** Clamps a sum into an Int32 finding field. */
function clamp32(x: number): number {
  return Math.max(-2147483648, Math.min(2147483647, x));
}

function sumStat(main: ModelContext, index: number): number {
  let sum = 0;
  for (let t = 0; t < main.layout.threads; t++) sum += readStat(main.statsShared, t, index);
  return sum;
}

function lockSane(main: ModelContext, mem: Int32Array, base: number, g: number): void {
  countCheck(main, PROP_LOCK_SANITY);
  if (Atomics.load(mem, base + LockSlot.MAGIC) !== LOCK_MAGIC || Atomics.load(mem, base + LockSlot.CORRUPTIONS) !== 0) {
    finding(main, PROP_LOCK_SANITY, g, -1, -1, Atomics.load(mem, base + LockSlot.STATE), Atomics.load(mem, base + LockSlot.CORRUPTIONS), END_LOCK_CORRUPT);
  } else if (Atomics.load(mem, base + LockSlot.STATE) !== 0) {
    finding(main, PROP_LOCK_SANITY, g, -1, -1, Atomics.load(mem, base + LockSlot.STATE), base, END_LOCK_HELD);
  }
}

/** Word `index` of gfn's memory in both banks, summed (counts: nothing is lost by being in the bank a slot no longer maps). */
function peekBothBanks(host: HostMemory, gfn: number, index: number): number {
  return peekFileWord(host, gfn, index) + peekFileWord(host, otherBankFilePage(host.mm, gfn), index);
}

/** Word `index` of gfn as the guest reads it now: through the memslots (bank 0 if no slot maps it). */
function peekGuestWord(main: ModelContext, gfn: number, index: number): number {
  const filePage = guestFilePage(main, gfn);
  return peekFileWord(main.host, filePage < 0 ? gfn : filePage, index);
}

/** Word `index` of gfn in memory no memslot maps now: both banks, less the one the guest reaches (if any). */
function peekUnmapped(main: ModelContext, gfn: number, index: number): number {
  const filePage = guestFilePage(main, gfn);
  return peekBothBanks(main.host, gfn, index) - (filePage < 0 ? 0 : peekFileWord(main.host, filePage, index));
}

/**
 * Word `index` of gfn in the bank the guest does not reach now: a last record written there before
 * the slot was re-created onto the other bank is the VMM's replacement of the memory, not a lost write.
 */
function peekOtherBank(main: ModelContext, gfn: number, index: number): number {
  const filePage = guestFilePage(main, gfn);
  return peekFileWord(main.host, otherBankFilePage(main.host.mm, filePage < 0 ? gfn : filePage), index);
}

/**
 * At rest, every event pending for port v (in any shared_info candidate page) can reach vCPU v:
 * its word bit is in v's vcpu_info with evtchn_upcall_pending (the guest's next upcall takes it),
 * or in v's kernel-side copy (kvm_xen_inject_pending_events folds it in). Senders and the guest
 * finish each delivery and upcall before their threads stop, so a missing bit means a write that
 * went to a page the guest does not read (through a stale mapping) or was never made.
 */
function checkEventsCanReachGuest(main: ModelContext, replacedSlots: ReadonlySet<number>): void {
  // A VMM that replaced the memory under shared_info or vcpu_info (DELETE, then CREATE onto other
  // pages) took the pending bits or the selectors with it: that is its doing, not the kernel's, so
  // the pairing is not checked then (each user's memslot is slot USER_*). The same holds for an
  // HVA cache the VMM kept on memory the guest no longer reaches (it does not follow the DELETE):
  // events delivered there are pending in that memory, which is why this check is skipped then.
  if (replacedSlots.has(USER_XEN_SHINFO) || replacedSlots.has(USER_XEN_VCPU_INFO)) return;
  // Only the pages the guest can read count as "pending for port v" here: events the kernel
  // delivered into the overlay page (shared_info attached by HVA outside every memslot) are pending
  // there (the conservation count adds them), but no gfn reaches that page, so the guest's upcall
  // never takes them and a selector it cleared for them is no lost upcall: the VMM put shared_info
  // where the guest cannot see it. An HVA-attached cache's uhva maps the file page of the gpa it
  // was attached at (src/kvm/users/xen-attach.ts), so the candidate pages and vcpu_info's page are
  // the file pages its writes reached.
  const host = main.host;
  const table = main.layout.caches;
  for (let v = 0; v < main.nvcpus; v++) {
    let pending = 0;
    for (let c = 0; c < SHINFO_CANDIDATES; c++) pending += peekFileWord(host, userGfn(table, USER_XEN_SHINFO, -1, c), v);
    if (pending === 0) continue;
    countCheck(main, PROP_EVENTS);
    const bit = portWordBit(v);
    // vcpu_info where the guest registered it last (it may have moved within its page), or, if the
    // VMM has still to carry the bits over from the old offset, there (src/kvm/users/xen-vcpu-info-move.ts).
    const vi = vcpuInfoGuestOffset(main, v) >> 2;
    const carry = vcpuInfoCarryOffset(main, v);
    const gfn = vcpuInfoGfn(main, v);
    const inVcpuInfo = (peekFileWord(host, gfn, vi + VI_PENDING_SEL) & bit) !== 0 && peekFileWord(host, gfn, vi + VI_UPCALL_PENDING) !== 0;
    const toCarry = carry >= 0 && (peekFileWord(host, gfn, (carry >> 2) + VI_PENDING_SEL) & bit) !== 0;
    if (!inVcpuInfo && !toCarry && (pendingSelCopy(main, v) & bit) === 0) finding(main, PROP_EVENTS, vcpuInfoCache(main, v), -1, -1, clamp32(pending), v, END_EVENTS_NO_UPCALL);
  }
}

/**
 * Runs every end-of-run check. `countsComplete` is false when some thread was killed (its
 * counters are from its last flush): conservation and last-value checks are then skipped.
 */
export function runEndOfRunOracles(main: ModelContext, countsComplete: boolean, replacedSlots: ReadonlySet<number> = new Set()): EndOfRunTotals {
  const host = main.host;
  const mm = host.mm;
  const n = main.nvcpus;
  const table = main.layout.caches;
  const totals: EndOfRunTotals = {
    eventsSent: sumStat(main, ST_EVENTS_SENT),
    eventsConsumed: sumStat(main, ST_EVENTS_CONSUMED),
    eventsPending: 0,
    posted: sumStat(main, ST_POSTED),
    nestedConsumed: sumStat(main, ST_NESTED_CONSUMED),
    postedPending: 0,
    eventsPendingUnmapped: 0,
    postedPendingUnmapped: 0,
    stealRecordsUnmapped: 0,
    hwTicksUnmapped: 0,
  };
  // Pending counts add both banks of memory (FILE_BANKS), so conservation holds across a VMM that
  // replaced the memory: what is pending in memory a re-created memslot no longer maps is counted
  // apart (thrown away with it). Whether the kernel wrote any of it there after the DELETE
  // returned is not decided here but at the write (lost-write, src/oracle/properties/lost-write.ts).
  for (let c = 0; c < SHINFO_CANDIDATES; c++) {
    const gfn = userGfn(table, USER_XEN_SHINFO, -1, c);
    for (let port = 0; port < n; port++) {
      totals.eventsPending += peekBothBanks(host, gfn, port);
      totals.eventsPendingUnmapped += peekUnmapped(main, gfn, port);
    }
  }
  // And the overlay page (no bank, no gfn): shared_info attached there by HVA received real events;
  // they are pending in that memory, not lost (the guest cannot reach it: the VMM's choice).
  for (let i = 0; i < OVERLAY_PAGES; i++) for (let port = 0; port < n; port++) totals.eventsPending += peekFileWord(host, overlayFilePage(mm, i), port);
  for (let v = 0; v < n; v++) {
    const pi = userGfn(table, USER_NESTED_VMX, v, NESTED_PAGE_PI);
    const vapic = userGfn(table, USER_NESTED_VMX, v, NESTED_PAGE_VAPIC);
    totals.postedPending += peekBothBanks(host, pi, PI_PIR) + peekBothBanks(host, vapic, VAPIC_IRR);
    totals.postedPendingUnmapped += peekUnmapped(main, pi, PI_PIR) + peekUnmapped(main, vapic, VAPIC_IRR);
  }
  if (!main.oracles) return totals;

  if (countsComplete && (main.workload & WORKLOAD_XEN) !== 0) {
    countCheck(main, PROP_EVENTS);
    const seen = totals.eventsConsumed + totals.eventsPending;
    if (seen !== totals.eventsSent) finding(main, PROP_EVENTS, userCache(table, USER_XEN_SHINFO, -1, 0), -1, -1, clamp32(totals.eventsSent), clamp32(seen), END_EVENTS_EVTCHN);
  }
  if (countsComplete && (main.workload & WORKLOAD_XEN) !== 0) checkEventsCanReachGuest(main, replacedSlots);
  if (countsComplete && (main.workload & WORKLOAD_NESTED) !== 0) {
    countCheck(main, PROP_EVENTS);
    const seen = totals.nestedConsumed + totals.postedPending;
    if (seen !== totals.posted) finding(main, PROP_EVENTS, -1, -1, -1, clamp32(totals.posted), clamp32(seen), END_EVENTS_POSTED);
  }
  if (countsComplete) {
    for (let v = 0; v < n; v++) {
      if ((main.workload & WORKLOAD_STEAL) !== 0 && readStat(main.statsShared, v, ST_STEAL_WRITES) > 0) {
        countCheck(main, PROP_RECORDS);
        const last = readStat(main.statsShared, v, ST_LAST_STEAL) | 0;
        const gfn = userGfn(table, USER_STEAL_TIME, v, 0);
        const seen = peekGuestWord(main, gfn, STEAL_VALUE);
        if (seen !== last && peekOtherBank(main, gfn, STEAL_VALUE) !== last) finding(main, PROP_RECORDS, userCache(table, USER_STEAL_TIME, v, 0), gfn << main.pageShift, -1, last, seen, END_RECORD_STEAL);
        else if (seen !== last) totals.stealRecordsUnmapped++;
      }
      const tick = readStat(main.statsShared, v, ST_LAST_HW_TICK) | 0;
      if ((main.workload & WORKLOAD_NESTED) !== 0 && tick !== 0) {
        countCheck(main, PROP_RECORDS);
        const gfn = userGfn(table, USER_NESTED_VMX, v, NESTED_PAGE_VAPIC);
        const seen = peekGuestWord(main, gfn, VAPIC_HW_TICK);
        if (seen !== tick && peekOtherBank(main, gfn, VAPIC_HW_TICK) !== tick) finding(main, PROP_RECORDS, -1, gfn << main.pageShift, -1, tick, seen, END_RECORD_HW_TICK);
        else if (seen !== tick) totals.hwTicksUnmapped++;
      }
    }
  }

  // Pages: allocated exactly when some file page holds them, and owned by that file page.
  const holder = new Int32Array(mm.pfns).fill(-1);
  for (let gfn = 0; gfn < mm.gfns; gfn++) {
    const pfn = mm.mem[mm.fileBase + gfn * FILE_INTS + FILE_PFN]!;
    if (pfn >= 0) holder[pfn] = gfn;
  }
  let allocated = 0;
  for (let pfn = 0; pfn < mm.pfns; pfn++) {
    countCheck(main, PROP_LEAKS);
    const meta = mm.metaBase + pfn * META_INTS;
    const isAllocated = mm.mem[meta + META_STATE] === PAGE_ALLOCATED;
    if (isAllocated) allocated++;
    if (isAllocated !== (holder[pfn]! >= 0) || (isAllocated && mm.mem[meta + META_OWNER_GFN] !== holder[pfn])) {
      finding(main, PROP_LEAKS, -1, -1, pfn, isAllocated ? 1 : 0, holder[pfn]!, END_LEAK_PAGE);
    }
  }
  // Page references: with every thread stopped, no GUP reference is held (hva_to_pfn_retry puts
  // each one; the caches hold none, history B6): an allocated page has its file page's, a free page none.
  if (countsComplete) {
    for (let pfn = 0; pfn < mm.pfns; pfn++) {
      countCheck(main, PROP_LEAKS);
      const refs = mm.mem[mm.metaBase + pfn * META_INTS + META_REFCOUNT]!;
      const expected = mm.mem[mm.metaBase + pfn * META_INTS + META_STATE] === PAGE_ALLOCATED && holder[pfn]! >= 0 ? 1 : 0;
      if (refs !== expected) finding(main, PROP_LEAKS, -1, -1, pfn, refs, expected, END_LEAK_REFCOUNT);
    }
  }
  if (allocated + mm.mem[MM_FREE_COUNT]! !== mm.pfns) finding(main, PROP_LEAKS, -1, -1, -1, allocated, mm.mem[MM_FREE_COUNT]!, END_LEAK_PAGE_COUNT);
  // Kernel mappings: each cache that holds a khva holds one mapping of its pfn, nothing else does.
  const mappings = new Int32Array(mm.pfns);
  for (let g = 0; g < main.layout.gpcs; g++) {
    const base = gpcBase(g);
    const pfn = main.gpcs[base + G_PFN]!;
    if (pfn >= 0 && main.gpcs[base + G_KHVA]! >= 0) mappings[pfn]!++;
  }
  for (let pfn = 0; pfn < mm.pfns; pfn++) {
    const kmap = mm.mem[mm.metaBase + pfn * META_INTS + META_KMAP]!;
    if (kmap !== mappings[pfn]) finding(main, PROP_LEAKS, -1, -1, pfn, kmap, mappings[pfn]!, END_LEAK_KMAP);
  }

  // Locks: sane words, nothing left held.
  for (let g = 0; g < main.layout.gpcs; g++) {
    lockSane(main, main.gpcs, gpcBase(g) + GPC_LOCK, g);
    lockSane(main, main.gpcs, gpcBase(g) + GPC_REFRESH_LOCK, g);
  }
  lockSane(main, main.vm, VM_GPC_LOCK, -1);
  lockSane(main, mm.mem, MM_LOCK, -1);
  countCheck(main, PROP_LOCK_SANITY);
  if (Atomics.load(main.vm, VM_MN_COUNT) !== 0) finding(main, PROP_LOCK_SANITY, -1, -1, -1, Atomics.load(main.vm, VM_MN_COUNT), 0, END_MN_COUNT);
  // At rest kvm_mmu_invalidate_begin and _end balance: the updater's wait for the count keeps an
  // invalidation's start and end on the same memslots (docs/UPSTREAM-SPEC.md 3.2).
  countCheck(main, PROP_LOCK_SANITY);
  if (Atomics.load(main.vm, VM_MMU_IN_PROGRESS) !== 0) finding(main, PROP_LOCK_SANITY, -1, -1, -1, Atomics.load(main.vm, VM_MMU_IN_PROGRESS), 0, END_MMU_IN_PROGRESS);

  // Caches at rest: valid => active, active <=> on the list.
  for (let g = 0; g < main.layout.gpcs; g++) {
    const base = gpcBase(g);
    countCheck(main, PROP_STATE_INVARIANT);
    const valid = main.gpcs[base + G_VALID] !== 0;
    const active = main.gpcs[base + G_ACTIVE] !== 0;
    const listed = main.gpcs[base + G_ON_LIST] !== 0;
    if ((valid && !active) || active !== listed) finding(main, PROP_STATE_INVARIANT, g, -1, main.gpcs[base + G_PFN]!, valid ? 1 : 0, (active ? 2 : 0) | (listed ? 4 : 0), END_INVARIANT);
  }
  return totals;
}
