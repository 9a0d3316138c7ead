/**
 * Shared-memory basics used by every layout module.
 *
 * Every shared field is an Int32 slot (Atomics.wait/notify need Int32, and BigInt reads allocate).
 * Slots that different threads write often are padded onto their own 64-byte cache line
 * (16 Int32 slots) so that one thread's counter does not slow another's (false sharing costs
 * ~3x per Atomics op on this machine: concurrency-anchors 5.3).
 */

/** Int32 slots in one 64-byte cache line. */
export const CACHE_LINE_INTS = 16;

/** Rounds a slot count up to whole cache lines. */
export function roundUpToCacheLine(ints: number): number {
  return Math.ceil(ints / CACHE_LINE_INTS) * CACHE_LINE_INTS;
}

/** A zero-filled SharedArrayBuffer of `ints` Int32 slots (rounded up to whole cache lines). */
export function allocateSharedInts(ints: number): SharedArrayBuffer {
  if (!Number.isInteger(ints) || ints < 0) {
    throw new RangeError(`allocateSharedInts: ints must be a non-negative integer, got ${ints}`);
  }
  return new SharedArrayBuffer(roundUpToCacheLine(Math.max(ints, 1)) * 4);
}

/** The Int32 view every thread uses over a shared buffer. */
export function int32View(buffer: SharedArrayBuffer): Int32Array {
  return new Int32Array(buffer);
}
