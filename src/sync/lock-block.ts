/**
 * The slot layout of one lock: a block of LOCK_BLOCK_INTS Int32 slots (one 64-byte cache line)
 * inside any Int32Array over a SharedArrayBuffer. A lock is named by (mem, base): base is the
 * index of the block's first slot. The same layout serves the rwlock, the mutex and the spinlock;
 * slots a kind does not use stay 0.
 *
 *   base+0  STATE            rwlock: reader count << 2 | WAITING | LOCKED; mutex/spinlock: 0 free, 1 held, 2 held+sleepers
 *   base+1  WRITER_WAKE      rwlock: bumped when the last reader leaves a waiting writer
 *   base+2  READER_WAKE      rwlock: bumped when a write unlock finds sleeping readers
 *   base+3  READER_SLEEPERS  rwlock: readers in, or about to enter, Atomics.wait on READER_WAKE
 *   base+4  QUEUE            rwlock: futex-mutex word queueing writers and process-context readers
 *   base+5  CLASS            lock class (lock-classes.ts)
 *   base+6  OWNER            thread index + 1 of the write holder / holder (kept only with lockdep on)
 *   base+7  MAGIC            LOCK_MAGIC once initialized
 *   base+8  KIND             LockKind
 *   base+9  CONTENDED        acquisitions that took the slow path (only goes up)
 *   base+10 SLEEPS           Atomics.wait calls made while acquiring (only goes up)
 *   base+11 CORRUPTIONS      unlocks that found an impossible lock word (reader underflow, unlock of a free lock)
 *   base+12..15              unused (padding to the cache line)
 */
export const LOCK_BLOCK_INTS = 16;

/**
 * Guard of every slot: the lock protocol itself (these words are the lock). All accesses are
 * Atomics operations, except CLASS, MAGIC and KIND, which are written once at init, before the
 * lock is published to other threads, and only read afterwards.
 */
export const enum LockSlot {
  /** Writers: every lock/unlock. Readers: every lock/unlock, stall dumps. */
  STATE = 0,
  /** Writers: rwlock read unlock (last reader, writer waiting). Readers: the waiting writer. */
  WRITER_WAKE = 1,
  /** Writers: rwlock write unlock when READER_SLEEPERS > 0. Readers: sleeping readers. */
  READER_WAKE = 2,
  /** Writers/readers: rwlock readers around their Atomics.wait; write unlock reads it. */
  READER_SLEEPERS = 3,
  /** A futex-mutex word (futex-mutex.ts): the rwlock's wait queue. */
  QUEUE = 4,
  /** Written once by init. Readers: lockdep, reports. */
  CLASS = 5,
  /** Writers: the acquiring/releasing thread, only while lockdep is on. Readers: stall dumps. */
  OWNER = 6,
  /** Written by init. Readers: lockdep (re-init of a held lock, B9), sanity oracle. */
  MAGIC = 7,
  /** Written once by init. Readers: lockdep (sleeping lock under a spinning one), reports. */
  KIND = 8,
  /** Statistics, only go up. Writers: slow paths. Readers: reports. */
  CONTENDED = 9,
  SLEEPS = 10,
  /**
   * Writers: an unlock that found the word impossible (e.g. the lock was re-initialized under a
   * holder: history B9) counts here instead of corrupting further. Readers: the lock-sanity oracle.
   */
  CORRUPTIONS = 11,
}

export const LOCK_MAGIC = 0x6c6f636b; // "lock"

export const enum LockKind {
  RWLOCK = 1,
  MUTEX = 2,
  SPINLOCK = 3,
}

/** Zeroes a lock block and stamps its class, kind and magic. Cold path. */
export function initLockBlock(mem: Int32Array, base: number, kind: LockKind, lockClass: number): void {
  for (let i = 0; i < LOCK_BLOCK_INTS; i++) Atomics.store(mem, base + i, 0);
  Atomics.store(mem, base + LockSlot.CLASS, lockClass);
  Atomics.store(mem, base + LockSlot.KIND, kind);
  Atomics.store(mem, base + LockSlot.MAGIC, LOCK_MAGIC);
}
