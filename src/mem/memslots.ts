/**
 * Memslots: the guest-physical -> host-virtual map, with a generation, published SRCU style.
 *
 *   line 0        GENERATION | UPDATES | MAX_SLOTS | THREADS | DRAIN_WAITING | DRAIN_SEQ
 *   copy 0        line: COPY_GENERATION ; then MAX_SLOTS x [BASE_GFN NPAGES UHVA_VPAGE FLAGS]
 *   copy 1        (same)
 *   SRCU          thread t, one line each: [READERS_IN_COPY_0, READERS_IN_COPY_1]
 *
 * GENERATION: the current generation; the active copy is `GENERATION & 1`. Guard: lock-free,
 * published with Atomics.store after the copy is fully written (pairs with the Atomics.load in
 * every lookup and in srcuReadLock) | Writers: the control plane (main thread, under slots_lock) |
 * Readers: kvm_gpc_check, refresh, the vCPU generation strategy, oracles.
 *
 * Copies: Guard: SRCU. The updater writes only the inactive copy, and only after every reader that
 * could be in it has left (it waited for them after the previous publish), so readers read copies
 * with plain loads and never see a half-written one | Writers: control plane | Readers: any thread
 * inside srcuReadLock/srcuReadUnlock.
 *
 * SRCU counters: Guard: lock-free; thread t is the only writer of its line (Atomics.add/sub) |
 * Readers: the updater, summing a copy's counters until they reach 0 (synchronize_srcu).
 *
 * A reader that enters at generation g can see generation g and g + 1 (it is the next publish that
 * waits for it), never a copy being rewritten.
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

export const SLOT_INTS = 4;
export const SLOT_BASE_GFN = 0;
export const SLOT_NPAGES = 1;
export const SLOT_UHVA_VPAGE = 2;
export const SLOT_FLAGS = 3;
/** SLOT_FLAGS bit: the slot exists. */
export const SLOT_PRESENT = 1;

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

/** First slot of copy (generation & 1). */
export function copyBase(ms: Memslots, generation: number): number {
  return ms.copyBase0 + (generation & 1) * ms.copyInts;
}

/** kvm_memslots(kvm)->generation. One Atomics.load. */
export function memslotsGeneration(ms: Memslots): number {
  return Atomics.load(ms.mem, MS_GENERATION);
}

/**
 * srcu_read_lock: registers thread t in the current copy; returns the generation entered. The
 * re-check pairs with the updater's publish-then-sum: either the updater's sum sees our count, or
 * we see its publish and retry in the new copy.
 */
export function srcuReadLock(ms: Memslots, thread: number): number {
  const line = ms.srcuBase + thread * CACHE_LINE_INTS;
  for (;;) {
    const generation = Atomics.load(ms.mem, MS_GENERATION);
    Atomics.add(ms.mem, line + (generation & 1), 1);
    const again = Atomics.load(ms.mem, MS_GENERATION);
    if (((again ^ generation) & 1) === 0) return again;
    Atomics.sub(ms.mem, line + (generation & 1), 1);
  }
}

/** srcu_read_unlock for the generation srcuReadLock returned. */
export function srcuReadUnlock(ms: Memslots, thread: number, generation: number): void {
  const left = Atomics.sub(ms.mem, ms.srcuBase + thread * CACHE_LINE_INTS + (generation & 1), 1) - 1;
  if (left === 0 && Atomics.load(ms.mem, MS_DRAIN_WAITING) !== 0) {
    Atomics.add(ms.mem, MS_DRAIN_SEQ, 1);
    Atomics.notify(ms.mem, MS_DRAIN_SEQ);
  }
}

/** Readers registered in copy (generation & 1), summed over threads (the updater's drain test). */
export function srcuReaders(ms: Memslots, generation: number): number {
  let sum = 0;
  for (let t = 0; t < ms.threads; t++) sum += Atomics.load(ms.mem, ms.srcuBase + t * CACHE_LINE_INTS + (generation & 1));
  return sum;
}

/**
 * gfn -> host virtual page through the copy of `generation` (the caller is inside an SRCU read
 * section that can see it); -1 if no present slot covers gfn. Plain loads (SRCU-protected copy).
 */
export function gfnToVpage(ms: Memslots, generation: number, gfn: number): number {
  const mem = ms.mem;
  let at = copyBase(ms, generation) + CACHE_LINE_INTS;
  for (let s = 0; s < ms.maxSlots; s++, at += SLOT_INTS) {
    if ((mem[at + SLOT_FLAGS]! & SLOT_PRESENT) === 0) continue;
    const base = mem[at + SLOT_BASE_GFN]!;
    if (gfn >= base && gfn < base + mem[at + SLOT_NPAGES]!) return mem[at + SLOT_UHVA_VPAGE]! + (gfn - base);
  }
  return -1;
}

/**
 * Does host virtual page range [lo, hi) intersect the hva range of a slot of the copy of
 * `generation`? kvm_handle_hva_range's hva_tree walk: every present slot counts, an INVALID one
 * (the first half of a DELETE or MOVE) included. Plain loads (SRCU-protected copy).
 */
export function hvaRangeHitsMemslot(ms: Memslots, generation: number, lo: number, hi: number): boolean {
  const mem = ms.mem;
  let at = copyBase(ms, generation) + CACHE_LINE_INTS;
  for (let s = 0; s < ms.maxSlots; s++, at += SLOT_INTS) {
    if ((mem[at + SLOT_FLAGS]! & SLOT_PRESENT) === 0) continue;
    const first = mem[at + SLOT_UHVA_VPAGE]!;
    if (lo < first + mem[at + SLOT_NPAGES]! && first < hi) return true;
  }
  return false;
}
