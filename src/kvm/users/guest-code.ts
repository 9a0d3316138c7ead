/**
 * What the guest does in guest mode, one bounded step at a time, through the true translation:
 * take the events pending for its port in shared_info (one candidate page per step, in turn),
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
  /** The gfns it reads (from the cache table, looked up once): shared_info candidates, its steal-time page, its vAPIC page. */
  readonly shinfoGfns: Int32Array;
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
    stealFilePage: -1,
    tickFilePage: -1,
    shinfoGfns,
    stealGfn: userGfn(table, USER_STEAL_TIME, v, 0),
    vapicGfn: userGfn(table, USER_NESTED_VMX, v, NESTED_PAGE_VAPIC),
    piGfns,
  };
}

export function guestStep(ctx: ModelContext, v: number, gs: GuestState): void {
  const ram = ctx.ram;
  const pageInts = ctx.pageInts;
  gs.step++;
  if ((ctx.workload & WORKLOAD_XEN) !== 0) {
    const pfn = guestPageBegin(ctx, gs.shinfoGfns[gs.step % SHINFO_CANDIDATES]!);
    if (pfn >= 0) {
      const events = Atomics.exchange(ram, pfn * pageInts + v, 0);
      guestPageEnd(ctx);
      ctx.counters[ST_EVENTS_CONSUMED]! += events;
    }
  }
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
