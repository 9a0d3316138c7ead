/**
 * Guest code's accesses to its own memory through the true translation (gfn -> the guest-RAM file
 * page's current pfn), the way the guest's own page tables and EPT would reach it. Taken under the
 * host mm lock for read, so a migration copy or a swap-out (mm write lock) never races a guest
 * access: the guest sees either the old page before the copy or the new page after it.
 */
import { readLock, readUnlock, writeLock, writeUnlock } from '../../sync/rwlock.js';
import { MM_LOCK } from '../../mem/host-mm-layout.js';
import { fileFaultInLocked, filePfn } from '../../mem/host-page-table.js';
import type { ModelContext } from '../model-context.js';

/**
 * Takes the mm read lock and returns the pfn that backs gfn now, faulting the page in (an EPT
 * violation) if it is not resident. The caller accesses the page, then calls guestPageEnd.
 * Returns -1 (no lock held) only if memory ran out.
 */
export function guestPageBegin(ctx: ModelContext, gfn: number): number {
  const mem = ctx.host.mm.mem;
  for (;;) {
    readLock(mem, MM_LOCK);
    const pfn = filePfn(ctx.host.mm, gfn);
    if (pfn >= 0) return pfn;
    readUnlock(mem, MM_LOCK);
    writeLock(mem, MM_LOCK);
    const faulted = fileFaultInLocked(ctx.host, ctx.rng, gfn);
    writeUnlock(mem, MM_LOCK);
    if (faulted < 0) return -1;
  }
}

export function guestPageEnd(ctx: ModelContext): void {
  readUnlock(ctx.host.mm.mem, MM_LOCK);
}
