/**
 * The host mm buffer: page metadata, the page allocator, the host page table, the guest-RAM "file"
 * (gfn -> pfn, like a memfd's page cache) and the host virtual windows that map it.
 *
 *   line 0   header: PFNS PAGE_SHIFT VPAGES GFNS WINDOWS SLOT_PAGES FREE_COUNT ALLOCS FREES ...
 *   line 1   MM_LOCK (rwlock block, class host.mmLock)
 *   META     pfn * 5:   STATE | EPOCH | OWNER_GFN | KMAP | REFCOUNT
 *   FREE     PFNS slots: the free pfns, FREE_COUNT of them used (a random one is taken)
 *   PTE      vpage:     pfn | PTE_WRITE_PROTECT, or PTE_NONE
 *   FILE     gfn * 2:   FILE_PFN (pfn or -1) | FILE_SWAPPED (1 if the content is in the swap area)
 *   WINDOW   window*4:  W_GFN_BASE | W_NPAGES | W_STATE | W_SLOT
 *
 * The FILE has FILE_BANKS banks of BANK_PAGES pages (one page per gfn each), then OVERLAY_PAGES
 * pages that no gfn names: the Xen overlay page (host memory the VMM maps at a host virtual window
 * that no memslot covers, the 6.9 rationale for kvm_gpc_activate_hva).
 *
 * Host virtual pages (vpages) are grouped in windows of SLOT_PAGES pages; window w covers vpages
 * [1 + w*SLOT_PAGES, 1 + (w+1)*SLOT_PAGES) (vpage 0 is never mapped, so uhva 0 is never valid). A
 * MAPPED window maps guest-RAM file pages [W_GFN_BASE, W_GFN_BASE + W_NPAGES): a memslot points
 * at a window, and moving a memslot points it at another window mapping the same file pages (an
 * alias: the same pfns, new host virtual pages). A RETIRING window is still mapped until the
 * notifier unmaps it (munmap, bracketed by an MMU-notifier invalidation), then it is FREE again.
 */
import { CACHE_LINE_INTS, allocateSharedInts } from './shared-buffer.js';
import { LOCK_BLOCK_INTS } from '../sync/lock-block.js';
import { LockClass } from '../sync/lock-classes.js';
import { rwlockInit } from '../sync/rwlock.js';

// ---- header (written once at creation, before any thread starts; read-only afterwards) --------
const H_PFNS = 0;
const H_PAGE_SHIFT = 1;
const H_VPAGES = 2;
const H_GFNS = 3;
const H_WINDOWS = 4;
const H_SLOT_PAGES = 5;
/** Free pfns. Guard: MM_LOCK write | Writers: allocator | Readers: allocator, end-of-run oracle. */
export const MM_FREE_COUNT = 6;
/** Statistics (only go up). Guard: MM_LOCK write | Writers: allocator | Readers: reports. */
export const MM_ALLOCS = 7;
export const MM_FREES = 8;
/** Pages per bank of the guest-RAM file (the guest's gfn count). Written once at creation. */
const H_BANK_PAGES = 9;

/**
 * First slot of the mm lock's block (rwlock, class host.mmLock). Read: guest accesses through the
 * true translation, and the fault-in fast path (a present, writable pte: GUP-fast). Write: every
 * pte or file-page change (fault-in of a missing page, migrate, zap, protect, munmap) and the
 * allocator.
 */
export const MM_LOCK = CACHE_LINE_INTS;

// ---- page metadata (per pfn) ----
export const META_INTS = 5;
/**
 * PAGE_FREE / PAGE_ALLOCATED. Guard: MM_LOCK write for writes (allocator) | Writers: allocator |
 * Readers: oracles on every access (Atomics.load, lock-free: a racy read is what the oracle wants).
 */
