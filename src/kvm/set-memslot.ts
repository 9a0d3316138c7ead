/**
 * kvm_set_memory_region's checks and kvm_set_memslot's order (virt/kvm/kvm_main.c, 6.17; spec
 * 3.1, 3.3), on the main thread under slots_lock. Mainline's protocol step `memslotUpdate`
 * (src/kvm/protocols/); src/stress/control-plane.ts decides what to update. Every publish is a
 * full kvm_swap_active_memslots (src/kvm/swap-memslots.ts: the wait for in-flight invalidations,
 * the publish, synchronize_srcu, the kicks, the generation):
 *
 *   CREATE, FLAGS_ONLY  one swap (the new slot)
 *   DELETE              swap #1: the slot INVALID (kvm_invalidate_memslot), swap #2: gone
 *   MOVE                swap #1: the old slot INVALID, swap #2: the slot at its new gfns (same hva)
 *
 * A memslot update never calls the gpc hook and never touches a cache's valid: caches see it only
 * through the generation. kvm_arch_flush_shadow_memslot (zapping the old slot's sptes after swap
 * #1) has nothing to zap here: the model has no shadow page tables.
 */
import { EEXIST, EINVAL } from '../util/errno.js';
import {
  KVM_MR_CREATE,
  KVM_MR_DELETE,
  KVM_MR_FLAGS_ONLY,
  KVM_MR_MOVE,
  MR_ILLEGAL_REPOINT_HVA,
  readCurrentSlot,
  type MemslotOp,
  type SlotValue,
} from '../mem/memslot-update.js';
import { SLOT_GMEM, SLOT_INVALID, SLOT_LOG_DIRTY, SLOT_PRESENT, type Memslots } from '../mem/memslots.js';
import type { ModelContext } from './model-context.js';
import type { MemslotUpdateHooks } from './protocols/protocol-variant.js';
import { kvmSwapActiveMemslots } from './swap-memslots.js';

/** kvm_check_memslot_overlap: does [baseGfn, +npages) overlap a present slot other than `slot`? */
function gfnsOverlapAnotherSlot(ms: Memslots, slot: number, value: SlotValue): boolean {
  for (let s = 0; s < ms.maxSlots; s++) {
    if (s === slot) continue;
    const other = readCurrentSlot(ms, s);
    if ((other.flags & SLOT_PRESENT) === 0) continue;
    if (value.baseGfn < other.baseGfn + other.npages && other.baseGfn < value.baseGfn + value.npages) return true;
  }
  return false;
}

/**
 * kvm_set_memory_region's verdict on the change (0 = accepted): CREATE needs no old slot, DELETE,
 * MOVE and FLAGS_ONLY need one; an existing slot's userspace_addr and npages cannot change; MOVE
 * changes only base_gfn, FLAGS_ONLY only the dirty-logging flag; a CREATE or MOVE onto another
 * slot's gfns is -EEXIST.
 */
export function checkMemslotChange(ms: Memslots, op: MemslotOp): number {
  const old = readCurrentSlot(ms, op.slot);
  const exists = (old.flags & SLOT_PRESENT) !== 0;
  const v = op.value;
  if (op.change === KVM_MR_CREATE) {
    if (exists || (v.flags & ~(SLOT_PRESENT | SLOT_LOG_DIRTY | SLOT_GMEM)) !== 0 || (v.flags & SLOT_PRESENT) === 0) return -EINVAL;
    return gfnsOverlapAnotherSlot(ms, op.slot, v) ? -EEXIST : 0;
  }
  if (!exists || (old.flags & SLOT_INVALID) !== 0) return -EINVAL;
  if (op.change === KVM_MR_DELETE) return 0;
  // "Private memslots are immutable, they can only be deleted" (kvm_set_memory_region, 6.8+).
  if ((old.flags & SLOT_GMEM) !== 0) return -EINVAL;
  if (op.change === MR_ILLEGAL_REPOINT_HVA) return 0;
  if (v.uhvaVpage !== old.uhvaVpage || v.npages !== old.npages || (v.flags & SLOT_PRESENT) === 0) return -EINVAL;
  if (op.change === KVM_MR_MOVE) {
    if (v.baseGfn === old.baseGfn || v.flags !== old.flags) return -EINVAL;
    return gfnsOverlapAnotherSlot(ms, op.slot, v) ? -EEXIST : 0;
  }
  if (op.change === KVM_MR_FLAGS_ONLY) return v.baseGfn === old.baseGfn && ((v.flags ^ old.flags) & ~SLOT_LOG_DIRTY) === 0 && v.flags !== old.flags ? 0 : -EINVAL;
  return -EINVAL;
}

/** kvm_set_memslot: 0, or kvm_set_memory_region's -EINVAL / -EEXIST (nothing published then). */
export async function kvmSetMemslot(main: ModelContext, op: MemslotOp, hooks: MemslotUpdateHooks): Promise<number> {
  const rc = checkMemslotChange(main.ms, op);
  if (rc !== 0) return rc;
  const last = { shouldGiveUp: hooks.shouldGiveUp, afterDrain: hooks.afterDrain, stats: hooks.stats, ...(hooks.starvedAfterMs !== undefined ? { starvedAfterMs: hooks.starvedAfterMs } : {}) };
  if (op.change === KVM_MR_DELETE || op.change === KVM_MR_MOVE) {
    // kvm_invalidate_memslot: the old slot, flagged INVALID, replaces it (swap #1). It stays in the
    // hva tree (notifiers on it still bump seq) but translates no gfn (KVM_HVA_ERR_BAD).
    const old = readCurrentSlot(main.ms, op.slot);
    await kvmSwapActiveMemslots(main, op.slot, { ...old, flags: old.flags | SLOT_INVALID }, { ...last, afterDrain: null });
    // swap #2: kvm_delete_memslot (the slot gone) or kvm_move_memslot (the slot at its new gfns).
    const next = op.change === KVM_MR_DELETE ? { ...old, flags: 0 } : op.value;
    await kvmSwapActiveMemslots(main, op.slot, next, last);
    return 0;
  }
  // kvm_create_memslot, kvm_update_flags_memslot (and the illegal re-point): one swap.
  await kvmSwapActiveMemslots(main, op.slot, op.value, last);
  return 0;
}
