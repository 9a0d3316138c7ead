/**
 * The memslot updater's side of the memslots buffer (the control plane, main thread, serialized by
 * slots_lock): write the next set into the inactive copy (kvm_replace_memslot on the inactive
 * set, generation = old | IN_PROGRESS), publish it (rcu_assign_pointer), wait for the readers of
 * the old copy to leave (synchronize_srcu, with Atomics.waitAsync so the main thread's event loop
 * keeps running), and store the final generation. The order around them (the wait for in-flight
 * invalidations, the kicks) is kvm_swap_active_memslots, src/kvm/swap-memslots.ts.
 */
import { CACHE_LINE_INTS } from './shared-buffer.js';
import {
  MS_DRAIN_SEQ,
  MS_DRAIN_WAITING,
  GEN_UPDATE_IN_PROGRESS,
  MS_ACTIVE_COPY,
  MS_GENERATION,
  MS_UPDATES,
  SLOT_BASE_GFN,
  SLOT_FLAGS,
  SLOT_INTS,
  SLOT_NPAGES,
  SLOT_UHVA_VPAGE,
  copyBase,
  srcuReaders,
  type Memslots,
} from './memslots.js';

import { mainWaitWord } from '../sched/main-participant.js';

/** One slot's fields. */
export interface SlotValue {
  readonly baseGfn: number;
  readonly npages: number;
  readonly uhvaVpage: number;
  readonly flags: number;
}

/** Reads slot s of the active copy (updater only: no update can run concurrently). */
export function readCurrentSlot(ms: Memslots, s: number): SlotValue {
  const at = copyBase(ms, Atomics.load(ms.mem, MS_ACTIVE_COPY)) + CACHE_LINE_INTS + s * SLOT_INTS;
  return {
    baseGfn: ms.mem[at + SLOT_BASE_GFN]!,
    npages: ms.mem[at + SLOT_NPAGES]!,
    uhvaVpage: ms.mem[at + SLOT_UHVA_VPAGE]!,
    flags: ms.mem[at + SLOT_FLAGS]!,
  };
}

/**
 * kvm_swap_active_memslots step 1 with the kvm_replace_memslot before it: writes the inactive copy
 * as the active one with slot s replaced by `value`, its generation `generation | IN_PROGRESS`
 * (`generation`: the active set's, which must not be in progress). Plain stores: no reader is in
 * the inactive copy (the previous update drained it). Returns the inactive copy's index.
 */
export function prepareInactiveCopy(ms: Memslots, s: number, value: SlotValue, generation: number): number {
  const mem = ms.mem;
  const active = Atomics.load(mem, MS_ACTIVE_COPY);
  const inactive = active ^ 1;
  const from = copyBase(ms, active);
  const to = copyBase(ms, inactive);
  for (let i = 0; i < ms.copyInts; i++) mem[to + i] = mem[from + i]!;
  mem[to] = generation | GEN_UPDATE_IN_PROGRESS;
  const at = to + CACHE_LINE_INTS + s * SLOT_INTS;
  mem[at + SLOT_BASE_GFN] = value.baseGfn;
  mem[at + SLOT_NPAGES] = value.npages;
  mem[at + SLOT_UHVA_VPAGE] = value.uhvaVpage;
  mem[at + SLOT_FLAGS] = value.flags;
  return inactive;
}

/**
 * rcu_assign_pointer(kvm->memslots[as_id], slots): the copy index first, then its (in-progress)
 * generation, each an Atomics.store (every plain store into the copy happens-before a reader's
 * load of either). Returns the old active copy (the one synchronize_srcu must drain).
 */
export function publishCopy(ms: Memslots, copy: number): number {
  const mem = ms.mem;
  const old = Atomics.load(mem, MS_ACTIVE_COPY);
  Atomics.store(mem, MS_ACTIVE_COPY, copy);
  Atomics.store(mem, MS_GENERATION, mem[copyBase(ms, copy)]!);
  Atomics.add(mem, MS_UPDATES, 1);
  return old;
}

