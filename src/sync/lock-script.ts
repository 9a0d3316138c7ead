/**
 * The op codes and shared slots of the `lock-script` thread role (workers/lock-script.worker.ts),
 * which the lock tests use to put real threads in a chosen order around real locks.
 *
 * Script memory layout (Int32 slots; all accessed with Atomics):
 *   0 SEQUENCE        global step counter for STAMP (only goes up)
 *   1 WRITERS_INSIDE  hammer: threads inside a write/mutex/spin critical section
 *   2 READERS_INSIDE  hammer: threads inside a read critical section
 *   3 VIOLATIONS      hammer: mutual-exclusion violations seen (only goes up)
 *   4 TORN_READS      hammer: readers that saw the 8-word value torn (only goes up)
 *   16..(16+8*16)     VALUE_0 + w*16: the 8 words of the multi-word value, one per cache line
 *   160..223          ACQUISITIONS_0 + thread: acquisitions per thread (only go up)
 *   256..             free for tests: locks (16-slot blocks) and flags
 */
export const enum ScriptSlot {
  SEQUENCE = 0,
  WRITERS_INSIDE = 1,
  READERS_INSIDE = 2,
  VIOLATIONS = 3,
  TORN_READS = 4,
  VALUE_0 = 16,
  ACQUISITIONS_0 = 160,
  FREE = 256,
}

export const enum LockOp {
  END = 0,
  READ_LOCK = 1,
  READ_LOCK_IRQ = 2,
  READ_UNLOCK = 3,
  WRITE_LOCK = 4,
  WRITE_UNLOCK = 5,
  MUTEX_LOCK = 6,
  MUTEX_UNLOCK = 7,
  SPIN_LOCK = 8,
  SPIN_UNLOCK = 9,
  /** SET slot value: store and notify. */
  SET = 10,
  /** WAIT_EQ slot value: wait (bounded) until the slot holds value. */
  WAIT_EQ = 11,
  /** STAMP slot: store the next global step number (1, 2, ...) into slot. */
  STAMP = 12,
  /** HAMMER kind base iterations: lock/check/unlock in a loop. */
  HAMMER = 13,
}

export const enum HammerKind {
  WRITE = 0,
  READ = 1,
  READ_IRQ = 2,
  MUTEX = 3,
  SPIN = 4,
}
