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
  Atomics.store(mem, meta + META_STATE, PAGE_ALLOCATED);
  mem[MM_ALLOCS] = (mem[MM_ALLOCS]! + 1) | 0;
  return pfn;
}

/**
 * Frees a pfn: state FREE and epoch bumped first (so an access oracle racing with the poisoning
 * already sees the page gone), then poison, then back on the free list.
 */
export function freePageLocked(mm: HostMm, ram: Int32Array, pfn: number): void {
  assertHeld(mm.mem, MM_LOCK, 'write');
  const mem = mm.mem;
  const meta = mm.metaBase + pfn * META_INTS;
  Atomics.store(mem, meta + META_STATE, PAGE_FREE);
  Atomics.add(mem, meta + META_EPOCH, 1);
  Atomics.store(mem, meta + META_OWNER_GFN, -1);
  poisonPage(ram, pfn, mm.pageInts);
  const free = mem[MM_FREE_COUNT]!;
  mem[mm.freeBase + free] = pfn;
  mem[MM_FREE_COUNT] = free + 1;
  mem[MM_FREES] = (mem[MM_FREES]! + 1) | 0;
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
