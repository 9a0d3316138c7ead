/**
 * The flight recorder: every thread logs its protocol steps into its own ring in shared memory;
 * a global Atomics counter orders the events of all threads, so a finding can print the last
 * events of every thread as one interleaving.
 *
 *   line 0      GLOBAL_SEQ (Atomics.add by every event) | DEPTH | THREADS
 *   ring t      line: HEAD (events written by thread t, only goes up)
 *               DEPTH x [SEQ STEP CACHE GPA PFN MMU_SEQ MN_COUNT GENERATION ARG]
 *
 * What CACHE, GPA, PFN and ARG hold is per step (trace-steps.ts); MMU_SEQ, MN_COUNT and GENERATION
 * are mmu_invalidate_seq, mn_active_invalidate_count and the memslot generation when it was logged
 * (MN_COUNT is read with a plain load by the logger: a trace annotation, it may lag by an instant).
 *
 * Guard: GLOBAL_SEQ lock-free (Atomics.add); ring t has one writer, thread t, with plain stores,
 * and is read racily by whoever snapshots it for a finding (a torn last event is possible and
 * harmless: its SEQ orders it) and by the main thread after the run.
 */
import { CACHE_LINE_INTS, allocateSharedInts } from '../mem/shared-buffer.js';

export const EVENT_INTS = 9;
export const EV_SEQ = 0;
export const EV_STEP = 1;
export const EV_CACHE = 2;
export const EV_GPA = 3;
export const EV_PFN = 4;
export const EV_MMU_SEQ = 5;
export const EV_MN_COUNT = 6;
export const EV_GENERATION = 7;
export const EV_ARG = 8;

const FR_GLOBAL_SEQ = 0;
const FR_DEPTH = 1;
const FR_THREADS = 2;

export interface FlightRecorder {
  readonly mem: Int32Array;
  readonly depth: number;
  readonly threads: number;
  readonly ringInts: number;
}

export function ringIntsFor(depth: number): number {
  return CACHE_LINE_INTS + depth * EVENT_INTS;
}

export function createFlightRecorderBuffer(threads: number, depth: number): SharedArrayBuffer {
  const buffer = allocateSharedInts(CACHE_LINE_INTS + threads * ringIntsFor(depth));
  const mem = new Int32Array(buffer);
  mem[FR_DEPTH] = depth;
  mem[FR_THREADS] = threads;
  return buffer;
}

export function flightRecorderView(buffer: SharedArrayBuffer): FlightRecorder {
  const mem = new Int32Array(buffer);
  return { mem, depth: mem[FR_DEPTH]!, threads: mem[FR_THREADS]!, ringInts: ringIntsFor(mem[FR_DEPTH]!) };
}

export function ringBase(fr: FlightRecorder, thread: number): number {
  return CACHE_LINE_INTS + thread * fr.ringInts;
}

/** The global order number the next event will get (for findings: "detected after event N"). */
export function currentTraceSeq(fr: FlightRecorder): number {
  return Atomics.load(fr.mem, FR_GLOBAL_SEQ);
}

/** Appends one event to thread's ring. Numbers only; one Atomics.add and nine plain stores. */
export function recordEvent(
  fr: FlightRecorder,
  thread: number,
  step: number,
  cache: number,
  gpa: number,
  pfn: number,
  mmuSeq: number,
  mnCount: number,
  generation: number,
  arg: number,
): void {
  if (fr.depth === 0) return;
  const mem = fr.mem;
  const base = CACHE_LINE_INTS + thread * fr.ringInts;
  const head = mem[base]!;
  const at = base + CACHE_LINE_INTS + (head % fr.depth) * EVENT_INTS;
  mem[at + EV_SEQ] = Atomics.add(mem, FR_GLOBAL_SEQ, 1);
  mem[at + EV_STEP] = step;
  mem[at + EV_CACHE] = cache;
  mem[at + EV_GPA] = gpa;
  mem[at + EV_PFN] = pfn;
  mem[at + EV_MMU_SEQ] = mmuSeq;
  mem[at + EV_MN_COUNT] = mnCount;
  mem[at + EV_GENERATION] = generation;
  mem[at + EV_ARG] = arg;
  mem[base] = (head + 1) | 0;
}

/** One decoded event (cold path: reports). */
export interface TraceEvent {
  seq: number;
  thread: number;
  step: number;
  cache: number;
  gpa: number;
  pfn: number;
  mmuSeq: number;
  mnCount: number;
  generation: number;
  arg: number;
}

/**
 * Decodes rings (the live buffer, or a snapshot copied into `mem` at `offset`) into one list in
 * global order, keeping the last `perThread` events of each thread. Cold path.
 */
export function decodeRings(
  mem: Int32Array,
  offset: number,
  depth: number,
  threads: number,
  perThread: number,
): TraceEvent[] {
  const ringInts = ringIntsFor(depth);
  const events: TraceEvent[] = [];
  for (let t = 0; t < threads; t++) {
    const base = offset + t * ringInts;
    const head = mem[base]!;
    const count = Math.min(head, depth, perThread);
    for (let k = head - count; k < head; k++) {
      const at = base + CACHE_LINE_INTS + (((k % depth) + depth) % depth) * EVENT_INTS;
      events.push({
        seq: mem[at + EV_SEQ]!,
        thread: t,
        step: mem[at + EV_STEP]!,
        cache: mem[at + EV_CACHE]!,
        gpa: mem[at + EV_GPA]!,
        pfn: mem[at + EV_PFN]!,
        mmuSeq: mem[at + EV_MMU_SEQ]!,
        mnCount: mem[at + EV_MN_COUNT]!,
        generation: mem[at + EV_GENERATION]!,
        arg: mem[at + EV_ARG]!,
      });
    }
  }
  events.sort((a, b) => a.seq - b.seq);
  return events;
}
