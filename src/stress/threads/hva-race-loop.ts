/**
 * The two threads of docs/UPSTREAM-SPEC.md S1's focused reproduction (test/kvm/hva-seq-miss.test.ts,
 * thread role `hva-race`): over a VM whose shared_info cache the VMM attached by HVA at the overlay
 * page (no memslot covers it),
 *
 *   refresher    keeps using the cache as kvm_xen_set_evtchn does: read lock, kvm_gpc_check, an
 *                access through khva between the access oracles (uaf-khva, stale-pte, wrong-page),
 *                or, on a failed check, kvm_gpc_refresh (hva_to_pfn_retry);
 *   invalidator  zaps or migrates the overlay page inside invalidate_range_start/end, back to back
 *                with a short random busy gap (so the count is 0 now and then and a refresh can
 *                complete: the window S1 needs is an invalidation that begins and ends while the
 *                refresh holds no lock).
 *
 * Both run until the control word RACE_STOP is set (bounded by the test), count their rounds in
 * RACE_ROUNDS + role, and flush their counters (the window instrument's ST_REFRESH_* and the
 * oracle checks) every 256 rounds and at the end.
 */
import { readLock, readUnlock } from '../../sync/rwlock.js';
import { checkKhvaAccessLocked, checkKhvaAfterAccessLocked } from '../../oracle/access-oracles.js';
import { overlayFilePage } from '../../mem/host-mm-layout.js';
import { G_KHVA, GPC_LOCK, gpcBase } from '../../kvm/gpc-layout.js';
import { gpcCheckLocked, gpcRefresh } from '../../kvm/gpc.js';
import { MM_MIGRATE, MM_ZAP, mmEventBegin, mmEventFinish } from '../../kvm/host-mm-events.js';
import { flushCounters, type ModelContext } from '../../kvm/model-context.js';
import { srcuEnter, srcuExit } from '../../kvm/srcu.js';
import { shinfoBytes, shinfoCache } from '../../kvm/users/xen-evtchn.js';

/** Control words (an Int32Array over a SharedArrayBuffer the test owns). */
export const RACE_STOP = 0;
/** Rounds done: RACE_ROUNDS + RACE_ROLE_*. */
export const RACE_ROUNDS = 1;
export const RACE_ROLE_REFRESHER = 0;
export const RACE_ROLE_INVALIDATOR = 1;
export const RACE_CONTROL_INTS = 4;

/** One use of shared_info: check (refresh if it fails), then an access through khva under the read lock. */
function useSharedInfoOnce(ctx: ModelContext, g: number, len: number): void {
  const gpcs = ctx.gpcs;
  const lock = gpcBase(g) + GPC_LOCK;
  const srcu = srcuEnter(ctx);
  readLock(gpcs, lock);
  if (gpcCheckLocked(ctx, g, -1, len)) {
    // A write only through a page the oracles found to be the installed one (no scribbling on a freed page).
    if (checkKhvaAccessLocked(ctx, g)) {
      Atomics.add(ctx.ram, (gpcs[gpcBase(g) + G_KHVA]! >> 2) + 0, 1);
      checkKhvaAfterAccessLocked(ctx, g);
    }
    readUnlock(gpcs, lock);
  } else {
    readUnlock(gpcs, lock);
    gpcRefresh(ctx, g, len);
  }
  srcuExit(ctx, srcu);
}

export function runHvaRaceRefresher(ctx: ModelContext, control: Int32Array): void {
  const g = shinfoCache(ctx);
  const len = shinfoBytes(ctx);
  let rounds = 0;
  while (Atomics.load(control, RACE_STOP) === 0) {
    useSharedInfoOnce(ctx, g, len);
    if ((++rounds & 255) === 0) {
      Atomics.store(control, RACE_ROUNDS + RACE_ROLE_REFRESHER, rounds);
      flushCounters(ctx);
    }
  }
  Atomics.store(control, RACE_ROUNDS + RACE_ROLE_REFRESHER, rounds);
  flushCounters(ctx);
}

/** Busy-waits about `us` microseconds (the gap between invalidations; no sleep: a sleep's wake-up is milliseconds). */
function busyGap(us: number): void {
  const until = performance.now() + us / 1000;
  while (performance.now() < until);
}

export function runHvaRaceInvalidator(ctx: ModelContext, control: Int32Array, maxGapUs: number): void {
  const target = overlayFilePage(ctx.host.mm, 0);
  let rounds = 0;
  while (Atomics.load(control, RACE_STOP) === 0) {
    const kind = ctx.rng.below(2) === 0 ? MM_ZAP : MM_MIGRATE;
    mmEventBegin(ctx, kind, target);
    mmEventFinish(ctx, kind, target);
    busyGap(ctx.rng.below(maxGapUs + 1));
    if ((++rounds & 255) === 0) {
      Atomics.store(control, RACE_ROUNDS + RACE_ROLE_INVALIDATOR, rounds);
      flushCounters(ctx);
    }
  }
  Atomics.store(control, RACE_ROUNDS + RACE_ROLE_INVALIDATOR, rounds);
  flushCounters(ctx);
}
