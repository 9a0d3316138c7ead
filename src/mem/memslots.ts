/**
 * Memslots: the guest-physical -> host-virtual map, with a generation, published SRCU style.
 *
 *   line 0        GENERATION | UPDATES | MAX_SLOTS | THREADS | DRAIN_WAITING | DRAIN_SEQ | ACTIVE_COPY
 *   copy 0        line: COPY_GENERATION ; then MAX_SLOTS x [BASE_GFN NPAGES UHVA_VPAGE FLAGS]
 *   copy 1        (same)
 *   SRCU          thread t, one line each: [READERS_IN_COPY_0, READERS_IN_COPY_1]
 *
 * ACTIVE_COPY: which copy is kvm->memslots[0] (rcu_assign_pointer). GENERATION: the active set's
 * generation (kvm_memslots(kvm)->generation), kept separate from the copy index: a publish stores
 * the new copy's index, then its generation (with GEN_UPDATE_IN_PROGRESS set); the final generation
 * (+nr_as) is stored later, after the SRCU drain (kvm_swap_active_memslots). A reader loads
 * GENERATION before it reads the copy, so it never pairs an in-progress or newer generation with
 * the old copy (at worst an old generation with the new copy: a needless refresh). Guard: lock-free,
 * Atomics.store after the copy is fully written (pairs with the Atomics.load in every lookup and in
 * srcuReadLock) | Writers: the control plane (main thread, under slots_lock) | Readers:
 * kvm_gpc_check, refresh, the vCPU generation strategy, oracles.
 *
 * Copies: Guard: SRCU. The updater writes only the inactive copy, and only after every reader that
 * could be in it has left (it waited for them after the previous publish), so readers read copies
 * with plain loads and never see a half-written one | Writers: control plane | Readers: any thread
 * inside srcuReadLock/srcuReadUnlock (who may read the active copy at any point of its section).
 *
 * SRCU counters: Guard: lock-free; thread t is the only writer of its line (Atomics.add/sub) |
 * Readers: the updater, summing a copy's counters until they reach 0 (synchronize_srcu).
 */
import { CACHE_LINE_INTS, allocateSharedInts } from './shared-buffer.js';

export const MS_GENERATION = 0;
/** Completed updates (only goes up). Guard: control plane only | Readers: reports. */
export const MS_UPDATES = 1;
const MS_MAX_SLOTS = 2;
const MS_THREADS = 3;
/**
 * 1 while the updater waits for a copy's readers to drain. Guard: lock-free | Writers: updater |
 * Readers: srcuReadUnlock (pairs with the updater's "set, then sum the counters": either the
 * updater sees our decrement, or we see it waiting and wake it).
 */
export const MS_DRAIN_WAITING = 4;
/** Bumped (and notified) by a reader leaving while the updater waits. Guard: lock-free | Readers: updater (Atomics.waitAsync). */
export const MS_DRAIN_SEQ = 5;
/** The active copy (0 or 1). Guard/Writers/Readers: as MS_GENERATION (stored before it at a publish). */
export const MS_ACTIVE_COPY = 6;

/**
 * KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS (BIT_ULL(63) upstream; bit 30 here, generations are int32):
 * set in the generation readers see from a publish until the final store. Generation counts live
 * below it and wrap there.
 */
export const GEN_UPDATE_IN_PROGRESS = 1 << 30;
/** kvm_arch_nr_memslot_as_ids: one address space (no SMM), so each update adds 1. */
export const NR_MEMSLOT_AS_IDS = 1;

export const SLOT_INTS = 4;
export const SLOT_BASE_GFN = 0;
export const SLOT_NPAGES = 1;
export const SLOT_UHVA_VPAGE = 2;
export const SLOT_FLAGS = 3;
/** SLOT_FLAGS bit: the slot exists. */
export const SLOT_PRESENT = 1;
/** SLOT_FLAGS bit: KVM_MEMSLOT_INVALID (the first half of a DELETE or MOVE): still in the hva tree, no gfn -> hva translation. */
export const SLOT_INVALID = 2;
/** SLOT_FLAGS bit: KVM_MEM_LOG_DIRTY_PAGES (toggled by a FLAGS_ONLY update). */
export const SLOT_LOG_DIRTY = 4;
/**
 * SLOT_FLAGS bit: KVM_MEM_GUEST_MEMFD, the slot's memory is bound to a guest_memfd (only the
 * itazuri-gmem-rfc2 protocol creates such slots: ProtocolVariant.gmemBacked). Such a slot is
 * immutable (MOVE and FLAGS_ONLY are -EINVAL); it can only be deleted (and created again).
 */
export const SLOT_GMEM = 8;

export interface Memslots {
  readonly mem: Int32Array;
  readonly maxSlots: number;
  readonly threads: number;
  readonly copyInts: number;
  readonly copyBase0: number;
  readonly srcuBase: number;
}

function layoutOf(mem: Int32Array, maxSlots: number, threads: number): Memslots {
  const copyInts = CACHE_LINE_INTS + Math.ceil((maxSlots * SLOT_INTS) / CACHE_LINE_INTS) * CACHE_LINE_INTS;
  return {
    mem,
    maxSlots,
    threads,
    copyInts,
    copyBase0: CACHE_LINE_INTS,
    srcuBase: CACHE_LINE_INTS + 2 * copyInts,
  };
}

