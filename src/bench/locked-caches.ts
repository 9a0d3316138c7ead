/**
 * The `locked` entry check over any number of caches (the seed's nested_vmx_check_guest_maps with
 * N nested caches), for the bench's "locked with 1, 2, 3 and 8 caches" variants: the locked
 * strategy's own per-cache step (strategies/locked.ts entryCheckLockedCache) over a list of caches
 * instead of the vCPU's register file.
 *
 * Hot path: numbers in, booleans out, nothing allocated.
 */
import { readLock, readUnlock } from '../sync/rwlock.js';
import { GPC_LOCK, gpcBase } from '../kvm/gpc-layout.js';
import { gpcCheckLocked, gpcRefresh } from '../kvm/gpc.js';
import type { ModelContext } from '../kvm/model-context.js';
import { entryCheckLockedCache } from '../kvm/strategies/locked.js';

/** Per cache: read_lock, kvm_gpc_check, read_unlock; false at the first cache that fails. */
export function lockedCheckCaches(ctx: ModelContext, caches: Int32Array, count: number): boolean {
  for (let i = 0; i < count; i++) if (!entryCheckLockedCache(ctx, caches[i]!, -1)) return false;
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
