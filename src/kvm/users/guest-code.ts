/**
 * What the guest does in guest mode, one bounded step at a time, through the true translation:
 * its Xen upcall (if its vcpu_info says evtchn_upcall_pending: clear it, take evtchn_pending_sel,
 * and for its port's word take its port's pending events from shared_info, every candidate page,
 * since the model's guest does not track where the juggler put it),
 * read its steal-time record (it must never go backwards), take the interrupts the hardware
 * delivered into its vAPIC page (and watch the hardware tick never go backwards), and now and
 * then post an interrupt to another vCPU's posted-interrupt descriptor; and read its Xen runstate
 * area (both pages when it crosses one) the way a Xen guest does (xen_get_runstate_snapshot: the
 * entry time with XEN_RUNSTATE_UPDATE clear, the struct, the entry time again), checking that the
 * times add up to state_entry_time (not torn) and never go backwards.
 */
import { countCheck, finding, type ModelContext } from '../model-context.js';
import {
  PROP_RECORDS,
  RECORD_HW_TICK_BACKWARDS,
  RECORD_RUNSTATE_BACKWARDS,
  RECORD_RUNSTATE_TORN,
  RECORD_STEAL_BACKWARDS,
} from '../../oracle/properties/records.js';
import { memslotsGeneration } from '../../mem/memslots.js';
import { NESTED_PAGE_PI, NESTED_PAGE_VAPIC, SHINFO_CANDIDATES, USER_NESTED_VMX, USER_STEAL_TIME, USER_XEN_RUNSTATE, USER_XEN_SHINFO } from '../cache-users.js';
import { userCache, userGfn } from '../cache-table.js';
import { RS_ENTRY_HI, RS_ENTRY_LO, RUNSTATE_UPDATE_HI, RUNSTATE_WORDS, rsTimeLo, runstateLen1 } from './runstate-area.js';
import type { Runstate } from './xen-runstate.js';
import { ST_EVENTS_CONSUMED, ST_NESTED_CONSUMED, ST_POSTED } from '../thread-stats.js';
import { WORKLOAD_NESTED, WORKLOAD_RUNSTATE, WORKLOAD_STEAL, WORKLOAD_XEN } from '../vm-layout.js';
import { PI_PIR, STEAL_VALUE, STEAL_VERSION, VAPIC_HW_TICK, VAPIC_IRR } from './page-fields.js';
import { guestPageBegin, guestPageEnd } from './guest-memory.js';
import { VI_PENDING_SEL, VI_UPCALL_PENDING, portWordBit, vcpuInfoGfn } from './xen-vcpu-info.js';
import { vcpuInfoGuestOffset } from './xen-vcpu-info-move.js';
import { pageOwnerGfn } from '../../mem/page-allocator.js';

/** What the guest remembers between steps, and where its pages are (per vCPU, allocated once). */
export interface GuestState {
  step: number;
  lastSteal: number;
  lastTick: number;
  /**
   * The file pages lastSteal and lastTick were read from: memory re-created under the gfn (a
   * DELETE then CREATE onto other pages) starts the monotonic checks afresh.
   */
  stealFilePage: number;
  tickFilePage: number;
  /** The gfns it reads (from the cache table, looked up once): shared_info candidates, its vcpu_info page, its steal-time page, its vAPIC page. */
  readonly shinfoGfns: Int32Array;
  readonly vcpuInfoGfn: number;
  readonly stealGfn: number;
  readonly vapicGfn: number;
  /** Every vCPU's posted-interrupt descriptor gfn (it posts to others). */
  readonly piGfns: Int32Array;
  /** The runstate area: where it is, what the guest last read (null when the runstate workload is off). */
  readonly runstate: GuestRunstate | null;
}

/** The guest's view of its runstate area (allocated once). */
export interface GuestRunstate {
  /** The area's first page and word offset in it, words there; its second page (-1 if it fits one). */
  readonly gfn1: number;
  readonly word1: number;
  readonly words1: number;
  readonly gfn2: number;
  /** The copy read this step, and the fields (entry time, time[0..3]) of the last copy judged. */
  readonly copy: Int32Array;
  readonly last: Float64Array;
  /** Oracle only: the kernel side, whose publishedGen says whether the area's memory holds its last publish. */
  readonly kernel: Runstate;
}

