import { describe, expect, it } from 'vitest';
import { buildVm } from '../../src/stress/build-vm.js';
import { MM_MIGRATE, mmEventBegin, mmEventFinish } from '../../src/kvm/host-mm-events.js';
import { VM_MN_UPDATER_WAITING } from '../../src/kvm/vm-layout.js';
import { USER_STEAL_TIME } from '../../src/kvm/cache-users.js';
import { kvmSwapActiveMemslots, newMemslotSwapStats } from '../../src/kvm/swap-memslots.js';
import { activeCopy, GEN_UPDATE_IN_PROGRESS, memslotsGeneration, SLOT_LOG_DIRTY } from '../../src/mem/memslots.js';
import { readCurrentSlot } from '../../src/mem/memslot-update.js';
import { decodeRings } from '../../src/trace/flight-recorder.js';
import { CACHE_LINE_INTS } from '../../src/mem/shared-buffer.js';
import { STEP_MEMSLOT_COUNT_WAIT, STEP_MEMSLOT_DRAINED, STEP_MEMSLOT_GENERATION, STEP_MEMSLOT_PUBLISH } from '../../src/trace/trace-steps.js';
import { readFindingRecords } from '../../src/trace/findings.js';
import { LIVELOCK_UPDATER_STARVED, PROP_LIVELOCK } from '../../src/oracle/properties/livelock.js';
import { findingsOf, firing, shortStress } from '../stress/stress-support.js';
import { testVmConfig } from '../support/vm-config.js';

function vm() {
  return buildVm(testVmConfig({ seed: 5, workload: 7, guestSteps: 4, eventPermille: 0, stealPermille: 0, postPermille: 0 }));
}

/** Resolves after `ms` (the main thread's event loop keeps running). */
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kvm_swap_active_memslots', () => {
  it('a publish waits while an invalidation is in flight and completes once its end drops the count to 0', async () => {
    const { main, layout } = vm();
    const slot = USER_STEAL_TIME;
    const gfn = layout.slotBase[slot]!;
    const gen0 = memslotsGeneration(main.ms);
    const copy0 = activeCopy(main.ms);
    const stats = newMemslotSwapStats();
    mmEventBegin(main, MM_MIGRATE, gfn);
    let done = false;
    const swap = kvmSwapActiveMemslots(main, slot, { ...readCurrentSlot(main.ms, slot), flags: readCurrentSlot(main.ms, slot).flags ^ SLOT_LOG_DIRTY }, {
      shouldGiveUp: () => false,
      afterDrain: null,
      stats,
    }).then(() => {
      done = true;
    });
    await tick(50);
    // Still waiting: nothing published, the updater registered as the rcuwait's waiter.
    expect(done).toBe(false);
    expect(activeCopy(main.ms)).toBe(copy0);
    expect(memslotsGeneration(main.ms)).toBe(gen0);
    expect(Atomics.load(main.vm, VM_MN_UPDATER_WAITING)).toBe(1);
    mmEventFinish(main, MM_MIGRATE, gfn);
    const bounded = await Promise.race([swap.then(() => 'done'), tick(10_000).then(() => 'timeout')]);
    expect(bounded).toBe('done');
    expect(activeCopy(main.ms)).toBe(copy0 ^ 1);
    expect(memslotsGeneration(main.ms)).toBe(gen0 + 1);
    expect(Atomics.load(main.vm, VM_MN_UPDATER_WAITING)).toBe(0);
    expect(stats).toMatchObject({ swaps: 1, countWaits: 1 });
    expect(stats.countWaitMs).toBeGreaterThanOrEqual(40);
  });

  it('with no invalidation in flight it does not wait; readers see G|IN_PROGRESS from the publish through the drain, then G+1', async () => {
    const { main, layout } = vm();
    const slot = USER_STEAL_TIME;
    const gen0 = memslotsGeneration(main.ms);
    const stats = newMemslotSwapStats();
    let seenAtDrain = -1;
    await kvmSwapActiveMemslots(main, slot, readCurrentSlot(main.ms, slot), {
      shouldGiveUp: () => false,
      afterDrain: () => {
        seenAtDrain = memslotsGeneration(main.ms);
      },
      stats,
    });
    expect(stats).toMatchObject({ swaps: 1, countWaits: 0 });
    expect(seenAtDrain).toBe(gen0 | GEN_UPDATE_IN_PROGRESS);
    const events = decodeRings(main.fr.mem, CACHE_LINE_INTS, main.fr.depth, main.fr.threads, main.fr.depth).filter(
      (e) => e.step === STEP_MEMSLOT_PUBLISH || e.step === STEP_MEMSLOT_DRAINED || e.step === STEP_MEMSLOT_GENERATION || e.step === STEP_MEMSLOT_COUNT_WAIT,
    );
    expect(events.map((e) => [e.step, e.gpa >> main.pageShift])).toEqual([
      [STEP_MEMSLOT_PUBLISH, layout.slotBase[slot]],
      [STEP_MEMSLOT_DRAINED, layout.slotBase[slot]],
      [STEP_MEMSLOT_GENERATION, layout.slotBase[slot]],
    ]);
    expect(events[2]!.arg).toBe(gen0 + 1);
    expect(memslotsGeneration(main.ms)).toBe(gen0 + 1);
  });
});

