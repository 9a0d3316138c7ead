import { describe, expect, it } from 'vitest';
import { buildVm } from '../../src/stress/build-vm.js';
import { fileGfn, isOverlayFilePage, otherBankFilePage, overlayFilePage } from '../../src/mem/host-mm-layout.js';
import { aliasVpagesOf, vpageToGfn } from '../../src/mem/host-page-table.js';
import { OVERLAY_PAGES } from '../../src/kvm/guest-layout.js';
import { testVmConfig } from '../support/vm-config.js';

describe('the guest-RAM file: two banks of the guest gfns, then the overlay pages', () => {
  it('bank arithmetic ignores the overlay pages: every gfn has a page in each bank, an overlay page is no gfn and has no other bank', () => {
    const { main, layout } = buildVm(testVmConfig());
    const mm = main.host.mm;
    expect(mm.bankPages).toBe(layout.gfns);
    expect(mm.gfns).toBe(2 * layout.gfns + OVERLAY_PAGES);
    for (const gfn of [0, 1, layout.gfns - 1]) {
      expect(fileGfn(mm, gfn)).toBe(gfn);
      expect(fileGfn(mm, otherBankFilePage(mm, gfn))).toBe(gfn);
      expect(otherBankFilePage(mm, otherBankFilePage(mm, gfn))).toBe(gfn);
      expect(isOverlayFilePage(mm, otherBankFilePage(mm, gfn))).toBe(false);
    }
    const overlay = overlayFilePage(mm, 0);
    expect(isOverlayFilePage(mm, overlay)).toBe(true);
    expect(fileGfn(mm, overlay)).toBe(overlay);
    expect(fileGfn(mm, overlay)).toBeGreaterThanOrEqual(layout.gfns);
    expect(otherBankFilePage(mm, overlay)).toBe(overlay);
  });

  it('the overlay window maps the overlay page at one host virtual page, the only alias of it', () => {
    const { main, layout } = buildVm(testVmConfig());
    const mm = main.host.mm;
    const out = new Int32Array(8);
    expect(aliasVpagesOf(mm, overlayFilePage(mm, 0), out)).toBe(1);
    expect(vpageToGfn(mm, out[0]!)).toBe(overlayFilePage(mm, 0));
    expect(((out[0]! - 1) / mm.slotPages) | 0).toBe(layout.overlayWindow);
  });
});
