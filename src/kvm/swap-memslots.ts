/**
 * kvm_swap_active_memslots (virt/kvm/kvm_main.c, 6.17), on the main thread under slots_lock:
 * every memslot publish goes through here (docs/UPSTREAM-SPEC.md 3.2).
 *
 *   1. the inactive set gets the change and generation `gen | IN_PROGRESS` (prepareInactiveCopy)
 *   2. under mn_invalidate_lock, wait until mn_active_invalidate_count == 0 (prepare_to_rcuwait;
 *      the notifier's count 1 -> 0 wakes us); the main thread never blocks: the lock is only
 *      try-locked and every wait is an Atomics.waitAsync (under a controlled schedule, a hand-over
 *      of the turn: src/sched/main-participant.ts). The wait has no bound upstream; one
 *      longer than `starvedAfterMs` is reported (livelock, "updater-starved")
 *   3. rcu_assign_pointer, still under the lock (publishCopy), then unlock: an invalidation's start
 *      and end see the same memslots
 *   4. synchronize_srcu_expedited (synchronizeSrcu): the old copy's readers leave
 *   5. gen = (gen & ~IN_PROGRESS) + nr_as
 *   6. kvm_arch_memslots_updated: kick every vCPU, with no request (x86: the steal_time cache)
 *   7. slots->generation = gen (storeActiveGeneration), after the kicks (docs/UPSTREAM-SPEC.md S2)
 */
import { LockSlot } from '../sync/lock-block.js';
import { SPINLOCK_WAITER_VALUE, spinTryLock, spinTryLockAsWaiter, spinUnlock } from '../sync/spinlock.js';
import { GEN_UPDATE_IN_PROGRESS, NR_MEMSLOT_AS_IDS, memslotsGeneration } from '../mem/memslots.js';
import { prepareInactiveCopy, publishCopy, storeActiveGeneration, synchronizeSrcu, type SlotValue } from '../mem/memslot-update.js';
import { STEP_MEMSLOT_COUNT_WAIT, STEP_MEMSLOT_DRAINED, STEP_MEMSLOT_GENERATION, STEP_MEMSLOT_PUBLISH } from '../trace/trace-steps.js';
import { countCheck, finding, traceStep, type ModelContext } from './model-context.js';
import { LIVELOCK_UPDATER_STARVED, PROP_LIVELOCK } from '../oracle/properties/livelock.js';
import { ST_KICKS_SENT, ST_MEMSLOT_UPDATES } from './thread-stats.js';
import { kickVcpu } from './vcpu-kick.js';
import { VM_MN_COUNT, VM_MN_INVALIDATE_LOCK, VM_MN_UPDATER_WAITING, VM_MN_UPDATER_WAKE } from './vm-layout.js';

import { mainNowMs, mainPoint, mainWaitWord } from '../sched/main-participant.js';

/** Slice of the SRCU wait (a missed notify costs one slice). */
const SRCU_SLICE_MS = 5;
/** Slice of the wait for the invalidation count, and of the wait for the lock. */
const COUNT_SLICE_MS = 5;
const LOCK_SLICE_MS = 1;

/** What the updater's waits cost (the stress report's memslot counters). Cold: main thread only. */
export interface MemslotSwapStats {
  /** Swaps (publishes) done. */
  swaps: number;
  /** Swaps that found mn_active_invalidate_count raised and waited for it. */
  countWaits: number;
  /** Total and longest time spent in those waits (ms). */
  countWaitMs: number;
  countWaitMaxMs: number;
  /** Waits that passed the starvation bound (each one a livelock finding, "updater-starved"). */
  starved: number;
}

export function newMemslotSwapStats(): MemslotSwapStats {
  return { swaps: 0, countWaits: 0, countWaitMs: 0, countWaitMaxMs: 0, starved: 0 };
}

/** Default bound on the wait for mn_active_invalidate_count == 0 before it is reported as starvation (ms). */
export const UPDATER_STARVED_AFTER_MS = 2000;

/**
 * spin_lock(&kvm->mn_invalidate_lock) for the main thread: try-lock, else wait asynchronously on
 * the lock word. After the first failure every attempt marks the word "held, may have sleepers"
 * (spinTryLockAsWaiter): a thread that sleeps in spinLock (the notifier; a refresher under
 * dwmw2-range-2024) relies on that mark for its wake-up, which a plain try-lock after being woken
 * in its place would erase.
 */
async function mnInvalidateLockAsync(vm: Int32Array): Promise<void> {
  if (spinTryLock(vm, VM_MN_INVALIDATE_LOCK)) return;
  while (!spinTryLockAsWaiter(vm, VM_MN_INVALIDATE_LOCK)) {
    await mainWaitWord(vm, VM_MN_INVALIDATE_LOCK + LockSlot.STATE, SPINLOCK_WAITER_VALUE, LOCK_SLICE_MS);
  }
}

