/**
 * Guest code's accesses to its own memory through the true translation, the way the guest's own
 * page tables and EPT would reach it: gfn -> the active memslots -> host virtual page -> the
 * guest-RAM file page its window maps -> that page's current pfn. A gfn no slot translates (deleted,
 * INVALID, or moved away) reaches no memory: the access is an MMIO exit to userspace, and reads or
 * writes nothing. The page is taken under the host mm lock for read, so a migration copy or a
 * swap-out (mm write lock) never races a guest access: the guest sees either the old page before
 * the copy or the new page after it.
 */
import { readLock, readUnlock, writeLock, writeUnlock } from '../../sync/rwlock.js';
import { MM_LOCK } from '../../mem/host-mm-layout.js';
import { fileFaultInLocked, filePfn, vpageToGfn } from '../../mem/host-page-table.js';
import { gfnToVpage, memslotsGeneration, srcuReadLock, srcuReadUnlock } from '../../mem/memslots.js';
import type { ModelContext } from '../model-context.js';

/**
 * The guest-RAM file page gfn reaches through the active memslots now, or -1 if no slot translates
 * it. A short SRCU read section around the lookup (the guest itself runs outside kvm->srcu).
 */
export function guestFilePage(ctx: ModelContext, gfn: number): number {
  const idx = srcuReadLock(ctx.ms, ctx.thread);
  const vpage = gfnToVpage(ctx.ms, memslotsGeneration(ctx.ms), gfn);
  srcuReadUnlock(ctx.ms, ctx.thread, idx);
  return vpage < 0 ? -1 : vpageToGfn(ctx.host.mm, vpage);
}

/**
 * Takes the mm read lock and returns the pfn that backs gfn now, faulting the page in (an EPT
 * violation) if it is not resident. The caller accesses the page, then calls guestPageEnd.
 * Returns -1 (no lock held) if no memslot translates gfn now (an MMIO exit) or memory ran out.
 */
export function guestPageBegin(ctx: ModelContext, gfn: number): number {
  const filePage = guestFilePage(ctx, gfn);
  if (filePage < 0) return -1;
  const mem = ctx.host.mm.mem;
  for (;;) {
    readLock(mem, MM_LOCK);
    const pfn = filePfn(ctx.host.mm, filePage);
    if (pfn >= 0) return pfn;
    readUnlock(mem, MM_LOCK);
    writeLock(mem, MM_LOCK);
    const faulted = fileFaultInLocked(ctx.host, ctx.rng, filePage);
    writeUnlock(mem, MM_LOCK);
    if (faulted < 0) return -1;
  }
}

export function guestPageEnd(ctx: ModelContext): void {
  readUnlock(ctx.host.mm.mem, MM_LOCK);
}
