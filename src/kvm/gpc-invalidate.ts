/**
 * gfn_to_pfn_cache_invalidate_start: the notifier's gpc hook (DESIGN 5.5). Under vm.gpcLock, for
 * each cache on the list: check overlap under the read lock (history B18: no write lock for
 * caches that do not overlap); on overlap take the write lock, re-check, clear valid. Guest-uses
 * caches that were cleared have their vCPU remembered for eviction (ctx.evictList).
 *
 * Runs after mn_active_invalidate_count++ (so a concurrent refresh retries) and before the mm
 * changes anything. Ordering: the count's Atomics.add (seq-cst) comes before this hook takes any
 * gpc lock, so a refresher that relocks after the hook has cleared valid sees the raised count
 * (mmu_notifier_retry_cache's comment: the count "is guaranteed to be elevated before the
 * mmu_notifier acquires gpc->lock"); the kernel gets that order from the spinlock/rwlock acquire.
 * When the hook returns, the notifier checks that no listed cache is still valid in the range
 * (checkInvalidatedRangeClear, src/oracle/properties/state-invariant.ts).
 */
import { readLock, readUnlock, writeLock, writeUnlock } from '../sync/rwlock.js';
import { spinLock, spinUnlock } from '../sync/spinlock.js';
import { BUG_GUEST_USES_NO_EVICT, BUG_INVALIDATE_NO_READ_PRECHECK, BUG_INVALIDATE_SKIPS_CLEAR, isBugOn } from './bug-switches.js';
import {
  G_GPA,
  G_INVALIDATED,
  G_ON_LIST,
  G_OWNER_VCPU,
  G_PFN,
  G_UHVA,
  G_USAGE,
  G_VALID,
  GPC_LOCK,
  USAGE_GUEST,
  gpcBase,
} from './gpc-layout.js';
import { assertHeld } from '../sync/lockdep.js';
import { FIX_DWMW2_HOOK_ANY_PFN, isFixOn } from './fix-switches.js';
import { traceStep, type ModelContext } from './model-context.js';
import { VM_GPC_LOCK } from './vm-layout.js';
import { STEP_INV_CLEAR } from '../trace/trace-steps.js';
import { ST_GPC_INFLIGHT_INVALIDATIONS, ST_INVALIDATIONS_CLEARED } from './thread-stats.js';

/**
 * Is the cache's `flag` set (mainline: G_VALID) for a uhva in [start, end), with a real pfn? The
 * caller holds its lock (read or write).
 */
function overlapsLocked(gpcs: Int32Array, base: number, start: number, end: number, flag: number): boolean {
  assertHeld(gpcs, base + GPC_LOCK, 'any');
  if (gpcs[base + flag] === 0) return false;
  // !is_error_noslot_pfn(gpc->pfn); --fix dwmw2-hook-any-pfn drops it for the needs_invalidation test.
  if (gpcs[base + G_PFN]! < 0 && (flag === G_VALID || !isFixOn(FIX_DWMW2_HOOK_ANY_PFN))) return false;
  const uhva = gpcs[base + G_UHVA]!;
  return uhva >= start && uhva < end;
}

/** The read-lock pre-check (history B18's fix): does the cache overlap [start, end)? */
function overlapsUnderReadLock(gpcs: Int32Array, base: number, start: number, end: number, flag: number): boolean {
  readLock(gpcs, base + GPC_LOCK);
  const hit = overlapsLocked(gpcs, base, start, end, flag);
  readUnlock(gpcs, base + GPC_LOCK);
  return hit;
}

/**
 * Clears valid on every listed cache whose uhva is in [start, end); collects guest-uses vCPUs.
 * The protocol step `invalidationHook`: dispatches to the run's variant (src/kvm/protocols/).
 */
export function gpcInvalidateStart(ctx: ModelContext, start: number, end: number): void {
  ctx.protocol.invalidationHook(ctx, start, end);
}

/** Mainline's gfn_to_pfn_cache_invalidate_start (upstream 6.17, with B18's read-lock pre-check). */
export function mainlineGpcInvalidateStart(ctx: ModelContext, start: number, end: number): void {
  invalidateListedCaches(ctx, start, end, G_VALID);
}

/**
 * The hook's walk: clears valid on every listed cache whose `flag` is set for a uhva in [start,
 * end). Mainline tests G_VALID; dwmw2-range-2024 (v3 1/5, 20240821202814.711673-1-dwmw2@infradead.org)
 * tests gpc->needs_invalidation and clears it with valid (an overlap found on a cache whose valid
 * is still 0 is a refresh in flight: counted, its retry loop goes round again).
 */
export function invalidateListedCaches(ctx: ModelContext, start: number, end: number, flag: number): void {
  const gpcs = ctx.gpcs;
  const count = ctx.layout.gpcs;
  spinLock(ctx.vm, VM_GPC_LOCK);
  for (let g = 0; g < count; g++) {
    const base = gpcBase(g);
    if (Atomics.load(gpcs, base + G_ON_LIST) === 0) continue;
    // History B18 (21dadfcd665e "check the need for invalidation under read lock first"): before
    // it, every invalidation write-locked every cache.
    if (!isBugOn(BUG_INVALIDATE_NO_READ_PRECHECK) && !overlapsUnderReadLock(gpcs, base, start, end, flag)) continue;
    // The cache may have changed in this window: check again under the write lock.
    writeLock(gpcs, base + GPC_LOCK);
    if (overlapsLocked(gpcs, base, start, end, flag)) {
      if (flag !== G_VALID) {
        if (gpcs[base + G_VALID] === 0) ctx.counters[ST_GPC_INFLIGHT_INVALIDATIONS]! += 1;
        if (!isBugOn(BUG_INVALIDATE_SKIPS_CLEAR)) gpcs[base + flag] = 0;
      }
      // Cleared before the eviction below: pairs with the vCPU's "mode = IN_GUEST_MODE, then read
      // valid" (locked / lockless entry checks), so a vCPU either sees valid = 0 or is evicted.
      if (!isBugOn(BUG_INVALIDATE_SKIPS_CLEAR)) Atomics.store(gpcs, base + G_VALID, 0);
      gpcs[base + G_INVALIDATED] = (gpcs[base + G_INVALIDATED]! + 1) | 0;
      ctx.counters[ST_INVALIDATIONS_CLEARED]! += 1;
      traceStep(ctx, STEP_INV_CLEAR, g, gpcs[base + G_GPA]!, gpcs[base + G_PFN]!, start >> ctx.pageShift);
      // The seed's guest_uses_pa (982ed0de4753): a cleared guest-uses cache's vCPU must be evicted.
      if (gpcs[base + G_USAGE] === USAGE_GUEST && !isBugOn(BUG_GUEST_USES_NO_EVICT)) {
        const v = gpcs[base + G_OWNER_VCPU]!;
        if (v >= 0 && ctx.evictMark[v] === 0) {
          ctx.evictMark[v] = 1;
          ctx.evictList[ctx.evictCount++] = v;
        }
      }
    }
    writeUnlock(gpcs, base + GPC_LOCK);
  }
  spinUnlock(ctx.vm, VM_GPC_LOCK);
}
