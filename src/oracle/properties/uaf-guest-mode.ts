/**
 * uaf-guest-mode: the vCPU "hardware", in guest mode, touched a pfn it loaded at
 * GET_NESTED_STATE_PAGES, and that page has been freed (or freed and re-allocated) since.
 * Checked at every guest step that uses a hardware register.
 */
import { PAGE_ALLOCATED, PAGE_FREE } from '../../mem/host-mm-layout.js';
import { pageEpoch, pageState } from '../../mem/page-allocator.js';
import { countCheck, finding, type ModelContext } from '../../kvm/model-context.js';
import { defineProperty } from '../../trace/property.js';

export const PROP_UAF_GUEST = 1;

export const uafGuestMode = defineProperty({
  id: PROP_UAF_GUEST,
  name: 'uaf-guest-mode',
  kind: 'safety',
  description: 'the vCPU "hardware" in guest mode touched a freed or re-used page (guest-uses pfn)',
  fills: { cache: true, gpa: false, pfn: true },
  fields: {
    pageFree: 'true if the page is free now, false if it was re-allocated',
    pageEpoch: 'the page\'s epoch now (bumped at every free)',
    loadedEpoch: 'the page\'s epoch when the hardware loaded the pfn',
  },
  details: (a, b, c) => ({ pageFree: a === PAGE_FREE, pageEpoch: b, loadedEpoch: c }),
  describe: (d, s) =>
    `vcpu "hardware" in guest mode used pfn ${s.pfn} (loaded at page epoch ${d.loadedEpoch}); the page is now ${d.pageFree ? 'FREE' : 're-allocated'} at epoch ${d.pageEpoch}: use-after-free by a guest-uses pfn`,
});

/**
 * The vCPU "hardware" touches `pfn`, loaded at GET_NESTED_STATE_PAGES when the page had `epoch`.
 * Returns true if the page is still that allocation.
 */
export function checkHardwareAccess(ctx: ModelContext, g: number, pfn: number, epoch: number): boolean {
  if (!ctx.oracles) return true;
  countCheck(ctx, PROP_UAF_GUEST);
  const mm = ctx.host.mm;
  if (pageEpoch(mm, pfn) === epoch && pageState(mm, pfn) === PAGE_ALLOCATED) return true;
  finding(ctx, PROP_UAF_GUEST, g, -1, pfn, pageState(mm, pfn), pageEpoch(mm, pfn), epoch);
  return false;
}
