/**
 * stale-pte: valid under the read lock, but the host pte of the cache's uhva no longer maps the
 * cached pfn (an invalidation the cache missed). Checked at every host access through khva.
 */
import { ptePfn } from '../../mem/host-page-table.js';
import { G_UHVA } from '../../kvm/gpc-layout.js';
import { countCheck, finding, type ModelContext } from '../../kvm/model-context.js';
import { defineProperty, ifPresent } from '../../trace/property.js';

export const PROP_STALE_PTE = 3;

export const stalePte = defineProperty({
  id: PROP_STALE_PTE,
  name: 'stale-pte',
  kind: 'safety',
  description: 'valid under the read lock, but the host pte no longer maps the cached pfn',
  fills: { cache: true, gpa: true, pfn: true },
  fields: {
    mappedPfn: 'the pfn the pte maps now (absent: it maps nothing)',
    uhvaPage: 'the cache\'s host virtual page (absent: the cache has no uhva)',
  },
  details: (a, b) => ({ mappedPfn: ifPresent(a), uhvaPage: ifPresent(b) }),
  describe: (d, s) =>
    `valid under the read lock with pfn ${s.pfn}, but the host pte of uhva page ${d.uhvaPage ?? 'none'} maps ${d.mappedPfn === undefined ? 'nothing' : `pfn ${d.mappedPfn}`}`,
});

/** Caller holds g's read lock: the pte of the cache's uhva still maps `pfn`. */
export function checkPteMapsPfnLocked(ctx: ModelContext, g: number, base: number, gpa: number, pfn: number): boolean {
  countCheck(ctx, PROP_STALE_PTE);
  const uhva = ctx.gpcs[base + G_UHVA]!;
  const mapped = uhva < 0 ? -1 : ptePfn(ctx.host.mm, uhva >> ctx.pageShift);
  if (mapped === pfn) return true;
  finding(ctx, PROP_STALE_PTE, g, gpa, pfn, mapped, uhva >> ctx.pageShift, 0);
  return false;
}
