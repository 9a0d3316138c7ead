/**
 * A sleeping mutex (the gpc's refresh_lock): a futex mutex that spins briefly, then sleeps in
 * Atomics.wait. Unlock wakes at most one sleeper (no thundering herd). Not recursive: with
 * lockdep on, re-locking a held mutex or unlocking one this thread does not hold throws.
 */
import { LockKind, LockSlot, initLockBlock } from './lock-block.js';
import { futexMutexLock, futexMutexTryLock, futexMutexUnlock } from './futex-mutex.js';
import { SPIN_LIMIT } from './spin-wait.js';
import { LOCK_MODE_WRITE, lockdepAcquire, lockdepEnabled, lockdepRelease } from './lockdep.js';
import { POINT_LOCK, POINT_UNLOCK, schedOn, schedPoint } from '../sched/turn-gate.js';

/** Initializes the mutex once, at creation. */
export function mutexInit(mem: Int32Array, base: number, lockClass: number): void {
  initLockBlock(mem, base, LockKind.MUTEX, lockClass);
}

/** mutex_lock(): may sleep. */
export function mutexLock(mem: Int32Array, base: number): void {
  if (schedOn) schedPoint(POINT_LOCK);
  if (lockdepEnabled) lockdepAcquire(mem, base, LOCK_MODE_WRITE, false);
  futexMutexLock(mem, base + LockSlot.STATE, base, SPIN_LIMIT);
}

/** mutex_trylock(): true if taken. */
export function mutexTryLock(mem: Int32Array, base: number): boolean {
  if (schedOn) schedPoint(POINT_LOCK);
  if (!futexMutexTryLock(mem, base + LockSlot.STATE)) return false;
  if (lockdepEnabled) lockdepAcquire(mem, base, LOCK_MODE_WRITE, true);
  return true;
}

/** mutex_unlock(). */
export function mutexUnlock(mem: Int32Array, base: number): void {
  if (lockdepEnabled) lockdepRelease(mem, base);
  if (!futexMutexUnlock(mem, base + LockSlot.STATE)) Atomics.add(mem, base + LockSlot.CORRUPTIONS, 1);
  if (schedOn) schedPoint(POINT_UNLOCK);
}

/** True if some thread holds the mutex (a racy snapshot; for oracles and tests). */
export function isMutexLocked(mem: Int32Array, base: number): boolean {
  return Atomics.load(mem, base + LockSlot.STATE) !== 0;
}
