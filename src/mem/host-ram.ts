/**
 * Host RAM: the physical pages (pfns) of the modelled host, one SharedArrayBuffer.
 *
 *   pfn 0          pfn 1          ...            pfn P-1
 *   [pageInts    ][pageInts    ]  ...            [pageInts    ]
 *
 * pfn p holds bytes [p * pageSize, (p + 1) * pageSize), i.e. Int32 slots [p * pageInts, ...).
 * A khva (the kernel's mapping of a pfn) is a byte index into this buffer; `khva >> 2` is the slot.
 *
 * Guard of every slot: the page's owner. Content is written by (a) host code through a gpc's khva
 * under the gpc read lock, (b) guest code through the true translation under the host mm read lock,
 * (c) the vCPU "hardware" through the pfn it loaded (guest-uses), (d) the host mm under the mm write
 * lock (zero, copy on migrate, restore from swap, poison on free). Readers: the same. The oracles
 * catch (a)-(c) touching a page they no longer own.
 *
 * The swap area has the same shape, indexed by gfn (the guest RAM "file page"): a zapped page's
 * content is kept there until the next fault-in. Guard: host mm write lock.
 */
import { allocateSharedInts } from './shared-buffer.js';

/** Fill pattern of a freed page (the kernel's POISON_FREE byte 0x6b, four times). */
export const PAGE_POISON = 0x6b6b6b6b;

/** Host RAM (or a swap area) of `pages` pages of `pageInts` Int32 slots. */
export function createPageArea(pages: number, pageInts: number): SharedArrayBuffer {
  return allocateSharedInts(pages * pageInts);
}

/** Fills a page with the poison pattern (plain stores: the caller holds the mm write lock). */
export function poisonPage(ram: Int32Array, pfn: number, pageInts: number): void {
  ram.fill(PAGE_POISON, pfn * pageInts, (pfn + 1) * pageInts);
}

/** Zero-fills a page (a fresh anonymous page). */
export function zeroPage(ram: Int32Array, pfn: number, pageInts: number): void {
  ram.fill(0, pfn * pageInts, (pfn + 1) * pageInts);
}

/** Copies a page into another page of another (or the same) area. Allocation-free. */
export function copyPage(from: Int32Array, fromPage: number, to: Int32Array, toPage: number, pageInts: number): void {
  if (from === to) {
    to.copyWithin(toPage * pageInts, fromPage * pageInts, (fromPage + 1) * pageInts);
    return;
  }
  const src = fromPage * pageInts;
  const dst = toPage * pageInts;
  for (let i = 0; i < pageInts; i++) to[dst + i] = from[src + i]!;
}
