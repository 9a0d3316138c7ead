/**
 * Host mm events the notifier thread performs, each bracketed by invalidate_range_start/end:
 *
 *   begin:  count++ ; gpc hook on every host virtual alias of the page, each followed by the
 *           check that it left no listed cache valid in its range ; in_progress++ if the range
 *           overlaps a memslot ; evict guest-uses vCPUs
 *   finish: under the mm write lock: the pte change (migrate: copy to a new page; zap: save to
 *           swap; protect; munmap of a retired window) and the put of the file page's reference
 *           on the old page (freed only if that was the last: a refresher holding it through GUP
 *           frees it at its own put) ; seq++ and in_progress-- if it overlaps a memslot ; count--
 *
 * Split in two so that several events can be in flight at once (--inflight): the notifier begins
 * k events, then finishes them. guest_memfd events (MM_GMEM_*, only with guest_memfd slots: the
 * itazuri-gmem-rfc2 protocol) take their own bracket instead (src/kvm/gmem-invalidate.ts).
 */
import { writeLock, writeUnlock } from '../sync/rwlock.js';
import { MM_LOCK, windowFirstVpage } from '../mem/host-mm-layout.js';
import {
  aliasVpagesOf,
  migrateFilePageLocked,
  unmapWindowLocked,
  writeProtectFilePageLocked,
  zapFilePageLocked,
} from '../mem/host-page-table.js';
import { checkInvalidatedRangeClear } from '../oracle/properties/state-invariant.js';
import { MM_GMEM_CONVERT, MM_GMEM_PUNCH_HOLE, MM_MIGRATE, MM_PROTECT, MM_UNMAP_WINDOW, MM_ZAP, STEP_MM_CHANGE } from '../trace/trace-steps.js';
import { gmemInvalidateBegin, gmemInvalidateFinish } from './gmem-invalidate.js';
import { evictCollectedVcpus, invalidateBegin, invalidateEnd, invalidateHandleRangeBegin, invalidateRangeHook } from './mmu-notifier.js';
import { traceStep, type ModelContext } from './model-context.js';
import { putPageLocked } from './page-refs.js';
import { ST_MM_EVENTS, ST_WINDOW_UNMAPS } from './thread-stats.js';

export { MM_GMEM_CONVERT, MM_GMEM_PUNCH_HOLE, MM_MIGRATE, MM_PROTECT, MM_UNMAP_WINDOW, MM_ZAP };

/** invalidate_range_start for an event of `kind` on `target` (a gfn, or a window for MM_UNMAP_WINDOW). */
export function mmEventBegin(ctx: ModelContext, kind: number, target: number): void {
  // guest_memfd events (itazuri-gmem-rfc2 only) have their own bracket: no MMU notifier.
  if (kind === MM_GMEM_PUNCH_HOLE || kind === MM_GMEM_CONVERT) {
    gmemInvalidateBegin(ctx, kind, target);
    return;
  }
  const mm = ctx.host.mm;
  if (kind === MM_UNMAP_WINDOW) {
    const first = windowFirstVpage(mm, target);
    invalidateBegin(ctx, first);
    invalidateRangeHook(ctx, first, mm.slotPages);
    checkInvalidatedRangeClear(ctx, first, mm.slotPages);
  } else {
    // Count first, then look for aliases: a window mapped after this point is covered by the
    // raised count (a refresh through it retries until invalidateEnd).
    invalidateBegin(ctx, -1 - target);
    const n = aliasVpagesOf(mm, target, ctx.aliases);
    for (let i = 0; i < n; i++) {
      invalidateRangeHook(ctx, ctx.aliases[i]!, 1);
      // What the hook promises, checked as it returns (the invalidation is in the interleaving).
      checkInvalidatedRangeClear(ctx, ctx.aliases[i]!, 1);
    }
  }
  invalidateHandleRangeBegin(ctx, kind === MM_UNMAP_WINDOW ? windowFirstVpage(mm, target) : -1 - target);
  evictCollectedVcpus(ctx);
}

/**
 * The mm change, the put of the old page's file reference (put_page: the page is freed if no GUP
 * reference is left), and invalidate_range_end.
 */
export function mmEventFinish(ctx: ModelContext, kind: number, target: number): void {
  if (kind === MM_GMEM_PUNCH_HOLE || kind === MM_GMEM_CONVERT) {
    gmemInvalidateFinish(ctx, kind, target);
    return;
  }
  const host = ctx.host;
  const mm = host.mm;
  writeLock(mm.mem, MM_LOCK);
  let old = -1;
  if (kind === MM_MIGRATE) old = migrateFilePageLocked(host, ctx.rng, target, ctx.aliases);
  else if (kind === MM_ZAP) old = zapFilePageLocked(host, target, ctx.aliases);
  else if (kind === MM_PROTECT) writeProtectFilePageLocked(mm, target, ctx.aliases);
  else if (kind === MM_UNMAP_WINDOW) {
    unmapWindowLocked(mm, target);
    ctx.counters[ST_WINDOW_UNMAPS]! += 1;
  }
  traceStep(ctx, STEP_MM_CHANGE, -1, kind === MM_UNMAP_WINDOW ? -1 : target << ctx.pageShift, old, kind);
  // The file page no longer holds the old page (and no pte maps it): drop the file's reference.
  if (old >= 0) putPageLocked(ctx, -1, old);
  writeUnlock(mm.mem, MM_LOCK);
  ctx.counters[ST_MM_EVENTS]! += 1;
  // The pte change and the put are done (the mm write unlock publishes them) before range_end's
  // seq++ and count-- (seq-cst Atomics: upstream's smp_wmb in kvm_mmu_invalidate_end orders the
  // seq store before the in_progress/count decrement), so a refresher that sees the count at 0
  // sees the new seq, and an hva_to_pfn after that sees the new pte.
  invalidateEnd(ctx, kind === MM_UNMAP_WINDOW ? windowFirstVpage(mm, target) : -1 - target);
}
