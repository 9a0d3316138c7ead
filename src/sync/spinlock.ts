/**
 * A spinlock (the VM's gpc-list lock). Its holder never sleeps inside the critical section
 * (lockdep rejects taking a mutex under it), so waiters spin longer than a mutex's. But threads
 * here are preemptible and the machine is oversubscribed (more threads than cores): a waiter that
 * only spun could burn its whole time slice while the holder waits for a core. So after
 * SPINLOCK_SPIN_LIMIT spins it sleeps on the lock word like a futex mutex, and unlock wakes one.
 */
import { LockKind, LockSlot, initLockBlock } from './lock-block.js';
import { FUTEX_HELD_WITH_SLEEPERS, futexMutexLock, futexMutexTryLock, futexMutexTryLockAsWaiter, futexMutexUnlock } from './futex-mutex.js';
import { SPINLOCK_SPIN_LIMIT } from './spin-wait.js';
import { LOCK_MODE_WRITE, lockdepAcquire, lockdepEnabled, lockdepRelease } from './lockdep.js';
import { POINT_LOCK, POINT_UNLOCK, schedOn, schedPoint } from '../sched/turn-gate.js';

/** Initializes the spinlock once, at creation. */
export function spinLockInit(mem: Int32Array, base: number, lockClass: number): void {
  initLockBlock(mem, base, LockKind.SPINLOCK, lockClass);
}

/** spin_lock(). */
export function spinLock(mem: Int32Array, base: number): void {
  if (schedOn) schedPoint(POINT_LOCK);
  if (lockdepEnabled) lockdepAcquire(mem, base, LOCK_MODE_WRITE, false);
  futexMutexLock(mem, base + LockSlot.STATE, base, SPINLOCK_SPIN_LIMIT);
}

/** spin_trylock(): true if taken. */
export function spinTryLock(mem: Int32Array, base: number): boolean {
  if (schedOn) schedPoint(POINT_LOCK);
  if (!futexMutexTryLock(mem, base + LockSlot.STATE)) return false;
  if (lockdepEnabled) lockdepAcquire(mem, base, LOCK_MODE_WRITE, true);
  return true;
}

/**
 * spin_trylock() for a waiter that sleeps on the lock word itself between attempts (the main
 * thread's asynchronous wait): true if taken. It marks the word as having sleepers either way
 * (futexMutexTryLockAsWaiter), so it can share the word with threads that sleep in spinLock
 * without stealing their wake-up; on false, wait while the word equals SPINLOCK_WAITER_VALUE.
 */
export function spinTryLockAsWaiter(mem: Int32Array, base: number): boolean {
  if (!futexMutexTryLockAsWaiter(mem, base + LockSlot.STATE)) return false;
  if (lockdepEnabled) lockdepAcquire(mem, base, LOCK_MODE_WRITE, true);
  return true;
}

/** The lock word's value a spinTryLockAsWaiter caller sleeps on after a failed attempt. */
export const SPINLOCK_WAITER_VALUE = FUTEX_HELD_WITH_SLEEPERS;

/** spin_unlock(). */
export function spinUnlock(mem: Int32Array, base: number): void {
  if (lockdepEnabled) lockdepRelease(mem, base);
  if (!futexMutexUnlock(mem, base + LockSlot.STATE)) Atomics.add(mem, base + LockSlot.CORRUPTIONS, 1);
  if (schedOn) schedPoint(POINT_UNLOCK);
}

/** True if some thread holds the spinlock (a racy snapshot; for oracles and tests). */
export function isSpinLocked(mem: Int32Array, base: number): boolean {
  return Atomics.load(mem, base + LockSlot.STATE) !== 0;
}
