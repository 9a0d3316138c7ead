/**
 * uaf-khva: host code used a cache's khva (under the read lock, its check passed) and the page
 * behind it had been freed or re-used since the cache installed it. Checked before the access
 * (page state and epoch vs the install epoch) and after it (the epoch did not move meanwhile).
 */
import { PAGE_ALLOCATED, PAGE_FREE } from '../../mem/host-mm-layout.js';
import { pageEpoch, pageState } from '../../mem/page-allocator.js';
import { G_GPA, G_INSTALL_EPOCH, G_PFN } from '../../kvm/gpc-layout.js';
import { countCheck, finding, type ModelContext } from '../../kvm/model-context.js';
import { defineProperty } from '../../trace/property.js';

export const PROP_UAF_KHVA = 0;

export const uafKhva = defineProperty({
  id: PROP_UAF_KHVA,
  name: 'uaf-khva',
  kind: 'safety',
  description: 'host access through khva (under the read lock, check passed) touched a freed or re-used page',
  fills: { cache: true, gpa: true, pfn: true },
  fields: {
    pageFree: 'true if the page is free now, false if it was freed and allocated again',
    pageEpoch: 'the page\'s epoch now (bumped at every free)',
    installEpoch: 'the page\'s epoch when the cache installed it',
  },
  details: (a, b, c) => ({ pageFree: a === PAGE_FREE, pageEpoch: b, installEpoch: c }),
  describe: (d, s) =>
    `host code used khva of pfn ${s.pfn} under the read lock after its check passed, but the page is ${d.pageFree ? 'FREE' : 're-used'} (page epoch ${d.pageEpoch}, the cache installed it at epoch ${d.installEpoch}): use-after-free through the kernel mapping`,
});

/** Before the access (caller holds g's read lock, pfn >= 0): the page is the one installed. */
export function checkInstalledPageLocked(ctx: ModelContext, g: number, base: number, gpa: number, pfn: number): boolean {
  countCheck(ctx, PROP_UAF_KHVA);
  const mm = ctx.host.mm;
  const state = pageState(mm, pfn);
  const epoch = pageEpoch(mm, pfn);
  const installEpoch = ctx.gpcs[base + G_INSTALL_EPOCH]!;
  if (state === PAGE_ALLOCATED && epoch === installEpoch) return true;
  finding(ctx, PROP_UAF_KHVA, g, gpa, pfn, state, epoch, installEpoch);
  return false;
}

/** After the access (caller still holds g's read lock): the page was not freed during it. */
export function checkPageKeptLocked(ctx: ModelContext, g: number, base: number): boolean {
  const gpcs = ctx.gpcs;
  const pfn = gpcs[base + G_PFN]!;
  if (pfn < 0) return true;
  const epoch = pageEpoch(ctx.host.mm, pfn);
  if (epoch === gpcs[base + G_INSTALL_EPOCH]) return true;
  finding(ctx, PROP_UAF_KHVA, g, gpcs[base + G_GPA]!, pfn, pageState(ctx.host.mm, pfn), epoch, gpcs[base + G_INSTALL_EPOCH]!);
  return false;
}