export const META_STATE = 0;
/** Bumped at every free (only goes up). Guard/Writers as META_STATE | Readers: access oracles. */
export const META_EPOCH = 1;
/** The gfn (guest-RAM file page) the page backs, -1 when free. Guard/Writers as META_STATE | Readers: wrong-page oracle. */
export const META_OWNER_GFN = 2;
/** Live kernel mappings (gpc_map - gpc_unmap). Guard: lock-free Atomics.add | Writers: gpc map/unmap | Readers: leak oracle. */
export const META_KMAP = 3;
/**
 * The page's reference count (struct page's _refcount). The file page that holds it (the page
 * cache entry every pte of it maps through) holds one from allocation until the mm's migrate or
 * zap drops it; hva_to_pfn (GUP) takes one more, which hva_to_pfn_retry puts
 * (kvm_release_page_unused / _clean). The page is freed when the last reference goes.
 * Guard: lock-free Atomics.add / Atomics.sub (get_page / put_page); a get needs the mm lock (read
 * or write) held, so the page is still mapped and its count is >= 1 | Writers: allocator (1 at
 * alloc), GUP (src/kvm/host-fault.ts), puts (src/kvm/page-refs.ts) | Readers: puts, leak oracle.
 */
export const META_REFCOUNT = 4;

export const PAGE_FREE = 0;
export const PAGE_ALLOCATED = 1;

/** pte value: not present. */
export const PTE_NONE = -1;
/** pte flag: present but write-protected (a write fault clears it). */
export const PTE_WRITE_PROTECT = 1 << 30;
export const PTE_PFN_MASK = PTE_WRITE_PROTECT - 1;

/** FILE slots. Guard: MM_LOCK write | Writers: fault-in, migrate, zap | Readers: fault-in, guest (MM_LOCK read), oracles. */
export const FILE_INTS = 2;
export const FILE_PFN = 0;
export const FILE_SWAPPED = 1;

/** WINDOW slots. Guard: W_STATE (Atomics) | Writers: control plane (FREE -> MAPPED), notifier (RETIRING -> FREE under MM_LOCK) | Readers: fault-in, notifier. */
export const WINDOW_INTS = 4;
export const W_GFN_BASE = 0;
export const W_NPAGES = 1;
export const W_STATE = 2;
export const W_SLOT = 3;
export const WINDOW_FREE = 0;
export const WINDOW_MAPPED = 1;
export const WINDOW_RETIRING = 2;

/** The numbers every thread needs to address the buffer (built once per thread). */
export interface HostMm {
  readonly mem: Int32Array;
  readonly pfns: number;
  readonly pageShift: number;
  readonly pageSize: number;
  readonly pageInts: number;
  readonly vpages: number;
  /** File pages in all: FILE_BANKS * bankPages, then the overlay pages. */
  readonly gfns: number;
  /** File pages per bank (the guest's gfns). */
  readonly bankPages: number;
  readonly windows: number;
  readonly slotPages: number;
  readonly metaBase: number;
  readonly freeBase: number;
  readonly pteBase: number;
  readonly fileBase: number;
  readonly windowBase: number;
}

export interface HostMmGeometry {
  readonly pfns: number;
  readonly pageShift: number;
  /** File pages in all (FILE_BANKS * bankPages + overlay pages). */
  readonly gfns: number;
  /** File pages per bank; default gfns / FILE_BANKS (no overlay page). */
  readonly bankPages?: number;
  readonly windows: number;
  readonly slotPages: number;
}

function layoutOf(mem: Int32Array, g: HostMmGeometry): HostMm {
  const vpages = 1 + g.windows * g.slotPages;
  const metaBase = MM_LOCK + LOCK_BLOCK_INTS;
  const freeBase = metaBase + g.pfns * META_INTS;
  const pteBase = freeBase + g.pfns;
  const fileBase = pteBase + vpages;
  const windowBase = fileBase + g.gfns * FILE_INTS;
  return {
    mem,
    pfns: g.pfns,
    pageShift: g.pageShift,
    pageSize: 1 << g.pageShift,
    pageInts: (1 << g.pageShift) >> 2,
    vpages,
    gfns: g.gfns,
    bankPages: g.bankPages ?? Math.floor(g.gfns / FILE_BANKS),
    windows: g.windows,
    slotPages: g.slotPages,
    metaBase,
    freeBase,
    pteBase,
    fileBase,
    windowBase,
  };
}

