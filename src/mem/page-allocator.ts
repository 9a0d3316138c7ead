/**
 * The host page allocator: pfns come from the free list in random order (seeded), and a freed
 * page is poisoned, its epoch bumped, and put back, so a page freed under a user is soon re-used
 * for something else, as in a real kernel. Guard: host mm lock (write) for every call.
 */
import { assertHeld } from '../sync/lockdep.js';
import { ENOMEM } from '../util/errno.js';
import type { Random } from '../util/random.js';
import { poisonPage } from './host-ram.js';
import {
  MM_ALLOCS,
  MM_FREES,
  MM_FREE_COUNT,
  MM_LOCK,
  META_EPOCH,
  META_INTS,
  META_OWNER_GFN,
  META_REFCOUNT,
  META_STATE,
  PAGE_ALLOCATED,
  PAGE_FREE,
  type HostMm,
} from './host-mm-layout.js';

/** Takes a random free pfn for file page `gfn`; -ENOMEM if none. Content is the caller's job. */
export function allocPageLocked(mm: HostMm, rng: Random, gfn: number): number {
  assertHeld(mm.mem, MM_LOCK, 'write');
  const mem = mm.mem;
  const free = mem[MM_FREE_COUNT]!;
  if (free === 0) return -ENOMEM;
  const at = rng.below(free);
  const pfn = mem[mm.freeBase + at]!;
  mem[mm.freeBase + at] = mem[mm.freeBase + free - 1]!;
  mem[MM_FREE_COUNT] = free - 1;
  const meta = mm.metaBase + pfn * META_INTS;
  Atomics.store(mem, meta + META_OWNER_GFN, gfn);
  // The file page's reference (the caller installs the pfn in the file).
  Atomics.store(mem, meta + META_REFCOUNT, 1);
  Atomics.store(mem, meta + META_STATE, PAGE_ALLOCATED);
  mem[MM_ALLOCS] = (mem[MM_ALLOCS]! + 1) | 0;
  return pfn;
}

/**
 * get_page: one more reference. The caller holds the mm lock (read or write) and found the pfn
 * through a pte or the file, so the page is allocated and its count is >= 1.
 */
export function getPage(mm: HostMm, pfn: number): void {
  Atomics.add(mm.mem, mm.metaBase + pfn * META_INTS + META_REFCOUNT, 1);
}

/**
 * put_page's decrement (put_page_testzero): returns the count left (0: the caller dropped the
 * last reference and must free the page), or -1 if the page had no reference (a put too many:
 * the count is left at 0). Lock-free.
 */
export function putPageTestZero(mm: HostMm, pfn: number): number {
  const at = mm.metaBase + pfn * META_INTS + META_REFCOUNT;
  const before = Atomics.sub(mm.mem, at, 1);
  if (before > 0) return before - 1;
  Atomics.add(mm.mem, at, 1);
  return -1;
}

/** The page's reference count. Lock-free read for the oracles. */
export function pageRefcount(mm: HostMm, pfn: number): number {
  return Atomics.load(mm.mem, mm.metaBase + pfn * META_INTS + META_REFCOUNT);
}

/**
 * Frees a pfn (its last reference is gone): state FREE and epoch bumped first (so an access oracle racing with the poisoning
 * already sees the page gone), then poison, then back on the free list.
 */
export function freePageLocked(mm: HostMm, ram: Int32Array, pfn: number): boolean {
  assertHeld(mm.mem, MM_LOCK, 'write');
  const mem = mm.mem;
  const meta = mm.metaBase + pfn * META_INTS;
  // A page already free (a double free after a double put, e.g. B5's): it is not put on the free
  // list twice, which would hand one page to two owners and break the allocator's own bookkeeping;
  // the caller reports it (leaks, "double-free").
  if (mem[meta + META_STATE] === PAGE_FREE) return false;
  Atomics.store(mem, meta + META_STATE, PAGE_FREE);
  Atomics.add(mem, meta + META_EPOCH, 1);
  Atomics.store(mem, meta + META_OWNER_GFN, -1);
  poisonPage(ram, pfn, mm.pageInts);
  const free = mem[MM_FREE_COUNT]!;
  mem[mm.freeBase + free] = pfn;
  mem[MM_FREE_COUNT] = free + 1;
  mem[MM_FREES] = (mem[MM_FREES]! + 1) | 0;
  return true;
}

/** The page's epoch (bumped at each free). Lock-free read for the oracles. */
export function pageEpoch(mm: HostMm, pfn: number): number {
  return Atomics.load(mm.mem, mm.metaBase + pfn * META_INTS + META_EPOCH);
}

/** PAGE_FREE or PAGE_ALLOCATED. Lock-free read for the oracles. */
export function pageState(mm: HostMm, pfn: number): number {
  return Atomics.load(mm.mem, mm.metaBase + pfn * META_INTS + META_STATE);
}

/** The gfn the page backs (-1 when free). Lock-free read for the oracles. */
export function pageOwnerGfn(mm: HostMm, pfn: number): number {
  return Atomics.load(mm.mem, mm.metaBase + pfn * META_INTS + META_OWNER_GFN);
}
