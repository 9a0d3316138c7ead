/**
 * put_page as the model's kernel does it: drop one page reference; the one who drops the last
 * frees the page (poisoned, epoch++, back on the free list; src/mem/page-allocator.ts). The
 * references are the file page's (dropped by the mm's migrate or zap, src/kvm/host-mm-events.ts)
 * and GUP's (taken by hva_to_pfn, put by hva_to_pfn_retry: src/kvm/host-fault.ts). So a page a
 * refresher holds through GUP outlives the mm's unmap until that put, as upstream.
 *
 * The leaks oracle watches each put (a put of a page with no reference) and each free (a page
 * freed while its file page still maps it). Hot path: numbers only, allocation-free.
 */
import { writeLock, writeUnlock } from '../sync/rwlock.js';
import { MM_LOCK } from '../mem/host-mm-layout.js';
import { freePageLocked, pageEpoch, pageOwnerGfn, putPageTestZero } from '../mem/page-allocator.js';
import { checkFreeWhileInGuest } from '../oracle/properties/free-while-in-guest.js';
import { checkPageFreeLocked, checkPagePut, reportDoubleFreeLocked } from '../oracle/properties/leaks.js';
import { STEP_PAGE_FREE } from '../trace/trace-steps.js';
import { traceStep, type ModelContext } from './model-context.js';
import { ST_PAGES_FREED } from './thread-stats.js';

/** Frees pfn, whose last reference is gone (mm write lock held); `g`: the cache whose put it was, or -1. */
function freeUnreferencedPageLocked(ctx: ModelContext, g: number, pfn: number): void {
  const mm = ctx.host.mm;
  const gfn = pageOwnerGfn(mm, pfn);
  checkPageFreeLocked(ctx, g, pfn);
  checkFreeWhileInGuest(ctx, pfn);
  if (!freePageLocked(mm, ctx.host.ram, pfn)) {
    reportDoubleFreeLocked(ctx, g, pfn);
    return;
  }
  ctx.counters[ST_PAGES_FREED]! += 1;
  traceStep(ctx, STEP_PAGE_FREE, g, gfn < 0 ? -1 : gfn << ctx.pageShift, pfn, pageEpoch(mm, pfn));
}

// Ordering: put_page's atomic_dec_and_test is a full barrier in the kernel; putPageTestZero's
// Atomics.sub is sequentially consistent, so every access the putter made to the page comes
// before the free that a zero count allows.

/** put_page with the mm write lock held (the mm's own puts). Returns the count left (-1: none to put). */
export function putPageLocked(ctx: ModelContext, g: number, pfn: number): number {
  const left = putPageTestZero(ctx.host.mm, pfn);
  checkPagePut(ctx, g, pfn, left);
  if (left === 0) freeUnreferencedPageLocked(ctx, g, pfn);
  return left;
}

/**
 * put_page from a thread that holds no mm lock (it may hold gpc locks: the order is gpc.lock ->
 * host.mmLock). Only the last put takes the mm write lock, to free: no one else can find the page
 * any more (its file page no longer holds it), so freeing after the decrement is safe.
 * Returns the count left (-1: the page had no reference).
 */
export function putPage(ctx: ModelContext, g: number, pfn: number): number {
  const left = putPageTestZero(ctx.host.mm, pfn);
  checkPagePut(ctx, g, pfn, left);
  if (left !== 0) return left;
  const mem = ctx.host.mm.mem;
  writeLock(mem, MM_LOCK);
  freeUnreferencedPageLocked(ctx, g, pfn);
  writeUnlock(mem, MM_LOCK);
  return 0;
}