function totalInts(layout: HostMm): number {
  return layout.windowBase + layout.windows * WINDOW_INTS;
}

/** Creates the buffer: every page free (in the free list), no pte, no file page. Cold path. */
export function createHostMmBuffer(g: HostMmGeometry): SharedArrayBuffer {
  const probe = layoutOf(new Int32Array(0), g);
  const buffer = allocateSharedInts(totalInts(probe));
  const mem = new Int32Array(buffer);
  mem[H_PFNS] = g.pfns;
  mem[H_PAGE_SHIFT] = g.pageShift;
  mem[H_VPAGES] = probe.vpages;
  mem[H_GFNS] = g.gfns;
  mem[H_WINDOWS] = g.windows;
  mem[H_SLOT_PAGES] = g.slotPages;
  mem[H_BANK_PAGES] = probe.bankPages;
  const layout = layoutOf(mem, g);
  for (let p = 0; p < g.pfns; p++) {
    mem[layout.metaBase + p * META_INTS + META_OWNER_GFN] = -1;
    mem[layout.freeBase + p] = p;
  }
  mem[MM_FREE_COUNT] = g.pfns;
  rwlockInit(mem, MM_LOCK, LockClass.HOST_MM_LOCK);
  mem.fill(PTE_NONE, layout.pteBase, layout.pteBase + layout.vpages);
  for (let f = 0; f < g.gfns; f++) mem[layout.fileBase + f * FILE_INTS + FILE_PFN] = -1;
  return buffer;
}

/** A thread's view of an existing buffer. Cold path. */
export function hostMmView(buffer: SharedArrayBuffer): HostMm {
  const mem = new Int32Array(buffer);
  return layoutOf(mem, {
    pfns: mem[H_PFNS]!,
    pageShift: mem[H_PAGE_SHIFT]!,
    gfns: mem[H_GFNS]!,
    windows: mem[H_WINDOWS]!,
    slotPages: mem[H_SLOT_PAGES]!,
    bankPages: mem[H_BANK_PAGES]!,
  });
}

/**
 * The guest-RAM file has FILE_BANKS banks of the guest's gfn count: bank b's file page for gfn is
 * gfn + b * bank size. A memslot re-created onto different host memory (DELETE, then CREATE at a
 * new window) maps the other bank: other pages, whose contents are not the ones the old slot had.
 */
export const FILE_BANKS = 2;

/**
 * The gfn whose memory file page `filePage` is (in whichever bank). An overlay page is no gfn's
 * memory: it is returned as is (>= FILE_BANKS * bankPages, so it equals no gfn).
 */
export function fileGfn(mm: HostMm, filePage: number): number {
  if (filePage < 0 || isOverlayFilePage(mm, filePage)) return filePage;
  return filePage % mm.bankPages;
}

/** The same gfn's file page in the other bank (an overlay page has no other bank: itself). */
export function otherBankFilePage(mm: HostMm, filePage: number): number {
  const bank = mm.bankPages;
  if (isOverlayFilePage(mm, filePage)) return filePage;
  return filePage < bank ? filePage + bank : filePage - bank;
}

/** Overlay file page i (0 <= i < overlay pages): after both banks. */
export function overlayFilePage(mm: HostMm, i: number): number {
  return FILE_BANKS * mm.bankPages + i;
}

/** Is file page `filePage` an overlay page (memory no gfn names)? */
export function isOverlayFilePage(mm: HostMm, filePage: number): boolean {
  return filePage >= FILE_BANKS * mm.bankPages;
}

/** First vpage of window w. */
export function windowFirstVpage(mm: HostMm, window: number): number {
  return 1 + window * mm.slotPages;
}
