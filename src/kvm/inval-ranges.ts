/**
 * Which invalidations are in flight, and which ended since a refresher's seq snapshot: what the
 * range-aware retry (`--retry range`, Sean Christopherson's counter-proposal to dwmw2's livelock
 * series, history B20) needs to retry only for invalidations that overlap the cache's page.
 * Upstream keeps only the count and the seq, so any invalidation anywhere makes a refresh retry.
 *
 * Ranges are of two kinds: a guest-RAM file page range (a migrate/zap/protect of file page gfn,
 * which hits every host virtual alias of it) or a host virtual page range (the munmap of a retired
 * window). A refresh of gfn through vpage overlaps an entry if its gfn or its vpage is inside.
 *
 *   in-flight slot i (VM_RANGE_SLOTS):  KIND (0 free, -1 being written, or RANGE_FILE/RANGE_VPAGE) | LO | HI | -
 *     Guard: lock-free claim (compareExchange 0 -> -1), fields, then Atomics.store KIND |
 *     Writers: the notifier (invalidate_range_start claims, _end frees) | Readers: refreshers' retry predicate.
 *   ended ring entry s & (VM_ENDED_RING - 1):  SEQ | KIND | LO | HI
 *     Guard: seqlock-like: SEQ = s + 1 (not valid for this index), fields, SEQ = s; readers re-read SEQ |
 *     Writers: the notifier at invalidate_range_end, after its seq++ and before it frees its in-flight slot |
 *     Readers: refreshers' retry predicate.
 *   VM_RANGE_OVERFLOW (line 2): invalidations in flight that found no free slot (readers then always retry).
 *
 * Ordering (every access is a sequentially consistent Atomics op): the notifier claims its slot
 * before the gpc hook runs; at the end it bumps seq, writes the ring entry, then frees the slot. A
 * refresher reads the slots, then the seq, then the ring entries after its snapshot: an overlapping
 * invalidation is either still in a slot, or its ring entry (seq > snapshot) is readable, or it
 * began after the install (and its hook clears valid). A torn or overwritten entry means "retry".
 */
import {
  VM_ENDED_RING,
  VM_MMU_SEQ,
  VM_RANGE_INTS,
  VM_RANGE_OVERFLOW,
  VM_RANGE_SLOTS,
  VM_RANGES_BASE,
} from './vm-layout.js';

export const RANGE_FILE = 1;
export const RANGE_VPAGE = 2;
const RANGE_WRITING = -1;

const R_KIND = 0;
const R_LO = 1;
const R_HI = 2;
const E_SEQ = 0;
const E_KIND = 1;
const E_LO = 2;
const E_HI = 3;
const ENDED_BASE = VM_RANGES_BASE + VM_RANGE_SLOTS * VM_RANGE_INTS;

function slotAt(i: number): number {
  return VM_RANGES_BASE + i * VM_RANGE_INTS;
}

/** invalidate_range_start: records [lo, hi) of `kind` as in flight. Returns the slot, or -1 (overflow). */
export function rangeBegin(vm: Int32Array, kind: number, lo: number, hi: number): number {
  for (let i = 0; i < VM_RANGE_SLOTS; i++) {
    const at = slotAt(i);
    if (Atomics.compareExchange(vm, at + R_KIND, 0, RANGE_WRITING) !== 0) continue;
    Atomics.store(vm, at + R_LO, lo);
    Atomics.store(vm, at + R_HI, hi);
    Atomics.store(vm, at + R_KIND, kind);
    return i;
  }
  Atomics.add(vm, VM_RANGE_OVERFLOW, 1);
  return -1;
}

/**
 * invalidate_range_end, after seq++ returned `seq` (the new value): logs the range as ended at
 * `seq`, then frees the in-flight slot that holds it (or the overflow count).
 */
export function rangeEnd(vm: Int32Array, kind: number, lo: number, hi: number, seq: number): void {
  const at = ENDED_BASE + (seq & (VM_ENDED_RING - 1)) * VM_RANGE_INTS;
  Atomics.store(vm, at + E_SEQ, (seq + 1) | 0);
  Atomics.store(vm, at + E_KIND, kind);
  Atomics.store(vm, at + E_LO, lo);
  Atomics.store(vm, at + E_HI, hi);
  Atomics.store(vm, at + E_SEQ, seq);
  rangeRelease(vm, kind, lo, hi);
}

/**
 * invalidate_range_end of an invalidation that overlapped no memslot (no seq++, so nothing to
 * log): frees the in-flight slot that holds [lo, hi) of `kind` (or the overflow count).
 */
export function rangeRelease(vm: Int32Array, kind: number, lo: number, hi: number): void {
  for (let i = 0; i < VM_RANGE_SLOTS; i++) {
    const s = slotAt(i);
    if (Atomics.load(vm, s + R_KIND) === kind && Atomics.load(vm, s + R_LO) === lo && Atomics.load(vm, s + R_HI) === hi) {
      Atomics.store(vm, s + R_KIND, 0);
      return;
    }
  }
  Atomics.sub(vm, VM_RANGE_OVERFLOW, 1);
}

function hits(kind: number, lo: number, hi: number, gfn: number, vpage: number): boolean {
  const key = kind === RANGE_FILE ? gfn : vpage;
  return key >= lo && key < hi;
}

/**
 * The range-aware retry predicate: an invalidation overlapping file page `gfn` or host virtual
 * page `vpage` is in flight, or one ended after `seqSnapshot` (or the log cannot tell).
 */
export function overlappingInvalidationSince(vm: Int32Array, seqSnapshot: number, gfn: number, vpage: number): boolean {
  if (Atomics.load(vm, VM_RANGE_OVERFLOW) !== 0) return true;
  for (let i = 0; i < VM_RANGE_SLOTS; i++) {
    const at = slotAt(i);
    const kind = Atomics.load(vm, at + R_KIND);
    if (kind === 0) continue;
    if (kind === RANGE_WRITING) return true;
    if (hits(kind, Atomics.load(vm, at + R_LO), Atomics.load(vm, at + R_HI), gfn, vpage)) return true;
  }
  const moved = (Atomics.load(vm, VM_MMU_SEQ) - seqSnapshot) | 0;
  if (moved === 0) return false;
  if (moved < 0 || moved > VM_ENDED_RING) return true;
  for (let k = 1; k <= moved; k++) {
    const seq = (seqSnapshot + k) | 0;
    const at = ENDED_BASE + (seq & (VM_ENDED_RING - 1)) * VM_RANGE_INTS;
    if (Atomics.load(vm, at + E_SEQ) !== seq) return true;
    const kind = Atomics.load(vm, at + E_KIND);
    const lo = Atomics.load(vm, at + E_LO);
    const hi = Atomics.load(vm, at + E_HI);
    if (Atomics.load(vm, at + E_SEQ) !== seq) return true;
    if (hits(kind, lo, hi, gfn, vpage)) return true;
  }
  return false;
}