/** vCPU v's guest state (cold path); `runstate` is the vCPU's runstate area (kernel side), if the workload is on. */
export function openGuestState(ctx: ModelContext, v: number, runstate: Runstate | null = null): GuestState {
  const table = ctx.layout.caches;
  const shinfoGfns = new Int32Array(SHINFO_CANDIDATES);
  for (let c = 0; c < SHINFO_CANDIDATES; c++) shinfoGfns[c] = userGfn(table, USER_XEN_SHINFO, -1, c);
  const piGfns = new Int32Array(ctx.nvcpus);
  for (let t = 0; t < ctx.nvcpus; t++) piGfns[t] = userGfn(table, USER_NESTED_VMX, t, NESTED_PAGE_PI);
  return {
    step: 0,
    lastSteal: 0,
    lastTick: 0,
    stealFilePage: -1,
    tickFilePage: -1,
    shinfoGfns,
    vcpuInfoGfn: vcpuInfoGfn(ctx, v),
    stealGfn: userGfn(table, USER_STEAL_TIME, v, 0),
    vapicGfn: userGfn(table, USER_NESTED_VMX, v, NESTED_PAGE_VAPIC),
    piGfns,
    runstate: runstate === null ? null : openGuestRunstate(ctx, v, runstate),
  };
}

function openGuestRunstate(ctx: ModelContext, v: number, kernel: Runstate): GuestRunstate {
  const table = ctx.layout.caches;
  const offset = table.caches[userCache(table, USER_XEN_RUNSTATE, v, 0)]!.offset;
  const len1 = runstateLen1(offset, ctx.pageSize);
  return {
    gfn1: userGfn(table, USER_XEN_RUNSTATE, v, 0),
    word1: offset >> 2,
    words1: len1 >> 2,
    gfn2: len1 < RUNSTATE_WORDS * 4 ? userGfn(table, USER_XEN_RUNSTATE, v, 1) : -1,
    copy: new Int32Array(RUNSTATE_WORDS),
    last: new Float64Array(5),
    kernel,
  };
}

/** Copies the area (both pages) through the true translation into rs.copy. False if memory ran out. */
function guestCopyRunstate(ctx: ModelContext, rs: GuestRunstate): boolean {
  const ram = ctx.ram;
  const copy = rs.copy;
  const pfn1 = guestPageBegin(ctx, rs.gfn1);
  if (pfn1 < 0) return false;
  const at1 = pfn1 * ctx.pageInts + rs.word1;
  for (let i = 0; i < rs.words1; i++) copy[i] = Atomics.load(ram, at1 + i);
  guestPageEnd(ctx);
  if (rs.gfn2 < 0) return true;
  const pfn2 = guestPageBegin(ctx, rs.gfn2);
  if (pfn2 < 0) return false;
  const at2 = pfn2 * ctx.pageInts - rs.words1;
  for (let i = rs.words1; i < RUNSTATE_WORDS; i++) copy[i] = Atomics.load(ram, at2 + i);
  guestPageEnd(ctx);
  return true;
}

/** A 64-bit field of the copy (low word at `lo`), as a number (exact below 2^53). */
function copy64(copy: Int32Array, lo: number): number {
  return (copy[lo + 1]! >>> 0) * 4294967296 + (copy[lo]! >>> 0);
}

function clampInt(x: number): number {
  return x > 0x7fffffff ? 0x7fffffff : x < -0x80000000 ? -0x80000000 : x | 0;
}

/**
 * The guest reads its runstate area (xen_get_runstate_snapshot_cpu_delta): state_entry_time, the
 * struct, state_entry_time again; a copy with XEN_RUNSTATE_UPDATE set or a changed entry time is
 * retried by a guest, here skipped. A stable copy must have sum(time[]) == state_entry_time and
 * nothing smaller than the last copy. The oracle judges only while the memslots generation is the
 * one the kernel's last publish started in (after a memslot change the memory under the area may
 * legitimately be other memory until the next update).
 */
