/**
 * Xen event-channel delivery through the VM-wide shared_info cache (host-uses): the fast path
 * (read lock, check, set pending through khva) and, when the check fails, the slow path (refresh,
 * then try again). An event that cannot be delivered (the cache is inactive: the juggler has it
 * deactivated) is dropped and counted, as KVM returns an error then; only delivered events count
 * for the conservation oracle.
 */
import { readLock, readLockIrq, readTryLock, readUnlock } from '../../sync/rwlock.js';
import { checkKhvaAccessLocked, checkKhvaAfterAccessLocked } from '../../oracle/access-oracles.js';
import { STEP_EVENT_DROPPED, STEP_EVENT_SENT } from '../../trace/trace-steps.js';
import { G_KHVA, GPC_LOCK, gpcBase } from '../gpc-layout.js';
import { gpcCheckLocked, gpcRefresh } from '../gpc.js';
import { SHINFO_CANDIDATES, USER_XEN_SHINFO } from '../cache-users.js';
import { userCache, userGfn } from '../cache-table.js';
import { traceStep, type ModelContext } from '../model-context.js';
import { kickVcpu, makeRequest } from '../vcpu-kick.js';
import { REQ_EVENT } from '../vcpu-layout.js';
import {
  ST_CHECKS_FAILED,
  ST_CHECKS_OK,
  ST_EVENTS_DROPPED,
  ST_EVENTS_SENT,
  ST_FASTPATH_TRYLOCK_FAILS,
  ST_KICKS_SENT,
  ST_SLOW_PATH,
} from '../thread-stats.js';

const MAX_ATTEMPTS = 3;

/** The VM-wide shared_info cache. */
export function shinfoCache(ctx: ModelContext): number {
  return userCache(ctx.layout.caches, USER_XEN_SHINFO, -1, 0);
}

/** Bytes of shared_info the delivery touches (one pending counter per port: the cache's length). */
export function shinfoBytes(ctx: ModelContext): number {
  return ctx.layout.caches.caches[shinfoCache(ctx)]!.length;
}

/** The gfn of shared_info candidate page c (0 <= c < SHINFO_CANDIDATES). */
export function shinfoCandidateGfn(ctx: ModelContext, c: number): number {
  return userGfn(ctx.layout.caches, USER_XEN_SHINFO, -1, c % SHINFO_CANDIDATES);
}

/**
 * The irq-context read lock, as the proposed B17 fast path would take it: a read_trylock first;
 * its failure (a writer holds or waits for the lock) is counted as a fast-path fallback (the
 * proposal would defer the event). The model then takes the lock anyway, so no event is lost.
 */
function readLockIrqCounted(ctx: ModelContext, lock: number): void {
  if (readTryLock(ctx.gpcs, lock)) return;
  ctx.counters[ST_FASTPATH_TRYLOCK_FAILS]! += 1;
  readLockIrq(ctx.gpcs, lock);
}

/** kvm_xen_set_evtchn to `port` (its vCPU). `irq`: the fast path runs in irq context. Returns true if delivered. */
export function sendEvent(ctx: ModelContext, port: number, irq: boolean): boolean {
  const gpcs = ctx.gpcs;
  const shinfo = shinfoCache(ctx);
  const lock = gpcBase(shinfo) + GPC_LOCK;
  const len = shinfoBytes(ctx);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (irq) readLockIrqCounted(ctx, lock);
    else readLock(gpcs, lock);
    if (gpcCheckLocked(ctx, shinfo, -1, len)) {
      ctx.counters[ST_CHECKS_OK]! += 1;
      checkKhvaAccessLocked(ctx, shinfo);
      const khva = gpcs[gpcBase(shinfo) + G_KHVA]!;
      if (khva < 0) {
        // khva = NULL under a passing check (history B2): the kernel would oops in
        // set_shinfo_evtchn_pending; the state-invariant oracle has reported it. Not delivered.
        readUnlock(gpcs, lock);
        ctx.counters[ST_EVENTS_DROPPED]! += 1;
        return false;
      }
      const at = khva >> 2;
      Atomics.add(ctx.ram, at + port, 1);
      checkKhvaAfterAccessLocked(ctx, shinfo);
      traceStep(ctx, STEP_EVENT_SENT, shinfo, -1, at >> (ctx.pageShift - 2), port);
      readUnlock(gpcs, lock);
      ctx.counters[ST_EVENTS_SENT]! += 1;
      makeRequest(ctx.vcpus, port, REQ_EVENT);
      if (kickVcpu(ctx.vcpus, port)) ctx.counters[ST_KICKS_SENT]! += 1;
      return true;
    }
    readUnlock(gpcs, lock);
    ctx.counters[ST_CHECKS_FAILED]! += 1;
    if (attempt === 0) ctx.counters[ST_SLOW_PATH]! += 1;
    const result = gpcRefresh(ctx, shinfo, len);
    if (result < 0) {
      ctx.counters[ST_EVENTS_DROPPED]! += 1;
      traceStep(ctx, STEP_EVENT_DROPPED, shinfo, -1, -1, result);
      return false;
    }
  }
  ctx.counters[ST_EVENTS_DROPPED]! += 1;
  traceStep(ctx, STEP_EVENT_DROPPED, shinfo, -1, -1, 0);
  return false;
}
