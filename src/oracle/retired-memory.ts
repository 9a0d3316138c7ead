/**
 * Memory the guest can no longer see: the oracles' record of which guest-RAM file pages a memslot
 * DELETE took away (the control plane writes it, main thread), and every model thread's tally of
 * writes that landed in them (the lost-write property, src/oracle/properties/lost-write.ts).
 *
 *   line 0       DELETES_DONE | FILE_PAGES | THREADS
 *   PAGE         file page f: its retirement state (below)
 *   TALLY        thread t, one block each: LW_KINDS x LW_CLASSES write counts
 *
 * A DELETE (KVM_SET_USER_MEMORY_REGION with memory_size 0) is the VMM's: from the moment it issues
 * the ioctl to the moment the ioctl returns (kvm_set_memslot's two swaps and their
 * synchronize_srcu, docs/UPSTREAM-SPEC.md 3.1/3.3) the slot's memory is being thrown away, and a
 * write into it then is the VMM's loss. Once the ioctl returned, no SRCU reader that saw the old
 * slot is left (synchronize_srcu waited for them), and the kicks of kvm_arch_memslots_updated are
 * sent: a thread whose SRCU section began after that, or a vCPU that entered guest mode after it,
 * has no translation from before the DELETE that the protocol let it keep. A write by it into the
 * old memory is data the kernel lost (a stale translation); a write after the return by a section
 * or guest-mode entry that began before it is counted apart, as in flight.
 *
 * Page state. 0: mapped or never deleted. -n: DELETE number n (the next to complete) is in
 * progress. +n: retired by DELETE n, which completed. A CREATE onto the page (the control plane's
 * delete-create re-creates a slot onto the other bank, so a bank is reused every second time)
 * sets it back to 0 before the CREATE is published.
 * Guard: lock-free; Atomics.store by the control plane (main thread, under slots_lock), Atomics.load
 * by the writers' checks. At a completion every page of the DELETE is stored +n before DELETES_DONE
 * becomes n, so a thread that loaded DELETES_DONE >= n at its section's start sees +n.
 *
 * DELETES_DONE: DELETEs completed (only goes up). Guard: as the pages | Writers: control plane |
 * Readers: srcuEnter and the vCPU's entry (their stamps), the checks.
 *
 * Tallies: Guard: thread t is the only writer of its block (plain adds, only for a write into
 * retired or retiring memory: rare) | Readers: the main thread after the run.
 */
import { CACHE_LINE_INTS, allocateSharedInts, roundUpToCacheLine } from '../mem/shared-buffer.js';

export const RM_DELETES_DONE = 0;
const RM_FILE_PAGES = 1;
const RM_THREADS = 2;
const RM_PAGE_BASE = CACHE_LINE_INTS;

/** What was written (the lost-write finding's `a`, and the tally's row). */
export const LW_STEAL_RECORD = 0;
export const LW_EVTCHN_EVENT = 1;
export const LW_VCPU_INFO_SELECTOR = 2;
export const LW_RUNSTATE_RECORD = 3;
export const LW_HW_TICK = 4;
export const LW_POSTED_INTERRUPTS = 5;
export const LW_KINDS = 6;
/** Report names of the kinds, and whether each is a record (last value), an event or a posted interrupt. */
export const LW_KIND_NAMES = ['steal-time record', 'event-channel event', 'vcpu_info selector', 'runstate record', 'vAPIC hardware tick', 'posted interrupts (PIR -> IRR)'] as const;
export const LW_KIND_DATA = ['records', 'events', 'events', 'records', 'records', 'posted interrupts'] as const;

/** Whose loss a write into retired memory is. */
export const LW_BY_VMM = 0;
export const LW_IN_FLIGHT = 1;
export const LW_BY_KERNEL = 2;
export const LW_CLASSES = 3;

const TALLY_STRIDE = roundUpToCacheLine(LW_KINDS * LW_CLASSES);

function tallyBase(mem: Int32Array): number {
  return RM_PAGE_BASE + roundUpToCacheLine(mem[RM_FILE_PAGES]!);
}

/** The buffer for `filePages` guest-RAM file pages and `threads` model threads, every page mapped. Cold path. */
export function createRetiredMemoryBuffer(filePages: number, threads: number): SharedArrayBuffer {
  const buffer = allocateSharedInts(RM_PAGE_BASE + roundUpToCacheLine(filePages) + threads * TALLY_STRIDE);
  const mem = new Int32Array(buffer);
  mem[RM_FILE_PAGES] = filePages;
  mem[RM_THREADS] = threads;
  return buffer;
}

/** DELETEs completed so far: a thread's stamp when its SRCU section begins or it enters guest mode. Hot path: one load. */
export function deletesDone(rm: Int32Array): number {
  return Atomics.load(rm, RM_DELETES_DONE);
}

/** File page f's state (0 mapped, -n deleting, +n retired by DELETE n). Hot path: one load. */
export function retiredState(rm: Int32Array, filePage: number): number {
  return Atomics.load(rm, RM_PAGE_BASE + filePage);
}

/** Thread t counts `amount` of kind `kind` written into retired memory, as class `cls`. */
export function tallyLostWrite(rm: Int32Array, thread: number, kind: number, cls: number, amount: number): void {
  rm[tallyBase(rm) + thread * TALLY_STRIDE + kind * LW_CLASSES + cls]! += amount;
}

/** Control plane: the VMM issues a DELETE of the slot whose memory is file pages [first, first + npages). */
export function markDeleting(rm: Int32Array, first: number, npages: number): void {
  const n = Atomics.load(rm, RM_DELETES_DONE) + 1;
  for (let f = first; f < first + npages; f++) Atomics.store(rm, RM_PAGE_BASE + f, -n);
}

/** Control plane: that DELETE's ioctl returned: its pages are retired by it, then it counts as done. */
export function markRetired(rm: Int32Array, first: number, npages: number): void {
  const n = Atomics.load(rm, RM_DELETES_DONE) + 1;
  for (let f = first; f < first + npages; f++) Atomics.store(rm, RM_PAGE_BASE + f, n);
  Atomics.store(rm, RM_DELETES_DONE, n);
}

/** Control plane: the pages are mapped again (a CREATE onto them, before its publish), or the DELETE was rejected. */
export function markMapped(rm: Int32Array, first: number, npages: number): void {
  for (let f = first; f < first + npages; f++) Atomics.store(rm, RM_PAGE_BASE + f, 0);
}

/** Every thread's tallies summed: [kind][class]. Main thread, after the run. */
export function sumLostWriteTallies(rm: Int32Array): number[][] {
  const base = tallyBase(rm);
  const out: number[][] = [];
  for (let k = 0; k < LW_KINDS; k++) {
    const row = new Array<number>(LW_CLASSES).fill(0);
    for (let t = 0; t < rm[RM_THREADS]!; t++) for (let c = 0; c < LW_CLASSES; c++) row[c]! += rm[base + t * TALLY_STRIDE + k * LW_CLASSES + c]!;
    out.push(row);
  }
  return out;
}
