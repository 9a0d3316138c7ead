import { describe, expect, it } from 'vitest';
import { USER_NESTED_VMX, USER_STEAL_TIME } from '../../src/kvm/cache-users.js';
import { CACHE_LINE_INTS } from '../../src/mem/shared-buffer.js';
import { decodeRings } from '../../src/trace/flight-recorder.js';
import { STEP_MEMSLOT_GENERATION, STEP_MEMSLOT_PUBLISH } from '../../src/trace/trace-steps.js';
import { buildVm } from '../../src/stress/build-vm.js';
import { ControlPlane } from '../../src/stress/control-plane.js';
import { formatEvents } from '../../src/stress/interleaving-text.js';
import { strategyId } from '../../src/kvm/strategies/registry.js';
import { GEN_UPDATE_IN_PROGRESS, SLOT_LOG_DIRTY, SLOT_PRESENT, gfnToVpage, memslotsGeneration } from '../../src/mem/memslots.js';
import { KVM_MR_CREATE, KVM_MR_DELETE, KVM_MR_FLAGS_ONLY, KVM_MR_MOVE, readCurrentSlot } from '../../src/mem/memslot-update.js';
import { guestFilePage, guestPageBegin, guestPageEnd } from '../../src/kvm/users/guest-memory.js';
import { otherBankFilePage } from '../../src/mem/host-mm-layout.js';
import { newMemslotSwapStats } from '../../src/kvm/swap-memslots.js';
import { checkMemslotChange } from '../../src/kvm/set-memslot.js';
import { EEXIST, EINVAL } from '../../src/util/errno.js';
import { rerunCommand, resolveStressConfig } from '../../src/stress/stress-config.js';
import { UsageError } from '../../src/util/usage-error.js';
import { testVmConfig } from '../support/vm-config.js';

function vmWithTrace() {
  return buildVm(testVmConfig({ strategy: strategyId('generation'), seed: 9, workload: 7, guestSteps: 4, eventPermille: 50, stealPermille: 50 }));
}

/** The generations readers saw at each publish (G|IN_PROGRESS) and each final store, in order. */
function generationSequence(built: ReturnType<typeof vmWithTrace>): string[] {
  const { main } = built;
  return decodeRings(main.fr.mem, CACHE_LINE_INTS, main.fr.depth, main.fr.threads, main.fr.depth)
    .filter((e) => e.step === STEP_MEMSLOT_PUBLISH || e.step === STEP_MEMSLOT_GENERATION)
    .map((e) => (e.step === STEP_MEMSLOT_PUBLISH ? `${e.generation & (GEN_UPDATE_IN_PROGRESS - 1)}|IP` : String(e.arg)));
}