/** A buffer with no slot present, generation 0. Cold path. */
export function createMemslotsBuffer(maxSlots: number, threads: number): SharedArrayBuffer {
  const probe = layoutOf(new Int32Array(0), maxSlots, threads);
  const buffer = allocateSharedInts(probe.srcuBase + threads * CACHE_LINE_INTS);
  const mem = new Int32Array(buffer);
  mem[MS_MAX_SLOTS] = maxSlots;
  mem[MS_THREADS] = threads;
  return buffer;
}

export function memslotsView(buffer: SharedArrayBuffer): Memslots {
  const mem = new Int32Array(buffer);
  return layoutOf(mem, mem[MS_MAX_SLOTS]!, mem[MS_THREADS]!);
}

/** First slot of copy `copy` (0 or 1). */
export function copyBase(ms: Memslots, copy: number): number {
  return ms.copyBase0 + copy * ms.copyInts;
}

/** The active copy's index (kvm->memslots[0]). One Atomics.load. */
export function activeCopy(ms: Memslots): number {
  return Atomics.load(ms.mem, MS_ACTIVE_COPY);
}

/** kvm_memslots(kvm)->generation. One Atomics.load. */
export function memslotsGeneration(ms: Memslots): number {
  return Atomics.load(ms.mem, MS_GENERATION);
}

/**
 * Is generation `a` older than `b`? Generations go G, G|IN_PROGRESS, G+nr_as, ...: the order key
 * puts the in-progress value between G and G+nr_as (wrapping compare, like seq numbers).
 */
export function generationOlder(a: number, b: number): boolean {
  const ka = ((a & (GEN_UPDATE_IN_PROGRESS - 1)) << 1) | ((a & GEN_UPDATE_IN_PROGRESS) !== 0 ? 1 : 0);
  const kb = ((b & (GEN_UPDATE_IN_PROGRESS - 1)) << 1) | ((b & GEN_UPDATE_IN_PROGRESS) !== 0 ? 1 : 0);
  return (((ka - kb) << 1) >> 1) < 0;
}

/**
 * srcu_read_lock: registers thread t in the active copy; returns that copy's index (srcu's idx).
 * The re-check pairs with the updater's publish-then-sum: either the updater's sum sees our count,
 * or we see its publish and retry in the new copy.
 */
export function srcuReadLock(ms: Memslots, thread: number): number {
  const line = ms.srcuBase + thread * CACHE_LINE_INTS;
  for (;;) {
    const copy = Atomics.load(ms.mem, MS_ACTIVE_COPY);
    Atomics.add(ms.mem, line + copy, 1);
    if (Atomics.load(ms.mem, MS_ACTIVE_COPY) === copy) return copy;
    Atomics.sub(ms.mem, line + copy, 1);
  }
}

/** srcu_read_unlock for the index srcuReadLock returned. */
export function srcuReadUnlock(ms: Memslots, thread: number, idx: number): void {
  const left = Atomics.sub(ms.mem, ms.srcuBase + thread * CACHE_LINE_INTS + idx, 1) - 1;
  if (left === 0 && Atomics.load(ms.mem, MS_DRAIN_WAITING) !== 0) {
    Atomics.add(ms.mem, MS_DRAIN_SEQ, 1);
    Atomics.notify(ms.mem, MS_DRAIN_SEQ);
  }
}

/** Readers registered in copy `copy`, summed over threads (the updater's drain test). */
export function srcuReaders(ms: Memslots, copy: number): number {
  let sum = 0;
  for (let t = 0; t < ms.threads; t++) sum += Atomics.load(ms.mem, ms.srcuBase + t * CACHE_LINE_INTS + copy);
  return sum;
}

/**
 * __gfn_to_memslot + gfn_to_hva_memslot on the active copy: gfn -> host virtual page; -1
 * (KVM_HVA_ERR_BAD) if no present slot covers gfn or the slot is INVALID. The caller is inside an
 * SRCU read section and loaded `_generationSnapshot` (memslotsGeneration) before this call: the copy
 * read is at least as new as that generation. Plain loads (SRCU-protected copy).
 */
export function gfnToVpage(ms: Memslots, _generationSnapshot: number, gfn: number): number {
  const mem = ms.mem;
  let at = copyBase(ms, Atomics.load(mem, MS_ACTIVE_COPY)) + CACHE_LINE_INTS;
  for (let s = 0; s < ms.maxSlots; s++, at += SLOT_INTS) {
    const flags = mem[at + SLOT_FLAGS]!;
    if ((flags & SLOT_PRESENT) === 0) continue;
    const base = mem[at + SLOT_BASE_GFN]!;
    if (gfn >= base && gfn < base + mem[at + SLOT_NPAGES]!) return (flags & SLOT_INVALID) !== 0 ? -1 : mem[at + SLOT_UHVA_VPAGE]! + (gfn - base);
  }
  return -1;
}

/**
 * Does host virtual page range [lo, hi) intersect the hva range of a slot of the active copy?
 * kvm_handle_hva_range's hva_tree walk: every present slot counts, an INVALID one (the first half
 * of a DELETE or MOVE) included. The caller is inside an SRCU read section. Plain loads.
 */
export function hvaRangeHitsMemslot(ms: Memslots, lo: number, hi: number): boolean {
  const mem = ms.mem;
  let at = copyBase(ms, Atomics.load(mem, MS_ACTIVE_COPY)) + CACHE_LINE_INTS;
  for (let s = 0; s < ms.maxSlots; s++, at += SLOT_INTS) {
    if ((mem[at + SLOT_FLAGS]! & SLOT_PRESENT) === 0) continue;
    const first = mem[at + SLOT_UHVA_VPAGE]!;
    if (lo < first + mem[at + SLOT_NPAGES]! && first < hi) return true;
  }
  return false;
}
