/**
 * The torture's shared buffer: the lock under test, the in-critical-section counters the checks
 * read, the multi-word value, and the failure log. One cache line per concept.
 *
 *   line 0        LOCK (a 16-slot lock block, lock-block.ts)
 *   line 1        INSIDE_READERS
 *   line 2        INSIDE_WRITERS
 *   line 3        FAILURE_COUNT
 *   line 4        FAILURE_KIND_COUNT_0 + kind
 *   line 5        WRITE_COUNT
 *   lines 6..13   VALUE_0 + w * 16, w = 0..7: the multi-word value, one word per cache line
 *   lines 14..    FAILURE_LOG_0 + k * FAILURE_RECORD_INTS: the first MAX_LOGGED_FAILURES failures
 */
import { CACHE_LINE_INTS } from '../mem/shared-buffer.js';

/** The lock under test. Guard: the lock protocol itself. */
export const TORTURE_LOCK_BASE = 0;

/**
 * Threads inside a critical section as readers (added right after acquiring, subtracted right
 * before releasing). Guard: lock-free (Atomics.add/sub, readers may be inside together) |
 * Writers: reader threads | Readers: writers' and exclusive holders' checks, stall dumps.
 */
export const INSIDE_READERS = 1 * CACHE_LINE_INTS;
/** Same for writers (and for every holder of an exclusive lock that runs the writer side). */
export const INSIDE_WRITERS = 2 * CACHE_LINE_INTS;
/** Failures seen (only goes up). Guard: lock-free, Atomics.add | Writers: any thread | Readers: main. */
export const FAILURE_COUNT = 3 * CACHE_LINE_INTS;
/** Failures per TortureFailure kind (only go up). Guard/Writers/Readers: as FAILURE_COUNT. */
export const FAILURE_KIND_COUNT_0 = 4 * CACHE_LINE_INTS;
/**
 * Completed write critical sections, incremented with a plain read + write inside the write lock:
 * if two writers ever overlap, an increment is lost and it ends below the writers' own counts.
 * Guard: the lock under test (write) | Writers: writer threads | Readers: main, after the run.
 */
export const WRITE_COUNT = 5 * CACHE_LINE_INTS;
/**
 * The multi-word value: VALUE_WORDS words in separate cache lines, all equal outside a write
 * critical section. Writers store a new value word by word with delays in between (plain stores);
 * readers load the words (plain loads) and must see them all equal.
 * Guard: the lock under test (write to change, read to look) | Writers: writers | Readers: readers, main at the end.
 */
export const VALUE_0 = 6 * CACHE_LINE_INTS;
export const VALUE_WORDS = 8;
export const VALUE_STRIDE = CACHE_LINE_INTS;
/** Failure records: kind, thread index, a, b (meaning per kind). Written once each, Atomics. */
export const FAILURE_LOG_0 = (6 + VALUE_WORDS) * CACHE_LINE_INTS;
export const FAILURE_RECORD_INTS = 4;
export const MAX_LOGGED_FAILURES = 32;
export const TORTURE_INTS = FAILURE_LOG_0 + MAX_LOGGED_FAILURES * FAILURE_RECORD_INTS;

/** What a failure record's kind means; `a`/`b` are explained per kind. */
export const TortureFailure = {
  /** A writer found readers inside (a = readers). */
  WRITER_SAW_READER: 1,
  /** A writer found another writer inside (a = other writers). */
  WRITER_SAW_WRITER: 2,
  /** A reader found a writer inside (a = writers). */
  READER_SAW_WRITER: 3,
  /** Under an exclusive lock, a reader-side holder found another holder inside (a = other readers). */
  HOLDER_SAW_HOLDER: 4,
  /** A reader saw the multi-word value torn (a = word 0, b = the first word that differed). */
  TORN_VALUE: 5,
  /** After the run: WRITE_COUNT below the writers' completed sections (a = count, b = expected). */
  LOST_UPDATE: 6,
  /** After the run: the multi-word value is torn at rest (a = word 0, b = the differing word). */
  TORN_AT_REST: 7,
} as const;
export const TORTURE_FAILURE_KINDS = 8; // kinds are 1..7

const failureNames: Record<number, string> = {
  1: 'writer saw a reader inside',
  2: 'writer saw another writer inside',
  3: 'reader saw a writer inside',
  4: 'holder of an exclusive lock saw another holder inside',
  5: 'reader saw the multi-word value torn',
  6: 'lost update: writes under the lock went missing',
  7: 'multi-word value torn after the run',
};

export function tortureFailureName(kind: number): string {
  return failureNames[kind] ?? `failure#${kind}`;
}

/** Records one failure (any thread, also main). Allocation-free. */
export function recordTortureFailure(mem: Int32Array, kind: number, thread: number, a: number, b: number): void {
  const index = Atomics.add(mem, FAILURE_COUNT, 1);
  Atomics.add(mem, FAILURE_KIND_COUNT_0 + kind, 1);
  if (index >= MAX_LOGGED_FAILURES) return;
  const at = FAILURE_LOG_0 + index * FAILURE_RECORD_INTS;
  Atomics.store(mem, at + 1, thread);
  Atomics.store(mem, at + 2, a);
  Atomics.store(mem, at + 3, b);
  Atomics.store(mem, at, kind); // last: a reader that sees the kind sees the rest
}
