/**
 * The `locked` entry check over any number of caches (the seed's nested_vmx_check_guest_maps with
 * N nested caches), for the bench's "locked with 1, 2, 3 and 8 caches" variants.
 *
 * entry-check.ts checks exactly the vCPU's two nested caches (virtual-APIC, PI descriptor) and
 * does not export its per-cache step, so this adapter repeats that step with the same functions:
 * readLock, gpcCheckLocked, readUnlock (and the same trace step on failure). The bench runs the
 * real entryCheck for the two-cache figure, so the adapter's 2-cache cost can be compared with it.
 *
 * Hot path: numbers in, booleans out, nothing allocated.
 */
import { readLock, readUnlock } from '../sync/rwlock.js';
import { GPC_LOCK, gpcBase } from '../kvm/gpc-layout.js';
import { gpcCheckLocked, gpcRefresh } from '../kvm/gpc.js';
import { traceStep, type ModelContext } from '../kvm/model-context.js';
import { STEP_ENTRY_CHECK_FAIL } from '../trace/trace-steps.js';

/** Per cache: read_lock, kvm_gpc_check, read_unlock; false at the first cache that fails. */
export function lockedCheckCaches(ctx: ModelContext, caches: Int32Array, count: number): boolean {
  const gpcs = ctx.gpcs;
  for (let i = 0; i < count; i++) {
    const g = caches[i]!;
    const lock = gpcBase(g) + GPC_LOCK;
    readLock(gpcs, lock);
    const ok = gpcCheckLocked(ctx, g, -1, ctx.pageSize);
    readUnlock(gpcs, lock);
    if (!ok) {
      traceStep(ctx, STEP_ENTRY_CHECK_FAIL, g, -1, -1, 0);
      return false;
    }
  }
  return true;
}

/**
 * GET_NESTED_STATE_PAGES for the caches beyond the vCPU's own two: refresh each one whose check
 * fails (the caller is in an SRCU read section and holds no gpc lock). Returns the refreshes done.
 */
export function refreshFailedCaches(ctx: ModelContext, caches: Int32Array, from: number, count: number): number {
  const gpcs = ctx.gpcs;
  let refreshed = 0;
  for (let i = from; i < count; i++) {
    const g = caches[i]!;
    const lock = gpcBase(g) + GPC_LOCK;
    readLock(gpcs, lock);
    const ok = gpcCheckLocked(ctx, g, -1, ctx.pageSize);
    readUnlock(gpcs, lock);
    if (!ok && gpcRefresh(ctx, g, ctx.pageSize) === 0) refreshed++;
  }
  return refreshed;
}