function guestReadRunstate(ctx: ModelContext, rs: GuestRunstate): void {
  const gen = memslotsGeneration(ctx.ms);
  if (!guestCopyRunstate(ctx, rs)) return;
  const copy = rs.copy;
  const hi = copy[RS_ENTRY_HI]!;
  const lo = copy[RS_ENTRY_LO]!;
  if ((hi & RUNSTATE_UPDATE_HI) !== 0) return;
  // state_entry_time again (the second copy's entry words; the rest is not looked at).
  if (!guestCopyRunstate(ctx, rs) || copy[RS_ENTRY_HI] !== hi || copy[RS_ENTRY_LO] !== lo) return;
  if (!ctx.oracles || gen !== rs.kernel.publishedGen || memslotsGeneration(ctx.ms) !== gen) return;
  countCheck(ctx, PROP_RECORDS);
  const entry = copy64(copy, RS_ENTRY_LO);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += copy64(copy, rsTimeLo(i));
  const gpa = (rs.gfn1 << ctx.pageShift) + (rs.word1 << 2);
  if (sum !== entry) {
    finding(ctx, PROP_RECORDS, -1, gpa, -1, clampInt(entry - sum), rs.words1 << 2, RECORD_RUNSTATE_TORN);
    return;
  }
  const last = rs.last;
  for (let f = 0; f < 5; f++) {
    const value = f === 0 ? entry : copy64(copy, rsTimeLo(f - 1));
    if (value < last[f]!) finding(ctx, PROP_RECORDS, -1, gpa, -1, f, clampInt(last[f]! - value), RECORD_RUNSTATE_BACKWARDS);
    last[f] = value;
  }
}

/**
 * The guest's event-channel upcall (Linux's xen_evtchn_do_upcall, 2-level ABI): if
 * evtchn_upcall_pending, clear it, xchg evtchn_pending_sel to 0, and for its port's word (port v)
 * xchg its pending events out of shared_info (if no memslot maps shared_info now, it puts the
 * selector back: guestPutBackSelector). Returns the events taken.
 */
function xenUpcall(ctx: ModelContext, v: number, gs: GuestState): number {
  const ram = ctx.ram;
  const pfn = guestPageBegin(ctx, gs.vcpuInfoGfn);
  if (pfn < 0) return 0;
  // Where the guest registered its vcpu_info last (it may have moved within the page).
  const vi = pfn * ctx.pageInts + (vcpuInfoGuestOffset(ctx, v) >> 2);
  let sel = 0;
  if (Atomics.load(ram, vi + VI_UPCALL_PENDING) !== 0) {
    Atomics.store(ram, vi + VI_UPCALL_PENDING, 0);
    sel = Atomics.exchange(ram, vi + VI_PENDING_SEL, 0);
  }
  guestPageEnd(ctx);
  if ((sel & portWordBit(v)) === 0) return 0;
  let events = 0;
  let reached = 0;
  for (let c = 0; c < SHINFO_CANDIDATES; c++) {
    const page = guestPageBegin(ctx, gs.shinfoGfns[c]!);
    if (page < 0) continue;
    reached++;
    events += Atomics.exchange(ram, page * ctx.pageInts + v, 0);
    guestPageEnd(ctx);
  }
  if (reached === 0) guestPutBackSelector(ctx, v, gs, sel);
  ctx.counters[ST_EVENTS_CONSUMED]! += events;
  return events;
}

/**
 * No shared_info page was in a memslot during the upcall (the VMM MOVEd or deleted its slot: the
 * reads were MMIO exits that read nothing), so the guest handled none of the words it took from
 * evtchn_pending_sel: it puts them back and raises evtchn_upcall_pending again, for its next
 * upcall. Dropping them would leave the port's events pending in shared_info with no selector bit
 * for good (each later delivery finds the port already pending and, as upstream's
 * test_and_set_bit, sets no selector bit), a loss of the VMM's making that the end-of-run events
 * check would blame on the kernel. Memslot updates are serialized (slots_lock), so vcpu_info's
 * page is in its slot while shared_info's slot is away.
 */
