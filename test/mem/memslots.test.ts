import { describe, expect, it } from 'vitest';
import {
  createMemslotsBuffer,
  gfnToVpage,
  memslotsGeneration,
  memslotsView,
  SLOT_PRESENT,
  srcuReadLock,
  srcuReadUnlock,
  srcuReaders,
} from '../../src/mem/memslots.js';
import { initialSlot, publishSlotUpdate, readCurrentSlot, synchronizeSrcu } from '../../src/mem/memslot-update.js';

function memslots() {
  const ms = memslotsView(createMemslotsBuffer(4, 3));
  initialSlot(ms, 0, { baseGfn: 0, npages: 4, uhvaVpage: 10, flags: SLOT_PRESENT });
  initialSlot(ms, 1, { baseGfn: 4, npages: 2, uhvaVpage: 20, flags: 0 });
  return ms;
}

describe('memslots (SRCU style)', () => {
  it('a lookup finds the present slot covering the gfn, and nothing for a deleted slot', () => {
    const ms = memslots();
    expect(gfnToVpage(ms, 0, 2)).toBe(12);
    expect(gfnToVpage(ms, 0, 4)).toBe(-1);
  });

  it('a publish bumps the generation and readers see the new copy; the old copy is untouched', () => {
    const ms = memslots();
    const old = publishSlotUpdate(ms, 0, { ...readCurrentSlot(ms, 0), uhvaVpage: 30 });
    expect(old).toBe(0);
    expect(memslotsGeneration(ms)).toBe(1);
    expect(gfnToVpage(ms, 1, 2)).toBe(32);
    expect(gfnToVpage(ms, 0, 2)).toBe(12);
  });

  it('a reader in the old copy holds synchronize_srcu until it leaves; a reader of the new copy does not', async () => {
    const ms = memslots();
    const inOld = srcuReadLock(ms, 0);
    const old = publishSlotUpdate(ms, 0, { ...readCurrentSlot(ms, 0), uhvaVpage: 30 });
    const inNew = srcuReadLock(ms, 1);
    expect(inNew).toBe(1);
    let drained = false;
    const drain = synchronizeSrcu(ms, old, 5, () => false).then((ok) => {
      drained = ok;
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(drained).toBe(false);
    expect(srcuReaders(ms, old)).toBe(1);
    srcuReadUnlock(ms, 0, inOld);
    await drain;
    expect(drained).toBe(true);
    srcuReadUnlock(ms, 1, inNew);
  });
});
