import { describe, expect, it } from 'vitest';
import { buildVm } from '../../src/stress/build-vm.js';
import { FIX_HVA_SEQ_MISS, fixMaskFromNames, fixNamesFromMask } from '../../src/kvm/fix-switches.js';
import { MM_MIGRATE, mmEventBegin, mmEventFinish } from '../../src/kvm/host-mm-events.js';
import { VM_MMU_SEQ, VM_MN_COUNT } from '../../src/kvm/vm-layout.js';
import { overlayFilePage } from '../../src/mem/host-mm-layout.js';
import { USER_STEAL_TIME } from '../../src/kvm/cache-users.js';
import { testVmConfig } from '../support/vm-config.js';

function seqAfterOverlayMigrate(fixMask: number): { before: number; after: number; count: number } {
  const { main } = buildVm(testVmConfig({ fixMask }));
  const before = Atomics.load(main.vm, VM_MMU_SEQ);
  const target = overlayFilePage(main.host.mm, 0);
  mmEventBegin(main, MM_MIGRATE, target);
  mmEventFinish(main, MM_MIGRATE, target);
  return { before, after: Atomics.load(main.vm, VM_MMU_SEQ), count: Atomics.load(main.vm, VM_MN_COUNT) };
}

describe('fix switches (would-be upstream fixes, off on mainline as merged)', () => {
  it('names and masks round-trip; an unknown name is refused', () => {
    expect(fixMaskFromNames(['hva-seq-miss'])).toBe(FIX_HVA_SEQ_MISS);
    expect(fixNamesFromMask(FIX_HVA_SEQ_MISS)).toEqual(['hva-seq-miss']);
    expect(() => fixMaskFromNames(['nope'])).toThrow(/unknown fix switch 'nope'/);
  });

  it('mainline: an invalidation outside every memslot (the overlay page) leaves mmu_invalidate_seq as it was; hva-seq-miss fixed: it bumps it once', () => {
    const mainline = seqAfterOverlayMigrate(0);
    expect(mainline.after).toBe(mainline.before);
    expect(mainline.count).toBe(0);
    const fixed = seqAfterOverlayMigrate(FIX_HVA_SEQ_MISS);
    expect(fixed.after).toBe(fixed.before + 1);
    expect(fixed.count).toBe(0);
  });

  it('hva-seq-miss fixed: an invalidation that hits a memslot still bumps the seq exactly once', () => {
    const { main, layout } = buildVm(testVmConfig({ fixMask: FIX_HVA_SEQ_MISS }));
    const before = Atomics.load(main.vm, VM_MMU_SEQ);
    const gfn = layout.slotBase[USER_STEAL_TIME]!;
    mmEventBegin(main, MM_MIGRATE, gfn);
    mmEventFinish(main, MM_MIGRATE, gfn);
    expect(Atomics.load(main.vm, VM_MMU_SEQ)).toBe(before + 1);
  });
});