function guestPutBackSelector(ctx: ModelContext, v: number, gs: GuestState, sel: number): void {
  const pfn = guestPageBegin(ctx, gs.vcpuInfoGfn);
  if (pfn < 0) return;
  const vi = pfn * ctx.pageInts + (vcpuInfoGuestOffset(ctx, v) >> 2);
  Atomics.or(ctx.ram, vi + VI_PENDING_SEL, sel);
  Atomics.store(ctx.ram, vi + VI_UPCALL_PENDING, 1);
  guestPageEnd(ctx);
}

export function guestStep(ctx: ModelContext, v: number, gs: GuestState): void {
  const ram = ctx.ram;
  const pageInts = ctx.pageInts;
  gs.step++;
  if ((ctx.workload & WORKLOAD_XEN) !== 0) xenUpcall(ctx, v, gs);
  if ((ctx.workload & WORKLOAD_STEAL) !== 0 && (gs.step & 3) === 0) {
    const pfn = guestPageBegin(ctx, gs.stealGfn);
    if (pfn >= 0) {
      const at = pfn * pageInts;
      const before = Atomics.load(ram, at + STEAL_VERSION);
      const steal = Atomics.load(ram, at + STEAL_VALUE);
      const after = Atomics.load(ram, at + STEAL_VERSION);
      const filePage = pageOwnerGfn(ctx.host.mm, pfn);
      guestPageEnd(ctx);
      if (filePage !== gs.stealFilePage) {
        gs.stealFilePage = filePage;
        gs.lastSteal = 0;
      }
      if (before === after && (before & 1) === 0 && ctx.oracles) {
        countCheck(ctx, PROP_RECORDS);
        if (steal < gs.lastSteal) finding(ctx, PROP_RECORDS, -1, gs.stealGfn << ctx.pageShift, pfn, steal, gs.lastSteal, RECORD_STEAL_BACKWARDS);
        gs.lastSteal = steal;
      }
    }
  }
  if ((ctx.workload & WORKLOAD_RUNSTATE) !== 0 && gs.runstate !== null && (gs.step & 3) === 2) guestReadRunstate(ctx, gs.runstate);
  if ((ctx.workload & WORKLOAD_NESTED) !== 0) {
    const pfn = guestPageBegin(ctx, gs.vapicGfn);
    if (pfn >= 0) {
      const delivered = Atomics.exchange(ram, pfn * pageInts + VAPIC_IRR, 0);
      const tick = Atomics.load(ram, pfn * pageInts + VAPIC_HW_TICK);
      const filePage = pageOwnerGfn(ctx.host.mm, pfn);
      guestPageEnd(ctx);
      if (filePage !== gs.tickFilePage) {
        gs.tickFilePage = filePage;
        gs.lastTick = 0;
      }
      ctx.counters[ST_NESTED_CONSUMED]! += delivered;
      if (ctx.oracles) {
        countCheck(ctx, PROP_RECORDS);
        if (tick < gs.lastTick) finding(ctx, PROP_RECORDS, -1, gs.vapicGfn << ctx.pageShift, pfn, tick, gs.lastTick, RECORD_HW_TICK_BACKWARDS);
      }
      gs.lastTick = tick;
    }
    if (ctx.nvcpus > 1 && ctx.rng.below(1000) < ctx.postPermille) {
      let target = ctx.rng.below(ctx.nvcpus - 1);
      if (target >= v) target++;
      const piPfn = guestPageBegin(ctx, gs.piGfns[target]!);
      if (piPfn >= 0) {
        Atomics.add(ram, piPfn * pageInts + PI_PIR, 1);
        guestPageEnd(ctx);
        ctx.counters[ST_POSTED]! += 1;
      }
    }
  }
}
