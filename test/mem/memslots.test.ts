import { describe, expect, it } from 'vitest';
import {
  activeCopy,
  createMemslotsBuffer,
  GEN_UPDATE_IN_PROGRESS,
  generationOlder,
  hvaRangeHitsMemslot,
  SLOT_INVALID,
  gfnToVpage,
  memslotsGeneration,
  memslotsView,
  SLOT_PRESENT,
  srcuReadLock,
  srcuReadUnlock,
  srcuReaders,
} from '../../src/mem/memslots.js';
import { initialSlot, prepareInactiveCopy, publishCopy, publishSlotUpdate, readCurrentSlot, storeActiveGeneration, synchronizeSrcu } from '../../src/mem/memslot-update.js';

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
    expect(activeCopy(ms)).toBe(1);
    expect(memslotsGeneration(ms)).toBe(1);
    expect(gfnToVpage(ms, 1, 2)).toBe(32);
    // the old copy still holds the old translation (a reader that entered before the publish reads it)
    const at = ms.copyBase0 + 16 + 0 * 4;
    expect(ms.mem[at + 2]).toBe(10);
  });

  it('the IN_PROGRESS bit is not the active-copy index: the copy flips at the publish, the generation moves on only at the final store', () => {
    const ms = memslots();
    const copy = prepareInactiveCopy(ms, 0, { ...readCurrentSlot(ms, 0), uhvaVpage: 30 }, 0);
    expect(copy).toBe(1);
    expect(memslotsGeneration(ms)).toBe(0);
    publishCopy(ms, copy);
    expect(activeCopy(ms)).toBe(1);
    expect(memslotsGeneration(ms)).toBe(GEN_UPDATE_IN_PROGRESS);
    expect(gfnToVpage(ms, memslotsGeneration(ms), 2)).toBe(32);
    storeActiveGeneration(ms, 1);
    expect(memslotsGeneration(ms)).toBe(1);
    // and a second update publishes copy 0 again while the generation only counts up
    publishCopy(ms, prepareInactiveCopy(ms, 0, { ...readCurrentSlot(ms, 0), uhvaVpage: 40 }, 1));
    expect(activeCopy(ms)).toBe(0);
    expect(memslotsGeneration(ms)).toBe(1 | GEN_UPDATE_IN_PROGRESS);
  });

  it('generations order as G, G|IN_PROGRESS, G+1, across the wrap too', () => {
    expect(generationOlder(4, 4 | GEN_UPDATE_IN_PROGRESS)).toBe(true);
    expect(generationOlder(4 | GEN_UPDATE_IN_PROGRESS, 5)).toBe(true);
    expect(generationOlder(5, 4 | GEN_UPDATE_IN_PROGRESS)).toBe(false);
    expect(generationOlder(4, 4)).toBe(false);
    expect(generationOlder(GEN_UPDATE_IN_PROGRESS - 1, 0)).toBe(true);
  });

  it('an INVALID slot translates no gfn but still counts for the hva-range walk', () => {
    const ms = memslots();
    publishSlotUpdate(ms, 0, { ...readCurrentSlot(ms, 0), flags: SLOT_PRESENT | SLOT_INVALID });
    expect(gfnToVpage(ms, memslotsGeneration(ms), 2)).toBe(-1);
    expect(hvaRangeHitsMemslot(ms, 12, 13)).toBe(true);
    // the deleted slot 1 (vpages 20, 21) and a range past every slot do not count
    expect(hvaRangeHitsMemslot(ms, 20, 22)).toBe(false);
    expect(hvaRangeHitsMemslot(ms, 14, 20)).toBe(false);
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
