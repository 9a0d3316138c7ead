/**
 * kvm_set_memslot as the control plane runs it (DESIGN 5.6), on the main thread under slots_lock.
 * Mainline's protocol step `memslotUpdate` (src/kvm/protocols/); src/stress/control-plane.ts
 * decides what to update. Each publish is a full kvm_swap_active_memslots (src/kvm/swap-memslots.ts):
 * the wait for in-flight invalidations, the publish, synchronize_srcu, the kicks, the generation.
 */
import type { SlotValue } from '../mem/memslot-update.js';
import type { ModelContext } from './model-context.js';
import type { MemslotUpdateHooks } from './protocols/protocol-variant.js';
import { kvmSwapActiveMemslots } from './swap-memslots.js';

export async function kvmSetMemslot(main: ModelContext, slot: number, value: SlotValue, hooks: MemslotUpdateHooks): Promise<void> {
  await kvmSwapActiveMemslots(main, slot, value, hooks);
}
