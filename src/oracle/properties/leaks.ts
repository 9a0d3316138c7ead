/**
 * leaks: no page or kernel mapping leaked. Checked after the run (src/stress/end-of-run.ts: every
 * allocated page is held by exactly its file page, the page counts add up, each page's kmap count
 * equals the caches holding it) and at every unmap (src/kvm/gpc-mapping.ts: a double unmap, `c` = 0).
 */
import { defineProperty, ifPresent } from '../../trace/property.js';

export const PROP_LEAKS = 11;

/** The finding's `c`: which check fired (0: a double unmap, at once). */
export const END_LEAK_PAGE = 5;
export const END_LEAK_KMAP = 6;
export const END_LEAK_PAGE_COUNT = 12;

export const leaks = defineProperty({
  id: PROP_LEAKS,
  name: 'leaks',
  kind: 'safety',
  description: 'no page or kernel mapping leaked at the end',
  fills: { cache: true, gpa: false, pfn: true },
  fields: {
    check: '"page" (one page\'s state), "page-count" (allocated + free = all), "kmap" or "double-unmap"',
    allocated: 'page: whether the page is allocated',
    holderGfn: 'page: the file page (gfn) that holds it (absent: none)',
    allocatedPages: 'page-count: pages allocated',
    freePages: 'page-count: pages on the free list',
    kernelMappings: 'kmap: the page\'s kernel mapping count',
    cacheMappings: 'kmap: caches that hold a khva of it',
    mappingsBefore: 'double-unmap: the mapping count the unmap found',
  },
  details: (a, b, c) => {
    if (c === END_LEAK_KMAP) return { check: 'kmap', kernelMappings: a, cacheMappings: b };
    if (c === 0) return { check: 'double-unmap', mappingsBefore: a };
    if (c === END_LEAK_PAGE_COUNT) return { check: 'page-count', allocatedPages: a, freePages: b };
    return { check: 'page', allocated: a !== 0, holderGfn: ifPresent(b) };
  },
  describe: (d, s) => {
    if (d.check === 'kmap') return `page ${s.pfn} has ${d.kernelMappings} kernel mappings, but caches hold ${d.cacheMappings}: a leaked (or doubly dropped) khva mapping`;
    if (d.check === 'double-unmap') return `unmap of pfn ${s.pfn} that had no mapping (${d.mappingsBefore}): a double unmap`;
    if (d.check === 'page-count') return `${d.allocatedPages} pages allocated and ${d.freePages} free do not add up to every page: a leaked or lost page`;
    return `page ${s.pfn}: allocated=${d.allocated ? 1 : 0}, held by file page ${d.holderGfn ?? 'none'}: a leaked or lost page`;
  },
});