// No model thread runs in these tests: no SRCU reader and no invalidation is in flight, so each
// update completes at once.
describe('the control plane: legal memslot operations, each as kvm_set_memslot orders its swaps', () => {
  it('CREATE and FLAGS_ONLY are one swap each: G, G|IP, G+1', async () => {
    const built = vmWithTrace();
    const plane = new ControlPlane(built.main, 0);
    const g = memslotsGeneration(built.main.ms);
    expect(await plane.toggleDummySlot()).toBe(true); // the dummy slot starts deleted: a CREATE
    expect(await plane.toggleDirtyLogging(USER_STEAL_TIME)).toBe(true);
    expect(readCurrentSlot(built.main.ms, USER_STEAL_TIME).flags & SLOT_LOG_DIRTY).toBe(SLOT_LOG_DIRTY);
    expect(generationSequence(built)).toEqual([`${g}|IP`, `${g + 1}`, `${g + 1}|IP`, `${g + 2}`]);
  });

  it('DELETE and MOVE are two swaps each, the INVALID slot between: G, G|IP, G+1, (G+1)|IP, G+2', async () => {
    const built = vmWithTrace();
    const { main, layout } = built;
    const plane = new ControlPlane(main, 0);
    const g = memslotsGeneration(main.ms);
    const gfn = layout.slotBase[USER_NESTED_VMX]!;
    const before = gfnToVpage(main.ms, g, gfn);
    expect(await plane.moveAndBack(USER_NESTED_VMX)).toBe(true); // MOVE away, MOVE back: 4 swaps
    // same hva after the move and back: the translation is the old one
    expect(gfnToVpage(main.ms, memslotsGeneration(main.ms), gfn)).toBe(before);
    expect(await plane.deleteAndCreate(USER_NESTED_VMX)).toBe(true); // DELETE (2 swaps), CREATE (1)
    const seq = generationSequence(built);
    expect(seq).toEqual([
      `${g}|IP`, `${g + 1}`, `${g + 1}|IP`, `${g + 2}`, // MOVE away
      `${g + 2}|IP`, `${g + 3}`, `${g + 3}|IP`, `${g + 4}`, // MOVE back
      `${g + 4}|IP`, `${g + 5}`, `${g + 5}|IP`, `${g + 6}`, // DELETE
      `${g + 6}|IP`, `${g + 7}`, // CREATE
    ]);
    // re-created at a new host window: the same gfn now translates to other host virtual pages
    expect(gfnToVpage(main.ms, memslotsGeneration(main.ms), gfn)).not.toBe(before);
    expect(plane.counts).toMatchObject({ moves: 2, deletes: 1, creates: 1, rejected: 0 });
  });

  it('the memslot steps print the gfn of the slot they change', async () => {
    const built = vmWithTrace();
    const { main, layout } = built;
    const plane = new ControlPlane(main, 0);
    await plane.toggleDirtyLogging(USER_NESTED_VMX);
    const events = decodeRings(main.fr.mem, CACHE_LINE_INTS, main.fr.depth, main.fr.threads, main.fr.depth).filter((e) => e.step === STEP_MEMSLOT_PUBLISH);
    const nestedGfn = layout.slotBase[USER_NESTED_VMX]!;
    expect(nestedGfn).toBeGreaterThan(0);
    expect(formatEvents(layout, events, main.pageShift)[0]).toMatch(new RegExp(`main\\s+memslot-publish\\s+gfn ${nestedGfn}\\s`));
  });

  it('kvm_set_memory_region rejects what upstream rejects: a re-pointed hva, a CREATE over another slot, a MOVE that changes the size', () => {
    const { main, layout } = vmWithTrace();
    const ms = main.ms;
    const steal = readCurrentSlot(ms, USER_STEAL_TIME);
    expect(checkMemslotChange(ms, { change: KVM_MR_MOVE, slot: USER_STEAL_TIME, value: { ...steal, uhvaVpage: steal.uhvaVpage + 1 } })).toBe(-EINVAL);
    expect(checkMemslotChange(ms, { change: KVM_MR_FLAGS_ONLY, slot: USER_STEAL_TIME, value: { ...steal, uhvaVpage: steal.uhvaVpage + 1, flags: steal.flags ^ SLOT_LOG_DIRTY } })).toBe(-EINVAL);
    expect(checkMemslotChange(ms, { change: KVM_MR_MOVE, slot: USER_STEAL_TIME, value: { ...steal, baseGfn: layout.gfns + 100, npages: steal.npages + 1 } })).toBe(-EINVAL);
    const dummy = readCurrentSlot(ms, layout.slotDummy);
    expect(checkMemslotChange(ms, { change: KVM_MR_CREATE, slot: layout.slotDummy, value: { ...dummy, baseGfn: steal.baseGfn, flags: SLOT_PRESENT } })).toBe(-EEXIST);
    expect(checkMemslotChange(ms, { change: KVM_MR_CREATE, slot: layout.slotDummy, value: { ...dummy, flags: SLOT_PRESENT } })).toBe(0);
    expect(checkMemslotChange(ms, { change: KVM_MR_CREATE, slot: USER_STEAL_TIME, value: steal })).toBe(-EINVAL);
  });

  it('--memslot-ops defaults to the legal operations and names what is allowed for a bad one', () => {
    expect(resolveStressConfig({}).memslotOps).toEqual(['delete-create', 'move', 'flags-only', 'dummy']);
    expect(resolveStressConfig({ memslotOps: 'move,repoint-hva' }).memslotOps).toEqual(['move', 'repoint-hva']);
    expect(() => resolveStressConfig({ memslotOps: 'alias' })).toThrow(UsageError);
    expect(() => resolveStressConfig({ memslotOps: 'alias' })).toThrow(/--memslot-ops .*delete-create.*'alias'/);
  });

  it('--updater-timeout defaults to 2 s, is echoed in the re-run command when changed, and names itself for a bad value', () => {
    expect(resolveStressConfig({}).updaterTimeoutS).toBe(2);
    const config = resolveStressConfig({ updaterTimeout: '0.5', seed: 1 });
    expect(config.updaterTimeoutS).toBe(0.5);
    expect(rerunCommand(config)).toContain('--updater-timeout 0.5');
    expect(() => resolveStressConfig({ updaterTimeout: 'soon' })).toThrow(UsageError);
    expect(() => resolveStressConfig({ updaterTimeout: 'soon' })).toThrow(/--updater-timeout/);
  });
});

