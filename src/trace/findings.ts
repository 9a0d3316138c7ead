/**
 * The findings buffer: per property, how many findings; for the first DETAILS_PER_PROPERTY of
 * each property, the details, and for the first of each property a copy of every thread's
 * flight-recorder ring taken by the detecting thread at the moment of detection (so a flood of one
 * kind of finding does not hide the first of another).
 *
 *   line 0       TOTAL
 *   line 1       FINDINGS[property] (only go up; the old value is the finding's rank in its property):
 *                one line is room for MAX_PROPERTIES
 *   details      property p, rank k < DETAILS_PER_PROPERTY: [PROPERTY THREAD CACHE GPA PFN A B C TRACE_SEQ SNAPSHOT]
 *   snapshots    property p: a copy of the flight recorder's rings (for its first finding)
 *
 * TOTAL: Guard: lock-free Atomics.add | Writers: every finder (the first one also notifies it) |
 * Readers: the progress line, and the main thread's Atomics.waitAsync on it (time to first finding).
 *
 * Guard: lock-free. A finder's rank comes from its Atomics.add on FINDINGS[p], so no two finders
 * write the same detail slot or snapshot. Readers: the main thread after the run, and the
 * progress line (TOTAL).
 */
import { CACHE_LINE_INTS, allocateSharedInts } from '../mem/shared-buffer.js';
import { currentTraceSeq, type FlightRecorder } from './flight-recorder.js';
import { MAX_PROPERTIES } from './property.js';

export const FINDINGS_TOTAL = 0;
const COUNTS = CACHE_LINE_INTS;
export const DETAILS_PER_PROPERTY = 3;
export const MAX_DETAILS = MAX_PROPERTIES * DETAILS_PER_PROPERTY;
export const MAX_SNAPSHOTS = MAX_PROPERTIES;
const DETAIL_INTS = 16;
const DETAILS = 2 * CACHE_LINE_INTS;

export const D_PROPERTY = 0;
export const D_THREAD = 1;
export const D_CACHE = 2;
export const D_GPA = 3;
export const D_PFN = 4;
export const D_A = 5;
export const D_B = 6;
export const D_C = 7;
export const D_TRACE_SEQ = 8;
export const D_SNAPSHOT = 9;

export interface Findings {
  readonly mem: Int32Array;
  readonly snapshotInts: number;
  readonly snapshotsBase: number;
}

export function createFindingsBuffer(ringsInts: number): SharedArrayBuffer {
  const snapshotsBase = DETAILS + MAX_DETAILS * DETAIL_INTS;
  const buffer = allocateSharedInts(snapshotsBase + 1 + MAX_SNAPSHOTS * ringsInts);
  new Int32Array(buffer)[snapshotsBase] = ringsInts;
  return buffer;
}

export function findingsView(buffer: SharedArrayBuffer): Findings {
  const mem = new Int32Array(buffer);
  const snapshotsBase = DETAILS + MAX_DETAILS * DETAIL_INTS;
  return { mem, snapshotInts: mem[snapshotsBase]!, snapshotsBase: snapshotsBase + 1 };
}

/**
 * Records a finding: counts it, and for the first ones stores the details and snapshots every
 * thread's ring. The caller logs a FINDING event in its own ring first (STEP_FINDING, arg:
 * property), so the interleaving ends with the detection. Cold path (but allocation-free: it runs
 * inside the hot loops).
 */
export function reportFinding(
  f: Findings,
  fr: FlightRecorder,
  thread: number,
  property: number,
  cache: number,
  gpa: number,
  pfn: number,
  a: number,
  b: number,
  c: number,
): void {
  const rank = Atomics.add(f.mem, COUNTS + property, 1);
  // The first finding of the run wakes the main thread's waiter (stop-on-finding, time to first finding).
  if (Atomics.add(f.mem, FINDINGS_TOTAL, 1) === 0) Atomics.notify(f.mem, FINDINGS_TOTAL);
  if (rank >= DETAILS_PER_PROPERTY) return;
  const at = DETAILS + (property * DETAILS_PER_PROPERTY + rank) * DETAIL_INTS;
  const mem = f.mem;
  mem[at + D_THREAD] = thread;
  mem[at + D_CACHE] = cache;
  mem[at + D_GPA] = gpa;
  mem[at + D_PFN] = pfn;
  mem[at + D_A] = a;
  mem[at + D_B] = b;
  mem[at + D_C] = c;
  mem[at + D_TRACE_SEQ] = currentTraceSeq(fr);
  let snapshot = -1;
  if (fr.depth > 0 && rank === 0) {
    snapshot = property;
    mem.set(fr.mem.subarray(CACHE_LINE_INTS, CACHE_LINE_INTS + f.snapshotInts), f.snapshotsBase + snapshot * f.snapshotInts);
  }
  mem[at + D_SNAPSHOT] = snapshot;
  // Published last: a reader that sees the property (+1) sees the rest.
  Atomics.store(mem, at + D_PROPERTY, property + 1);
}

export function findingCount(f: Findings, property: number): number {
  return Atomics.load(f.mem, COUNTS + property);
}

export function totalFindings(f: Findings): number {
  return Atomics.load(f.mem, FINDINGS_TOTAL);
}

/** A recorded finding's raw fields (cold path). */
export interface FindingRecord {
  property: number;
  thread: number;
  cache: number;
  gpa: number;
  pfn: number;
  a: number;
  b: number;
  c: number;
  traceSeq: number;
  snapshot: number;
}

/** Recorded findings, in detection order. */
export function readFindingRecords(f: Findings): FindingRecord[] {
  const out: FindingRecord[] = [];
  for (let slot = 0; slot < MAX_DETAILS; slot++) {
    const at = DETAILS + slot * DETAIL_INTS;
    const property = Atomics.load(f.mem, at + D_PROPERTY) - 1;
    if (property < 0) continue;
    const m = f.mem;
    out.push({
      property,
      thread: m[at + D_THREAD]!,
      cache: m[at + D_CACHE]!,
      gpa: m[at + D_GPA]!,
      pfn: m[at + D_PFN]!,
      a: m[at + D_A]!,
      b: m[at + D_B]!,
      c: m[at + D_C]!,
      traceSeq: m[at + D_TRACE_SEQ]!,
      snapshot: m[at + D_SNAPSHOT]!,
    });
  }
  return out.sort((a, b) => a.traceSeq - b.traceSeq);
}

/** Offset in f.mem of snapshot k (same shape as the flight recorder's rings). */
export function snapshotOffset(f: Findings, k: number): number {
  return f.snapshotsBase + k * f.snapshotInts;
}
