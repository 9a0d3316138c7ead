/**
 * Uncontended lock costs (issue 2, item 5): lock + unlock of each lock, in a worker thread, as
 * ns/op and as a ratio to the raw Atomics operations the lock must do at least, measured in the
 * same run and interleaved with them (src/harness/batch-timer.ts).
 *
 * Floors:
 *  - raw add+sub: a reader must announce itself and leave (read lock/unlock; irq read lock).
 *  - raw cas+sub: an exclusive lock must take the word with a compareExchange and release it with
 *    a read-modify-write that tells whether someone sleeps (write lock, mutex, spinlock). A plain
 *    store cannot release a sleeping lock without losing wake-ups; raw cas+store is listed too.
 *  - empty loop: the loop itself.
 *
 * Run it: `gpc-lab bench-locks [--samples N] [--batch N] [--json]` (after a build).
 * Each batch function is a named function with its own loop, so a CPU profile names it.
 */
import { readLock, readLockIrq, readUnlock, rwlockInit, writeLock, writeUnlock } from '../src/sync/rwlock.js';
import { mutexInit, mutexLock, mutexUnlock } from '../src/sync/mutex.js';
import { spinLock, spinLockInit, spinUnlock } from '../src/sync/spinlock.js';
import { LockClass } from '../src/sync/lock-classes.js';
import { CACHE_LINE_INTS, allocateSharedInts } from '../src/mem/shared-buffer.js';
import { runBatchBench, type BatchPlan, type BatchStats, type BatchVariant } from '../src/harness/batch-timer.js';

const RWLOCK_BASE = 0;
const MUTEX_BASE = CACHE_LINE_INTS;
const SPINLOCK_BASE = 2 * CACHE_LINE_INTS;
const RAW_WORD = 3 * CACHE_LINE_INTS;
const BENCH_INTS = 4 * CACHE_LINE_INTS;

/** The variants over one shared buffer (each lock and the raw word on its own cache line). */
export function lockBenchVariants(mem: Int32Array): BatchVariant[] {
  rwlockInit(mem, RWLOCK_BASE, LockClass.TEST_A);
  mutexInit(mem, MUTEX_BASE, LockClass.TEST_B);
  spinLockInit(mem, SPINLOCK_BASE, LockClass.TEST_C);

  function emptyLoopBatch(n: number): number {
    let x = 0;
    for (let i = 0; i < n; i++) x = (x + i) | 0;
    return x;
  }
  function rawAddSubBatch(n: number): number {
    for (let i = 0; i < n; i++) {
      Atomics.add(mem, RAW_WORD, 4);
      Atomics.sub(mem, RAW_WORD, 4);
    }
    return mem[RAW_WORD]!;
  }
  function rawCasSubBatch(n: number): number {
    for (let i = 0; i < n; i++) {
      Atomics.compareExchange(mem, RAW_WORD, 0, 1);
      Atomics.sub(mem, RAW_WORD, 1);
    }
    return mem[RAW_WORD]!;
  }
  function rawCasStoreBatch(n: number): number {
    for (let i = 0; i < n; i++) {
      Atomics.compareExchange(mem, RAW_WORD, 0, 1);
      Atomics.store(mem, RAW_WORD, 0);
    }
    return mem[RAW_WORD]!;
  }
  function readLockUnlockBatch(n: number): number {
    for (let i = 0; i < n; i++) {
      readLock(mem, RWLOCK_BASE);
      readUnlock(mem, RWLOCK_BASE);
    }
    return mem[RWLOCK_BASE]!;
  }
  function readLockIrqUnlockBatch(n: number): number {
    for (let i = 0; i < n; i++) {
      readLockIrq(mem, RWLOCK_BASE);
      readUnlock(mem, RWLOCK_BASE);
    }
    return mem[RWLOCK_BASE]!;
  }
  function writeLockUnlockBatch(n: number): number {
    for (let i = 0; i < n; i++) {
      writeLock(mem, RWLOCK_BASE);
      writeUnlock(mem, RWLOCK_BASE);
    }
    return mem[RWLOCK_BASE]!;
  }
  function mutexLockUnlockBatch(n: number): number {
    for (let i = 0; i < n; i++) {
      mutexLock(mem, MUTEX_BASE);
      mutexUnlock(mem, MUTEX_BASE);
    }
    return mem[MUTEX_BASE]!;
  }
  function spinLockUnlockBatch(n: number): number {
    for (let i = 0; i < n; i++) {
      spinLock(mem, SPINLOCK_BASE);
      spinUnlock(mem, SPINLOCK_BASE);
    }
    return mem[SPINLOCK_BASE]!;
  }

  return [
    { name: 'empty loop', run: emptyLoopBatch },
    { name: 'raw add+sub', run: rawAddSubBatch },
    { name: 'raw cas+sub', run: rawCasSubBatch },
    { name: 'raw cas+store', run: rawCasStoreBatch },
    { name: 'read_lock+read_unlock', floor: 'raw add+sub', run: readLockUnlockBatch },
    { name: 'read_lock_irq+read_unlock', floor: 'raw add+sub', run: readLockIrqUnlockBatch },
    { name: 'write_lock+write_unlock', floor: 'raw cas+sub', run: writeLockUnlockBatch },
    { name: 'mutex_lock+mutex_unlock', floor: 'raw cas+sub', run: mutexLockUnlockBatch },
    { name: 'spin_lock+spin_unlock', floor: 'raw cas+sub', run: spinLockUnlockBatch },
  ];
}

/** Runs the lock bench on the calling thread (call it in a worker). */
export function runLocksBench(plan: BatchPlan): BatchStats[] {
  const mem = new Int32Array(allocateSharedInts(BENCH_INTS));
  return runBatchBench(lockBenchVariants(mem), plan);
}
