/**
 * leaks: no page, page reference or kernel mapping leaked or dropped twice. Checked after the run
 * (src/stress/end-of-run.ts: every allocated page is held by exactly its file page, the page
 * counts add up, each page's kmap count equals the caches holding it, each page's reference count
 * is its file page's one), at every unmap (src/kvm/gpc-mapping.ts: a double unmap, `c` = 0), at
 * every put_page (a put of a page with no reference) and at every free (a page freed while its
 * file page still maps it: its references were dropped by someone who did not hold one)
 * (src/kvm/page-refs.ts). History B4/B5 (pfncache-history.md, section D: "the per-page refcount
 * returns to base at quiesce and never goes below base").
 */
import { FILE_INTS, FILE_PFN, MM_LOCK, META_INTS, META_OWNER_GFN } from '../../mem/host-mm-layout.js';
import { assertHeld } from '../../sync/lockdep.js';
import { countCheck, finding, type ModelContext } from '../../kvm/model-context.js';
import { defineProperty, ifPresent } from '../../trace/property.js';

export const PROP_LEAKS = 11;

/** The finding's `c`: which check fired (0: a double unmap, at once). */
export const END_LEAK_PAGE = 5;
export const END_LEAK_KMAP = 6;
export const END_LEAK_PAGE_COUNT = 12;
/** At a put_page: the page had no reference left (a put too many: B5's double put). */
export const LEAK_PUT_UNREFERENCED = 13;
/** At a free: the page's file page still maps it (its file reference was put by someone else). */
export const LEAK_FREED_MAPPED = 14;
/** After the run: a page's reference count is not its file page's one (a GUP reference leaked: B4). */
export const END_LEAK_REFCOUNT = 15;
/** At a free: the page was already free (its last reference dropped twice). */
export const LEAK_DOUBLE_FREE = 16;

export const leaks = defineProperty({
  id: PROP_LEAKS,
  name: 'leaks',
  kind: 'safety',
  description: 'no page, page reference or kernel mapping leaked or dropped twice',
  fills: { cache: true, gpa: false, pfn: true },
  fields: {
    check: '"page" (one page\'s state), "page-count" (allocated + free = all), "kmap", "double-unmap", "refcount" (at the end), "put-unreferenced", "freed-mapped" or "double-free" (at once)',
    allocated: 'page: whether the page is allocated',
    holderGfn: 'page: the file page (gfn) that holds it (absent: none)',
    allocatedPages: 'page-count: pages allocated',
    freePages: 'page-count: pages on the free list',
    kernelMappings: 'kmap: the page\'s kernel mapping count',
    cacheMappings: 'kmap: caches that hold a khva of it',
    mappingsBefore: 'double-unmap: the mapping count the unmap found',
    refcount: 'refcount: the page\'s reference count',
    expectedRefs: 'refcount: the references its holders account for (1 for its file page, else 0)',
    mappedByGfn: 'freed-mapped: the file page (gfn) that still maps the freed page',
  },
  details: (a, b, c) => {
    if (c === END_LEAK_KMAP) return { check: 'kmap', kernelMappings: a, cacheMappings: b };
    if (c === 0) return { check: 'double-unmap', mappingsBefore: a };
    if (c === END_LEAK_PAGE_COUNT) return { check: 'page-count', allocatedPages: a, freePages: b };
    if (c === END_LEAK_REFCOUNT) return { check: 'refcount', refcount: a, expectedRefs: b };
    if (c === LEAK_PUT_UNREFERENCED) return { check: 'put-unreferenced' };
    if (c === LEAK_FREED_MAPPED) return { check: 'freed-mapped', mappedByGfn: a };
    if (c === LEAK_DOUBLE_FREE) return { check: 'double-free' };
    return { check: 'page', allocated: a !== 0, holderGfn: ifPresent(b) };
  },
  describe: (d, s) => {
    if (d.check === 'kmap') return `page ${s.pfn} has ${d.kernelMappings} kernel mappings, but caches hold ${d.cacheMappings}: a leaked (or doubly dropped) khva mapping`;
    if (d.check === 'double-unmap') return `unmap of pfn ${s.pfn} that had no mapping (${d.mappingsBefore}): a double unmap`;
    if (d.check === 'refcount') return `page ${s.pfn} has ${d.refcount} references, but its holders account for ${d.expectedRefs}: a leaked (or lost) page reference`;
    if (d.check === 'put-unreferenced') return `put_page of pfn ${s.pfn}, which had no reference: a double put`;
    if (d.check === 'double-free') return `pfn ${s.pfn} was freed again while already free: its last reference was dropped twice (not put on the free list twice)`;
    if (d.check === 'freed-mapped') return `pfn ${s.pfn} was freed while file page ${d.mappedByGfn} still maps it: a reference was put by someone who did not hold it`;
    if (d.check === 'page-count') return `${d.allocatedPages} pages allocated and ${d.freePages} free do not add up to every page: a leaked or lost page`;
    return `page ${s.pfn}: allocated=${d.allocated ? 1 : 0}, held by file page ${d.holderGfn ?? 'none'}: a leaked or lost page`;
  },
});

/** At a put_page (`left`: what putPageTestZero returned): a put of a page with no reference. Allocation-free. */
export function checkPagePut(ctx: ModelContext, g: number, pfn: number, left: number): boolean {
  if (!ctx.oracles) return true;
  countCheck(ctx, PROP_LEAKS);
  if (left >= 0) return true;
  finding(ctx, PROP_LEAKS, g, -1, pfn, 0, 0, LEAK_PUT_UNREFERENCED);
  return false;
}

/**
 * At the free of pfn (its count reached 0; the mm write lock held): the file page that owns it
 * must no longer map it (the mm drops the file's reference only after unmapping it).
 */
export function checkPageFreeLocked(ctx: ModelContext, g: number, pfn: number): boolean {
  if (!ctx.oracles) return true;
  const mm = ctx.host.mm;
  assertHeld(mm.mem, MM_LOCK, 'write');
  countCheck(ctx, PROP_LEAKS);
  const gfn = Atomics.load(mm.mem, mm.metaBase + pfn * META_INTS + META_OWNER_GFN);
  if (gfn < 0 || Atomics.load(mm.mem, mm.fileBase + gfn * FILE_INTS + FILE_PFN) !== pfn) return true;
  finding(ctx, PROP_LEAKS, g, -1, pfn, gfn, 0, LEAK_FREED_MAPPED);
  return false;
}

/** A free of a page that was already free (freePageLocked refused it). A finding even with the oracles off: the model's own memory bookkeeping relies on it. */
export function reportDoubleFreeLocked(ctx: ModelContext, g: number, pfn: number): void {
  countCheck(ctx, PROP_LEAKS);
  finding(ctx, PROP_LEAKS, g, -1, pfn, 0, 0, LEAK_DOUBLE_FREE);
}