describe('kvm_swap_active_memslots starved by in-flight invalidations (liveness)', () => {
  it('an invalidation held in flight past the bound: the updater reports updater-starved once, with its wait and the count, and still publishes once the count drops', async () => {
    const { main, layout } = vm();
    const slot = USER_STEAL_TIME;
    const gfn = layout.slotBase[slot]!;
    const stats = newMemslotSwapStats();
    mmEventBegin(main, MM_MIGRATE, gfn);
    let done = false;
    const value = { ...readCurrentSlot(main.ms, slot), flags: readCurrentSlot(main.ms, slot).flags ^ SLOT_LOG_DIRTY };
    const swap = kvmSwapActiveMemslots(main, slot, value, { shouldGiveUp: () => false, afterDrain: null, stats, starvedAfterMs: 100 }).then(() => {
      done = true;
    });
    // Bounded: wait until the finding is there (the bound is 100 ms; allow a busy machine 10 s).
    for (let i = 0; i < 200 && readFindingRecords(main.findings).length === 0; i++) await tick(50);
    expect(done).toBe(false);
    const records = readFindingRecords(main.findings);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ property: PROP_LIVELOCK, c: LIVELOCK_UPDATER_STARVED, a: 1, gpa: gfn << main.pageShift });
    expect(records[0]!.b).toBeGreaterThanOrEqual(100);
    await tick(150); // still waiting: reported once per wait, not once per slice
    expect(readFindingRecords(main.findings)).toHaveLength(1);
    mmEventFinish(main, MM_MIGRATE, gfn);
    expect(await Promise.race([swap.then(() => 'done'), tick(10_000).then(() => 'timeout')])).toBe('done');
    expect(stats).toMatchObject({ swaps: 1, countWaits: 1, starved: 1 });
  });

  it('a wait shorter than the bound (the default 2 s) is no finding', async () => {
    const { main, layout } = vm();
    const slot = USER_STEAL_TIME;
    const gfn = layout.slotBase[slot]!;
    const stats = newMemslotSwapStats();
    mmEventBegin(main, MM_MIGRATE, gfn);
    const swap = kvmSwapActiveMemslots(main, slot, readCurrentSlot(main.ms, slot), { shouldGiveUp: () => false, afterDrain: null, stats });
    await tick(100);
    mmEventFinish(main, MM_MIGRATE, gfn);
    expect(await Promise.race([swap.then(() => 'done'), tick(10_000).then(() => 'timeout')])).toBe('done');
    expect(stats).toMatchObject({ countWaits: 1, starved: 0 });
    expect(stats.countWaitMs).toBeGreaterThanOrEqual(80);
    expect(readFindingRecords(main.findings)).toEqual([]);
  });

  it('threads: a leaked count (invalidate-end-leaks-count) starves the updater, caught as livelock "updater-starved"; the default workload never is', async () => {
    const leaked = await shortStress({ bug: 'invalidate-end-leaks-count', workload: 'steal', updaterTimeout: 0.3, livelockTimeout: 100, stallTimeout: 1, duration: 2, memslotRate: 200 });
    const starved = leaked.findings.find((f) => f.property === 'livelock' && f.details.check === 'updater-starved');
    expect(starved, firing(leaked)).toBeDefined();
    expect(Number(starved!.details.waitedMs)).toBeGreaterThanOrEqual(300);
    expect(leaked.totals.memslotCountWaitsStarved).toBeGreaterThan(0);
    const clean = await shortStress({ duration: 3, memslotRate: 50 });
    expect(findingsOf(clean, 'livelock'), firing(clean)).toBe(0);
    expect(clean.totals.memslotSwaps).toBeGreaterThan(10);
    expect(clean.totals.memslotCountWaitsStarved).toBe(0);
  }, 60_000);
});

