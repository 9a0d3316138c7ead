/**
 * hva_to_pfn as the gpc sees it: fault the host virtual page in for write (taking the host mm
 * lock) and remember the page epoch the pfn had then (the oracles compare it at every access).
 */
import { readLock, readUnlock, writeLock, writeUnlock } from '../sync/rwlock.js';
import { MM_LOCK, META_EPOCH, META_INTS, PTE_NONE, PTE_WRITE_PROTECT } from '../mem/host-mm-layout.js';
import { faultInLocked } from '../mem/host-page-table.js';
import type { ModelContext } from './model-context.js';

/**
 * Returns the pfn (and sets ctx.lastFaultEpoch) or a negative errno. No gpc lock may be held.
 * A present, writable pte is read under the mm read lock (GUP-fast: a refresher retrying in a
 * loop must not keep the notifier from the write lock it needs to finish its invalidation);
 * anything else faults under the write lock.
 */
export function hostFaultInWithEpoch(ctx: ModelContext, vpage: number): number {
  const mm = ctx.host.mm;
  readLock(mm.mem, MM_LOCK);
  const pte = vpage > 0 && vpage < mm.vpages ? Atomics.load(mm.mem, mm.pteBase + vpage) : PTE_NONE;
  if (pte !== PTE_NONE && (pte & PTE_WRITE_PROTECT) === 0) {
    ctx.lastFaultEpoch = Atomics.load(mm.mem, mm.metaBase + pte * META_INTS + META_EPOCH);
    readUnlock(mm.mem, MM_LOCK);
    return pte;
  }
  readUnlock(mm.mem, MM_LOCK);
  writeLock(mm.mem, MM_LOCK);
  const pfn = faultInLocked(ctx.host, ctx.rng, vpage);
  if (pfn >= 0) ctx.lastFaultEpoch = Atomics.load(mm.mem, mm.metaBase + pfn * META_INTS + META_EPOCH);
  writeUnlock(mm.mem, MM_LOCK);
  return pfn;
}
