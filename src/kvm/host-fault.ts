/**
 * hva_to_pfn as the gpc sees it: fault the host virtual page in for write (taking the host mm
 * lock), take a page reference (GUP's get_page), and remember the page epoch the pfn had then (the
 * oracles compare it at every access). The reference is hva_to_pfn_retry's to put:
 * kvm_release_page_unused for an attempt it retries, kvm_release_page_clean at the install
 * (upstream 6.17, virt/kvm/pfncache.c and include/linux/kvm_host.h).
 */
import { readLock, readUnlock, writeLock, writeUnlock } from '../sync/rwlock.js';
import { MM_LOCK, META_EPOCH, META_INTS, PTE_NONE, PTE_WRITE_PROTECT } from '../mem/host-mm-layout.js';
import { faultInLocked } from '../mem/host-page-table.js';
import { getPage } from '../mem/page-allocator.js';
import type { ModelContext } from './model-context.js';
import { putPage } from './page-refs.js';

/**
 * Returns the pfn, holding one reference on it (and sets ctx.lastFaultEpoch), or a negative errno
 * (no reference held). No gpc lock may be held.
 * A present, writable pte is read under the mm read lock (GUP-fast, get_user_page_fast_only: a
 * refresher retrying in a loop must not keep the notifier from the write lock it needs to finish
 * its invalidation); anything else faults under the write lock (the slow path). Either way the
 * reference is taken before the mm lock is dropped, so the mm cannot free the page in between: a
 * later migrate or zap only drops the file page's reference. (Upstream GUP-fast takes the
 * reference with a try-get and re-checks the pte, against a concurrent zap; here the mm lock held
 * for read excludes the zap, which needs it for write.)
 */
export function hostFaultInWithEpoch(ctx: ModelContext, vpage: number): number {
  const mm = ctx.host.mm;
  readLock(mm.mem, MM_LOCK);
  const pte = vpage > 0 && vpage < mm.vpages ? Atomics.load(mm.mem, mm.pteBase + vpage) : PTE_NONE;
  if (pte !== PTE_NONE && (pte & PTE_WRITE_PROTECT) === 0) {
    getPage(mm, pte);
    ctx.lastFaultEpoch = Atomics.load(mm.mem, mm.metaBase + pte * META_INTS + META_EPOCH);
    readUnlock(mm.mem, MM_LOCK);
    return pte;
  }
  readUnlock(mm.mem, MM_LOCK);
  writeLock(mm.mem, MM_LOCK);
  const pfn = faultInLocked(ctx.host, ctx.rng, vpage);
  if (pfn >= 0) {
    getPage(mm, pfn);
    ctx.lastFaultEpoch = Atomics.load(mm.mem, mm.metaBase + pfn * META_INTS + META_EPOCH);
  }
  writeUnlock(mm.mem, MM_LOCK);
  return pfn;
}

/**
 * kvm_release_page_unused: puts the reference of an hva_to_pfn attempt that hva_to_pfn_retry
 * throws away (it lost to an invalidation). `g`: the cache refreshed.
 */
export function kvmReleasePageUnused(ctx: ModelContext, g: number, pfn: number): void {
  putPage(ctx, g, pfn);
}

/**
 * kvm_release_page_clean: marks the page accessed (nothing to model) and puts the reference,
 * at hva_to_pfn_retry's install, under gpc->lock held for write. From here on the cache holds no
 * reference, only notifier protection (history B6).
 */
export function kvmReleasePageClean(ctx: ModelContext, g: number, pfn: number): void {
  putPage(ctx, g, pfn);
}
