/**
 * What the guest does in guest mode, one bounded step at a time, through the true translation:
 * its Xen upcall (if its vcpu_info says evtchn_upcall_pending: clear it, take evtchn_pending_sel,
 * and for its port's word take its port's pending events from shared_info, every candidate page,
 * since the model's guest does not track where the juggler put it),
 * read its steal-time record (it must never go backwards), take the interrupts the hardware
 * delivered into its vAPIC page (and watch the hardware tick never go backwards), and now and
 * then post an interrupt to another vCPU's posted-interrupt descriptor.
 */
import { countCheck, finding, type ModelContext } from '../model-context.js';
import { PROP_RECORDS, RECORD_HW_TICK_BACKWARDS, RECORD_STEAL_BACKWARDS } from '../../oracle/properties/records.js';
import { NESTED_PAGE_PI, NESTED_PAGE_VAPIC, SHINFO_CANDIDATES, USER_NESTED_VMX, USER_STEAL_TIME, USER_XEN_SHINFO } from '../cache-users.js';
import { userGfn } from '../cache-table.js';
import { ST_EVENTS_CONSUMED, ST_NESTED_CONSUMED, ST_POSTED } from '../thread-stats.js';
import { WORKLOAD_NESTED, WORKLOAD_STEAL, WORKLOAD_XEN } from '../vm-layout.js';
import { PI_PIR, STEAL_VALUE, STEAL_VERSION, VAPIC_HW_TICK, VAPIC_IRR } from './page-fields.js';
import { guestPageBegin, guestPageEnd } from './guest-memory.js';
import { VI_PENDING_SEL, VI_UPCALL_PENDING, portWordBit, vcpuInfoGfn } from './xen-vcpu-info.js';
import { VCPU_INFO_OFFSET } from '../cache-users.js';

/** What the guest remembers between steps, and where its pages are (per vCPU, allocated once). */
export interface GuestState {
  step: number;
  lastSteal: number;
  lastTick: number;
  /** The gfns it reads (from the cache table, looked up once): shared_info candidates, its vcpu_info page, its steal-time page, its vAPIC page. */
  readonly shinfoGfns: Int32Array;
  readonly vcpuInfoGfn: number;
  readonly stealGfn: number;
  readonly vapicGfn: number;
  /** Every vCPU's posted-interrupt descriptor gfn (it posts to others). */
  readonly piGfns: Int32Array;
}

/** vCPU v's guest state (cold path). */
export function openGuestState(ctx: ModelContext, v: number): GuestState {
  const table = ctx.layout.caches;
  const shinfoGfns = new Int32Array(SHINFO_CANDIDATES);
  for (let c = 0; c < SHINFO_CANDIDATES; c++) shinfoGfns[c] = userGfn(table, USER_XEN_SHINFO, -1, c);
  const piGfns = new Int32Array(ctx.nvcpus);
  for (let t = 0; t < ctx.nvcpus; t++) piGfns[t] = userGfn(table, USER_NESTED_VMX, t, NESTED_PAGE_PI);
  return {
    step: 0,
    lastSteal: 0,
    lastTick: 0,
    shinfoGfns,
    vcpuInfoGfn: vcpuInfoGfn(ctx, v),
    stealGfn: userGfn(table, USER_STEAL_TIME, v, 0),
    vapicGfn: userGfn(table, USER_NESTED_VMX, v, NESTED_PAGE_VAPIC),
    piGfns,
  };
}

/**
 * The guest's event-channel upcall (Linux's xen_evtchn_do_upcall, 2-level ABI): if
 * evtchn_upcall_pending, clear it, xchg evtchn_pending_sel to 0, and for its port's word (port v)
 * xchg its pending events out of shared_info. Returns the events taken.
 */
function xenUpcall(ctx: ModelContext, v: number, gs: GuestState): number {
  const ram = ctx.ram;
  const pfn = guestPageBegin(ctx, gs.vcpuInfoGfn);
  if (pfn < 0) return 0;
  const vi = pfn * ctx.pageInts + (VCPU_INFO_OFFSET >> 2);
  let sel = 0;
  if (Atomics.load(ram, vi + VI_UPCALL_PENDING) !== 0) {
    Atomics.store(ram, vi + VI_UPCALL_PENDING, 0);
    sel = Atomics.exchange(ram, vi + VI_PENDING_SEL, 0);
  }
  guestPageEnd(ctx);
  if ((sel & portWordBit(v)) === 0) return 0;
  let events = 0;
  for (let c = 0; c < SHINFO_CANDIDATES; c++) {
    const page = guestPageBegin(ctx, gs.shinfoGfns[c]!);
    if (page < 0) continue;
    events += Atomics.exchange(ram, page * ctx.pageInts + v, 0);
    guestPageEnd(ctx);
  }
  ctx.counters[ST_EVENTS_CONSUMED]! += events;
  return events;
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
      guestPageEnd(ctx);
      if (before === after && (before & 1) === 0 && ctx.oracles) {
        countCheck(ctx, PROP_RECORDS);
        if (steal < gs.lastSteal) finding(ctx, PROP_RECORDS, -1, gs.stealGfn << ctx.pageShift, pfn, steal, gs.lastSteal, RECORD_STEAL_BACKWARDS);
        gs.lastSteal = steal;
      }
    }
  }
  if ((ctx.workload & WORKLOAD_NESTED) !== 0) {
    const pfn = guestPageBegin(ctx, gs.vapicGfn);
    if (pfn >= 0) {
      const delivered = Atomics.exchange(ram, pfn * pageInts + VAPIC_IRR, 0);
      const tick = Atomics.load(ram, pfn * pageInts + VAPIC_HW_TICK);
      guestPageEnd(ctx);
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
