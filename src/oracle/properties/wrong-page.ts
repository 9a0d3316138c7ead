/**
 * wrong-page: the cached pfn backs a different gfn than the cache's gpa (writes land in another
 * guest page). Checked at every host access through khva.
 */
import { pageOwnerGfn } from '../../mem/page-allocator.js';
import { fileGfn } from '../../mem/host-mm-layout.js';
import { countCheck, finding, type ModelContext } from '../../kvm/model-context.js';
import { defineProperty, ifPresent } from '../../trace/property.js';

export const PROP_WRONG_PAGE = 6;

export const wrongPage = defineProperty({
  id: PROP_WRONG_PAGE,
  name: 'wrong-page',
  kind: 'safety',
  description: 'the cached pfn backs a different gfn than the cache\'s gpa',
  fills: { cache: true, gpa: true, pfn: true },
  fields: { ownerGfn: 'the gfn the page actually backs (absent: none)' },
  details: (a) => ({ ownerGfn: ifPresent(a) }),
  describe: (d, s) => `the cached pfn ${s.pfn} backs gfn ${d.ownerGfn ?? 'none'}, not the cache's gfn ${s.gfn ?? '?'}: writes land in the wrong page`,
});

/** Caller holds g's read lock: the page behind `pfn` backs gpa's gfn. */
export function checkPageOwnerLocked(ctx: ModelContext, g: number, gpa: number, pfn: number): boolean {
  countCheck(ctx, PROP_WRONG_PAGE);
  const owner = pageOwnerGfn(ctx.host.mm, pfn);
  // Either bank (FILE_BANKS): a re-created slot's memory is the other bank's page of the same gfn.
  if (fileGfn(ctx.host.mm, owner) === gpa >> ctx.pageShift) return true;
  finding(ctx, PROP_WRONG_PAGE, g, gpa, pfn, owner, 0, 0);
  return false;
}
