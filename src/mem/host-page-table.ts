/**
 * The host page table and the guest-RAM file: fault-in (hva_to_pfn), and the pte changes the
 * notifier performs inside an invalidation bracket (migrate, zap/swap-out, write-protect, unmap of
 * a retired window). Every function ending in `Locked` needs the mm lock held for write; the
 * callers in src/kvm bracket them with invalidate_range_start/end.
 */
import { assertHeld } from '../sync/lockdep.js';
import { writeLock, writeUnlock } from '../sync/rwlock.js';
import { EFAULT } from '../util/errno.js';
import type { Random } from '../util/random.js';
import { copyPage, zeroPage } from './host-ram.js';
import { allocPageLocked } from './page-allocator.js';
import {
  FILE_INTS,
  FILE_PFN,
  FILE_SWAPPED,
  MM_LOCK,
  PTE_NONE,
  PTE_PFN_MASK,
  PTE_WRITE_PROTECT,
  WINDOW_INTS,
  WINDOW_MAPPED,
  WINDOW_RETIRING,
  WINDOW_FREE,
  W_GFN_BASE,
  W_NPAGES,
  W_STATE,
  type HostMm,
} from './host-mm-layout.js';

/** The memory a host mm operation touches. */
export interface HostMemory {
  readonly mm: HostMm;
  readonly ram: Int32Array;
  readonly swap: Int32Array;
}

/** The gfn (file page) that vpage maps, or -1 if its window is not mapped. Lock-free read. */
export function vpageToGfn(mm: HostMm, vpage: number): number {
  if (vpage < 1 || vpage >= mm.vpages) return -1;
  const window = ((vpage - 1) / mm.slotPages) | 0;
  const w = mm.windowBase + window * WINDOW_INTS;
  const state = Atomics.load(mm.mem, w + W_STATE);
  if (state !== WINDOW_MAPPED && state !== WINDOW_RETIRING) return -1;
  const index = vpage - 1 - window * mm.slotPages;
  if (index >= mm.mem[w + W_NPAGES]!) return -1;
  return mm.mem[w + W_GFN_BASE]! + index;
}

/** The pfn a pte maps (ignoring write protection), or -1. Lock-free read for the oracles. */
export function ptePfn(mm: HostMm, vpage: number): number {
  const pte = Atomics.load(mm.mem, mm.pteBase + vpage);
  return pte === PTE_NONE ? -1 : pte & PTE_PFN_MASK;
}

/** The pfn backing file page gfn, or -1 (never faulted in, or swapped out). Lock-free read. */
export function filePfn(mm: HostMm, gfn: number): number {
  return Atomics.load(mm.mem, mm.fileBase + gfn * FILE_INTS + FILE_PFN);
}

/**
 * The file page's pfn, bringing it in if needed: a fresh zeroed page, or the content saved in the
 * swap area at the last zap. Returns the pfn or -ENOMEM.
 */
export function fileFaultInLocked(host: HostMemory, rng: Random, gfn: number): number {
  const mm = host.mm;
  assertHeld(mm.mem, MM_LOCK, 'write');
  const file = mm.fileBase + gfn * FILE_INTS;
  const present = mm.mem[file + FILE_PFN]!;
  if (present >= 0) return present;
  const pfn = allocPageLocked(mm, rng, gfn);
  if (pfn < 0) return pfn;
  if (mm.mem[file + FILE_SWAPPED] === 1) {
    copyPage(host.swap, gfn, host.ram, pfn, mm.pageInts);
    mm.mem[file + FILE_SWAPPED] = 0;
  } else {
    zeroPage(host.ram, pfn, mm.pageInts);
  }
  Atomics.store(mm.mem, file + FILE_PFN, pfn);
  return pfn;
}

/** Write fault on vpage under the mm write lock: returns the pfn, -EFAULT (unmapped) or -ENOMEM. */
export function faultInLocked(host: HostMemory, rng: Random, vpage: number): number {
  const mm = host.mm;
  assertHeld(mm.mem, MM_LOCK, 'write');
  const gfn = vpageToGfn(mm, vpage);
  if (gfn < 0) return -EFAULT;
  const pte = mm.mem[mm.pteBase + vpage]!;
  if (pte !== PTE_NONE && (pte & PTE_WRITE_PROTECT) === 0) return pte;
  // Not present, or write-protected: a write fault maps the file page writable.
  const pfn = fileFaultInLocked(host, rng, gfn);
  if (pfn < 0) return pfn;
  Atomics.store(mm.mem, mm.pteBase + vpage, pfn);
  return pfn;
}

/** hva_to_pfn(FOLL_WRITE): takes the mm lock, faults vpage in. May block; call with no gpc lock held. */
export function hostFaultIn(host: HostMemory, rng: Random, vpage: number): number {
  writeLock(host.mm.mem, MM_LOCK);
  const pfn = faultInLocked(host, rng, vpage);
  writeUnlock(host.mm.mem, MM_LOCK);
  return pfn;
}

/**
 * Collects the vpages of every window (mapped or retiring) that maps file page gfn, i.e. every
 * host virtual address an MMU-notifier event on that page must cover. Returns how many.
 */
