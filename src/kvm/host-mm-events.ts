/**
 * Host mm events the notifier thread performs, each bracketed by invalidate_range_start/end:
 *
 *   begin:  count++ ; gpc hook on every host virtual alias of the page ; in_progress++ if the range
 *           overlaps a memslot ; evict guest-uses vCPUs
 *   finish: under the mm write lock: the pte change (migrate: copy to a new page; zap: save to
 *           swap; protect; munmap of a retired window) and the free of the old page ; seq++ and in_progress-- if it overlaps a memslot ; count--
 *
 * Split in two so that several events can be in flight at once (--inflight): the notifier begins
 * k events, then finishes them.
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
import { freePageLocked, pageEpoch } from '../mem/page-allocator.js';
import { checkFreeWhileInGuest } from '../oracle/properties/free-while-in-guest.js';
import { MM_MIGRATE, MM_PROTECT, MM_UNMAP_WINDOW, MM_ZAP, STEP_MM_CHANGE, STEP_PAGE_FREE } from '../trace/trace-steps.js';
import { evictCollectedVcpus, invalidateBegin, invalidateEnd, invalidateHandleRangeBegin, invalidateRangeHook } from './mmu-notifier.js';
import { traceStep, type ModelContext } from './model-context.js';
import { ST_MM_EVENTS, ST_PAGES_FREED, ST_WINDOW_UNMAPS } from './thread-stats.js';

export { MM_MIGRATE, MM_PROTECT, MM_UNMAP_WINDOW, MM_ZAP };

/** invalidate_range_start for an event of `kind` on `target` (a gfn, or a window for MM_UNMAP_WINDOW). */
export function mmEventBegin(ctx: ModelContext, kind: number, target: number): void {
  const mm = ctx.host.mm;
  if (kind === MM_UNMAP_WINDOW) {
    const first = windowFirstVpage(mm, target);
    invalidateBegin(ctx, first);
    invalidateRangeHook(ctx, first, mm.slotPages);
  } else {
    // Count first, then look for aliases: a window mapped after this point is covered by the
    // raised count (a refresh through it retries until invalidateEnd).
    invalidateBegin(ctx, -1 - target);
    const n = aliasVpagesOf(mm, target, ctx.aliases);
    for (let i = 0; i < n; i++) invalidateRangeHook(ctx, ctx.aliases[i]!, 1);
  }
  invalidateHandleRangeBegin(ctx, kind === MM_UNMAP_WINDOW ? windowFirstVpage(mm, target) : -1 - target);
  evictCollectedVcpus(ctx);
}

/** The mm change, the free of the old page, and invalidate_range_end. */
export function mmEventFinish(ctx: ModelContext, kind: number, target: number): void {
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
  if (old >= 0) {
    checkFreeWhileInGuest(ctx, old);
    freePageLocked(mm, host.ram, old);
    ctx.counters[ST_PAGES_FREED]! += 1;
    traceStep(ctx, STEP_PAGE_FREE, -1, target << ctx.pageShift, old, pageEpoch(mm, old));
  }
  writeUnlock(mm.mem, MM_LOCK);
  ctx.counters[ST_MM_EVENTS]! += 1;
  invalidateEnd(ctx, kind === MM_UNMAP_WINDOW ? windowFirstVpage(mm, target) : -1 - target);
}
