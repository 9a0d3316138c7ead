/**
 * kvm_set_memslot as the control plane runs it (DESIGN 5.6), on the main thread under slots_lock:
 * publish the next generation's copy with one slot changed, wait for the old copy's SRCU readers
 * (synchronize_srcu, Atomics.waitAsync: the main thread never blocks), then
 * kvm_arch_memslots_updated: kick every vCPU, without waiting. Mainline's protocol step
 * `memslotUpdate` (src/kvm/protocols/); src/stress/control-plane.ts decides what to update.
 */
import { publishSlotUpdate, synchronizeSrcu, type SlotValue } from '../mem/memslot-update.js';
import { STEP_MEMSLOT_DRAINED, STEP_MEMSLOT_PUBLISH } from '../trace/trace-steps.js';
import { traceStep, type ModelContext } from './model-context.js';
import type { MemslotUpdateHooks } from './protocols/protocol-variant.js';
import { ST_KICKS_SENT, ST_MEMSLOT_UPDATES } from './thread-stats.js';
import { kickVcpu } from './vcpu-kick.js';

/** Slice of the SRCU wait (a missed notify costs one slice). */
const SRCU_SLICE_MS = 5;

export async function kvmSetMemslot(main: ModelContext, slot: number, value: SlotValue, hooks: MemslotUpdateHooks): Promise<void> {
  const oldGeneration = publishSlotUpdate(main.ms, slot, value);
  // The trace's gpa is the slot's first gfn (printed "gfn N"): the memslot steps then read as
  // which guest range changed, and sit in the interleaving of a finding on that gfn.
  const slotGpa = value.baseGfn << main.pageShift;
  traceStep(main, STEP_MEMSLOT_PUBLISH, -1, slotGpa, -1, slot);
  main.counters[ST_MEMSLOT_UPDATES]! += 1;
  await synchronizeSrcu(main.ms, oldGeneration, SRCU_SLICE_MS, hooks.shouldGiveUp);
  if (hooks.afterDrain) {
    traceStep(main, STEP_MEMSLOT_DRAINED, -1, slotGpa, -1, slot);
    hooks.afterDrain();
  }
  kvmArchMemslotsUpdated(main);
}

/** kvm_arch_memslots_updated: kick every vCPU, without waiting. */
function kvmArchMemslotsUpdated(main: ModelContext): void {
  for (let v = 0; v < main.nvcpus; v++) if (kickVcpu(main.vcpus, v)) main.counters[ST_KICKS_SENT]! += 1;
}