export function aliasVpagesOf(mm: HostMm, gfn: number, out: Int32Array): number {
  let n = 0;
  for (let window = 0; window < mm.windows && n < out.length; window++) {
    const w = mm.windowBase + window * WINDOW_INTS;
    const state = Atomics.load(mm.mem, w + W_STATE);
    if (state === WINDOW_FREE) continue;
    const base = mm.mem[w + W_GFN_BASE]!;
    if (gfn >= base && gfn < base + mm.mem[w + W_NPAGES]!) out[n++] = 1 + window * mm.slotPages + (gfn - base);
  }
  return n;
}

/** Rewrites every present pte that maps `from` to map `to` (keeping write protection). */
function repointPtesLocked(mm: HostMm, gfn: number, from: number, to: number, scratch: Int32Array): void {
  const n = aliasVpagesOf(mm, gfn, scratch);
  for (let i = 0; i < n; i++) {
    const at = mm.pteBase + scratch[i]!;
    const pte = mm.mem[at]!;
    if (pte !== PTE_NONE && (pte & PTE_PFN_MASK) === from) {
      Atomics.store(mm.mem, at, to === PTE_NONE ? PTE_NONE : to | (pte & PTE_WRITE_PROTECT));
    }
  }
}

/**
 * Migration of file page gfn: a new page, the content copied, the file and every pte re-pointed.
 * Returns the old pfn, or -1 if the page was not resident, or -ENOMEM. The file no longer holds
 * the old page: the caller puts the file's reference on it (still inside the invalidation
 * bracket), which frees it unless a GUP reference is still held (src/kvm/page-refs.ts).
 */
export function migrateFilePageLocked(host: HostMemory, rng: Random, gfn: number, scratch: Int32Array): number {
  const mm = host.mm;
  assertHeld(mm.mem, MM_LOCK, 'write');
  const file = mm.fileBase + gfn * FILE_INTS;
  const old = mm.mem[file + FILE_PFN]!;
  if (old < 0) return -1;
  const fresh = allocPageLocked(mm, rng, gfn);
  if (fresh < 0) return fresh;
  copyPage(host.ram, old, host.ram, fresh, mm.pageInts);
  Atomics.store(mm.mem, file + FILE_PFN, fresh);
  repointPtesLocked(mm, gfn, old, fresh, scratch);
  return old;
}

/** Swap-out of file page gfn: content saved, every pte cleared. Returns the old pfn (its file reference for the caller to put) or -1. */
export function zapFilePageLocked(host: HostMemory, gfn: number, scratch: Int32Array): number {
  const mm = host.mm;
  assertHeld(mm.mem, MM_LOCK, 'write');
  const file = mm.fileBase + gfn * FILE_INTS;
  const old = mm.mem[file + FILE_PFN]!;
  if (old < 0) return -1;
  copyPage(host.ram, old, host.swap, gfn, mm.pageInts);
  mm.mem[file + FILE_SWAPPED] = 1;
  Atomics.store(mm.mem, file + FILE_PFN, -1);
  repointPtesLocked(mm, gfn, old, PTE_NONE, scratch);
  return old;
}

/** mprotect(PROT_READ) on every alias of gfn: present ptes become write-protected. Returns how many. */
export function writeProtectFilePageLocked(mm: HostMm, gfn: number, scratch: Int32Array): number {
  assertHeld(mm.mem, MM_LOCK, 'write');
  const n = aliasVpagesOf(mm, gfn, scratch);
  let changed = 0;
  for (let i = 0; i < n; i++) {
    const at = mm.pteBase + scratch[i]!;
    const pte = mm.mem[at]!;
    if (pte !== PTE_NONE && (pte & PTE_WRITE_PROTECT) === 0) {
      Atomics.store(mm.mem, at, pte | PTE_WRITE_PROTECT);
      changed++;
    }
  }
  return changed;
}

/** munmap of a retiring window: every pte cleared and the window FREE (no page is freed: the file keeps them). */
export function unmapWindowLocked(mm: HostMm, window: number): void {
  assertHeld(mm.mem, MM_LOCK, 'write');
  const first = 1 + window * mm.slotPages;
  mm.mem.fill(PTE_NONE, mm.pteBase + first, mm.pteBase + first + mm.slotPages);
  Atomics.store(mm.mem, mm.windowBase + window * WINDOW_INTS + W_STATE, WINDOW_FREE);
}

/**
 * Word `index` of file page gfn as the guest would read it now (resident page, else the swapped
 * content, else a never-touched zero page). For the end-of-run oracles, when every thread has
 * stopped (no lock taken).
 */
export function peekFileWord(host: HostMemory, gfn: number, index: number): number {
  const mm = host.mm;
  const pfn = mm.mem[mm.fileBase + gfn * FILE_INTS + FILE_PFN]!;
  if (pfn >= 0) return host.ram[pfn * mm.pageInts + index]!;
  if (mm.mem[mm.fileBase + gfn * FILE_INTS + FILE_SWAPPED] === 1) return host.swap[gfn * mm.pageInts + index]!;
  return 0;
}