describe("the guest's reads go through the memslots", () => {
  it('between a DELETE and the CREATE the guest reaches no memory at those gfns; after the CREATE at a new window it does again', async () => {
    const built = vmWithTrace();
    const { main, layout } = built;
    const gfn = layout.slotBase[USER_STEAL_TIME]!;
    expect(guestFilePage(main, gfn)).toBe(gfn);
    const slot = USER_STEAL_TIME;
    const current = readCurrentSlot(main.ms, slot);
    expect(await main.protocol.memslotUpdate(main, { change: KVM_MR_DELETE, slot, value: current }, { shouldGiveUp: () => false, afterDrain: null, stats: newMemslotSwapStats() })).toBe(0);
    expect(guestFilePage(main, gfn)).toBe(-1);
    expect(guestPageBegin(main, gfn)).toBe(-1);
    const plane = new ControlPlane(main, 0);
    expect(await plane.toggleDirtyLogging(slot)).toBe(false); // nothing to change on a deleted slot
    expect(await main.protocol.memslotUpdate(main, { change: KVM_MR_CREATE, slot, value: current }, { shouldGiveUp: () => false, afterDrain: null, stats: newMemslotSwapStats() })).toBe(0);
    expect(guestFilePage(main, gfn)).toBe(gfn);
  });
});

describe('a slot re-created onto different memory', () => {
  it('after DELETE and CREATE the guest reads the other bank of pages at the same gfn, not what it wrote before', async () => {
    const built = vmWithTrace();
    const { main, layout } = built;
    const gfn = layout.slotBase[USER_STEAL_TIME]!;
    const write = (value: number) => {
      const pfn = guestPageBegin(main, gfn);
      expect(pfn).toBeGreaterThanOrEqual(0);
      Atomics.store(main.ram, pfn * main.pageInts + 5, value);
      guestPageEnd(main);
    };
    const read = () => {
      const pfn = guestPageBegin(main, gfn);
      expect(pfn).toBeGreaterThanOrEqual(0);
      const value = Atomics.load(main.ram, pfn * main.pageInts + 5);
      guestPageEnd(main);
      return value;
    };
    write(0x1234);
    expect(read()).toBe(0x1234);
    const plane = new ControlPlane(main, 0);
    expect(await plane.deleteAndCreate(USER_STEAL_TIME)).toBe(true);
    expect(guestFilePage(main, gfn)).toBe(otherBankFilePage(main.host.mm, gfn));
    expect(read()).not.toBe(0x1234);
  });
});