export interface SwapHooks {
  /** The waits give up (the swap then completes without them) when this says the run is over. */
  readonly shouldGiveUp: () => boolean;
  /** Runs once the old copy's readers drained, before the vCPUs are kicked; null: nothing. */
  readonly afterDrain: (() => void) | null;
  readonly stats: MemslotSwapStats;
  /** The wait for in-flight invalidations longer than this (ms) is a livelock finding (default UPDATER_STARVED_AFTER_MS). */
  readonly starvedAfterMs?: number;
}

/** kvm_swap_active_memslots with slot `slot` of the inactive set replaced by `value` (the kvm_replace_memslot before it). */
export async function kvmSwapActiveMemslots(main: ModelContext, slot: number, value: SlotValue, hooks: SwapHooks): Promise<void> {
  const ms = main.ms;
  const vm = main.vm;
  const gen = memslotsGeneration(ms);
  // WARN_ON(gen & KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS): slots_lock serializes the swaps.
  if ((gen & GEN_UPDATE_IN_PROGRESS) !== 0) throw new Error(`memslot swap started with generation ${gen} still in progress`);
  const copy = prepareInactiveCopy(ms, slot, value, gen);
  // The trace's gpa is the slot's first gfn (printed "gfn N"): the memslot steps then read as
  // which guest range changed, and sit in the interleaving of a finding on that gfn.
  const slotGpa = value.baseGfn << main.pageShift;

  await mnInvalidateLockAsync(vm);
  Atomics.store(vm, VM_MN_UPDATER_WAITING, 1); // prepare_to_rcuwait
  let waitStart = -1;
  let starved = false;
  const starvedAfterMs = hooks.starvedAfterMs ?? UPDATER_STARVED_AFTER_MS;
  if (main.oracles) countCheck(main, PROP_LIVELOCK);
  while (Atomics.load(vm, VM_MN_COUNT) !== 0 && !hooks.shouldGiveUp()) {
    if (waitStart < 0) {
      waitStart = mainNowMs();
      traceStep(main, STEP_MEMSLOT_COUNT_WAIT, -1, slotGpa, -1, Atomics.load(vm, VM_MN_COUNT));
    } else if (!starved && mainNowMs() - waitStart > starvedAfterMs) {
      // Liveness: upstream's wait has no bound (an invalidation that starts before the count
      // reaches 0 keeps it raised), so back-to-back overlapping invalidations can starve it.
      starved = true;
      hooks.stats.starved++;
      if (main.oracles) finding(main, PROP_LIVELOCK, -1, slotGpa, -1, Atomics.load(vm, VM_MN_COUNT), Math.round(mainNowMs() - waitStart), LIVELOCK_UPDATER_STARVED);
    }
    // Read the wake word before unlocking: a 1 -> 0 after the unlock changes it, so no wake is lost.
    const wake = Atomics.load(vm, VM_MN_UPDATER_WAKE);
    spinUnlock(vm, VM_MN_INVALIDATE_LOCK);
    await mainWaitWord(vm, VM_MN_UPDATER_WAKE, wake, COUNT_SLICE_MS);
    await mnInvalidateLockAsync(vm);
  }
  Atomics.store(vm, VM_MN_UPDATER_WAITING, 0); // finish_rcuwait
  if (waitStart >= 0) {
    const waited = mainNowMs() - waitStart;
    hooks.stats.countWaits++;
    hooks.stats.countWaitMs += waited;
    hooks.stats.countWaitMaxMs = Math.max(hooks.stats.countWaitMaxMs, waited);
  }
  const oldCopy = publishCopy(ms, copy);
  spinUnlock(vm, VM_MN_INVALIDATE_LOCK);
  hooks.stats.swaps++;
  traceStep(main, STEP_MEMSLOT_PUBLISH, -1, slotGpa, -1, slot);
  main.counters[ST_MEMSLOT_UPDATES]! += 1;
  // Under a controlled schedule: a point between the publish and the SRCU drain (src/sched/).
  await mainPoint(STEP_MEMSLOT_PUBLISH);

  await synchronizeSrcu(ms, oldCopy, SRCU_SLICE_MS, hooks.shouldGiveUp);
  if (hooks.afterDrain) {
    traceStep(main, STEP_MEMSLOT_DRAINED, -1, slotGpa, -1, slot);
    hooks.afterDrain();
  }
  const final = ((gen & (GEN_UPDATE_IN_PROGRESS - 1)) + NR_MEMSLOT_AS_IDS) & (GEN_UPDATE_IN_PROGRESS - 1);
  kvmArchMemslotsUpdated(main);
  // Under a controlled schedule: a point between the kicks and the final generation (S2's window).
  await mainPoint(STEP_MEMSLOT_GENERATION);
  storeActiveGeneration(ms, final);
  traceStep(main, STEP_MEMSLOT_GENERATION, -1, slotGpa, -1, final);
}

/** kvm_arch_memslots_updated (x86): kvm_vcpu_kick every vCPU, with no request and without waiting. */
function kvmArchMemslotsUpdated(main: ModelContext): void {
  for (let v = 0; v < main.nvcpus; v++) if (kickVcpu(main.vcpus, v)) main.counters[ST_KICKS_SENT]! += 1;
}