/** `slots->generation = gen` on the active set (kvm_swap_active_memslots' last step): a plain store upstream, an Atomics.store here. */
export function storeActiveGeneration(ms: Memslots, generation: number): void {
  const mem = ms.mem;
  mem[copyBase(ms, Atomics.load(mem, MS_ACTIVE_COPY))] = generation;
  Atomics.store(mem, MS_GENERATION, generation);
}

/**
 * One publish with no invalidation, SRCU reader or vCPU around (tests, tools): slot s = value,
 * then the final generation. Returns the old active copy.
 */
export function publishSlotUpdate(ms: Memslots, s: number, value: SlotValue): number {
  const generation = Atomics.load(ms.mem, MS_GENERATION);
  const old = publishCopy(ms, prepareInactiveCopy(ms, s, value, generation));
  storeActiveGeneration(ms, ((generation & (GEN_UPDATE_IN_PROGRESS - 1)) + 1) & (GEN_UPDATE_IN_PROGRESS - 1));
  return old;
}

/** Sets slot s in the active copy before any reader exists (VM creation only). */
export function initialSlot(ms: Memslots, s: number, value: SlotValue): void {
  const at = copyBase(ms, Atomics.load(ms.mem, MS_ACTIVE_COPY)) + CACHE_LINE_INTS + s * SLOT_INTS;
  ms.mem[at + SLOT_BASE_GFN] = value.baseGfn;
  ms.mem[at + SLOT_NPAGES] = value.npages;
  ms.mem[at + SLOT_UHVA_VPAGE] = value.uhvaVpage;
  ms.mem[at + SLOT_FLAGS] = value.flags;
}

/**
 * synchronize_srcu for copy `oldCopy` (publishCopy's return): resolves when no reader is registered in it.
 * Waits with Atomics.waitAsync on DRAIN_SEQ (readers leaving notify it), in slices of sliceMs so a
 * missed notify costs one slice, and gives up (false) when shouldGiveUp() says the run is over.
 */
export async function synchronizeSrcu(
  ms: Memslots,
  oldCopy: number,
  sliceMs: number,
  shouldGiveUp: () => boolean,
): Promise<boolean> {
  const mem = ms.mem;
  Atomics.store(mem, MS_DRAIN_WAITING, 1);
  try {
    for (;;) {
      const seq = Atomics.load(mem, MS_DRAIN_SEQ);
      if (srcuReaders(ms, oldCopy) === 0) return true;
      if (shouldGiveUp()) return false;
      await mainWaitWord(mem, MS_DRAIN_SEQ, seq, sliceMs);
    }
  } finally {
    Atomics.store(mem, MS_DRAIN_WAITING, 0);
  }
}

/** enum kvm_mr_change: what kvm_set_memory_region derived from the old slot and the new one (docs/UPSTREAM-SPEC.md 3.1). */
export const KVM_MR_CREATE = 0;
export const KVM_MR_DELETE = 1;
export const KVM_MR_MOVE = 2;
export const KVM_MR_FLAGS_ONLY = 3;
/**
 * Not an upstream change: re-pointing an existing slot's userspace_addr (kvm_set_memory_region
 * returns -EINVAL for it). The model's old "move", kept only as a named illegal operation
 * (`--memslot-ops repoint-hva`), outside the default.
 */
export const MR_ILLEGAL_REPOINT_HVA = 4;
export const MR_CHANGE_NAMES = ['create', 'delete', 'move', 'flags-only', 'repoint-hva(illegal)'] as const;

/** One KVM_SET_USER_MEMORY_REGION as kvm_set_memslot receives it: slot `slot` becomes `value` (DELETE: `value` is the old slot). */
export interface MemslotOp {
  readonly change: number;
  readonly slot: number;
  readonly value: SlotValue;
}
