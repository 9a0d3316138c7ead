/**
 * Takes and releases the lock under test by kind and side, on the threads' hot path: a switch on
 * two small integers, named functions, no closures, nothing allocated.
 *
 * Sides: a WRITER takes the write lock (exclusive); a READER the read lock (process context); an
 * IRQ_READER the read lock in irq context (may pass a waiting writer). Under an exclusive lock
 * (mutex, spinlock) every side takes the lock the only way it can be taken; readers then run the
 * reader checks plus "no other holder inside" (see torture-thread.ts).
 */
import { readLock, readLockIrq, readUnlock, rwlockInit, writeLock, writeUnlock } from '../sync/rwlock.js';
import { mutexInit, mutexLock, mutexUnlock } from '../sync/mutex.js';
import { spinLock, spinLockInit, spinUnlock } from '../sync/spinlock.js';
import {
  brokenMutexInit,
  brokenMutexLock,
  brokenMutexUnlock,
  brokenRwlockInit,
  brokenRwlockReadLock,
  brokenRwlockReadUnlock,
  brokenRwlockWriteLock,
  brokenRwlockWriteUnlock,
  brokenSpinInit,
  brokenSpinLock,
  brokenSpinUnlock,
} from '../sync/broken-locks.js';
import { ThreadState } from '../harness/run-control.js';
import { TortureLock } from './lock-kinds.js';

export const TortureSide = {
  READER: 0,
  IRQ_READER: 1,
  WRITER: 2,
} as const;
export type TortureSideCode = (typeof TortureSide)[keyof typeof TortureSide];

export const TORTURE_SIDE_NAMES = ['reader', 'irq-reader', 'writer'] as const;
export type TortureSideName = (typeof TORTURE_SIDE_NAMES)[number];

/** Initializes the lock of `kind` at mem[base..base+16). Main thread, once, before threads start. */
export function initTortureLock(kind: number, mem: Int32Array, base: number, lockClass: number): void {
  switch (kind) {
    case TortureLock.RWLOCK: return rwlockInit(mem, base, lockClass);
    case TortureLock.MUTEX: return mutexInit(mem, base, lockClass);
    case TortureLock.SPINLOCK: return spinLockInit(mem, base, lockClass);
    case TortureLock.BROKEN_RWLOCK_NO_READER_WAIT: return brokenRwlockInit(mem, base, lockClass);
    case TortureLock.BROKEN_MUTEX_NO_WAKE: return brokenMutexInit(mem, base, lockClass);
    case TortureLock.BROKEN_SPINLOCK_CHECK_THEN_SET: return brokenSpinInit(mem, base, lockClass);
    default: throw new Error(`initTortureLock: unknown lock kind ${kind}`);
  }
}

/** The ThreadState a thread shows while it waits for the lock. */
export function tortureWaitState(kind: number, side: number): number {
  switch (kind) {
    case TortureLock.RWLOCK:
    case TortureLock.BROKEN_RWLOCK_NO_READER_WAIT:
      if (side === TortureSide.WRITER) return ThreadState.WAITING_WRITE_LOCK;
      return side === TortureSide.IRQ_READER ? ThreadState.WAITING_READ_LOCK_IRQ : ThreadState.WAITING_READ_LOCK;
    case TortureLock.SPINLOCK:
    case TortureLock.BROKEN_SPINLOCK_CHECK_THEN_SET:
      return ThreadState.WAITING_SPINLOCK;
    default:
      return ThreadState.WAITING_MUTEX;
  }
}

/** Takes the lock; returns when held. */
export function tortureAcquire(kind: number, side: number, mem: Int32Array, base: number): void {
  switch (kind) {
    case TortureLock.RWLOCK:
      if (side === TortureSide.WRITER) writeLock(mem, base);
      else if (side === TortureSide.IRQ_READER) readLockIrq(mem, base);
      else readLock(mem, base);
      return;
    case TortureLock.MUTEX: return mutexLock(mem, base);
    case TortureLock.SPINLOCK: return spinLock(mem, base);
    case TortureLock.BROKEN_RWLOCK_NO_READER_WAIT:
      if (side === TortureSide.WRITER) brokenRwlockWriteLock(mem, base);
      else brokenRwlockReadLock(mem, base);
      return;
    case TortureLock.BROKEN_MUTEX_NO_WAKE: return brokenMutexLock(mem, base);
    case TortureLock.BROKEN_SPINLOCK_CHECK_THEN_SET: return brokenSpinLock(mem, base);
    default: throw new Error(`tortureAcquire: unknown lock kind ${kind}`);
  }
}

/** Releases the lock taken by tortureAcquire with the same kind and side. */
export function tortureRelease(kind: number, side: number, mem: Int32Array, base: number): void {
  switch (kind) {
    case TortureLock.RWLOCK:
      if (side === TortureSide.WRITER) writeUnlock(mem, base);
      else readUnlock(mem, base);
      return;
    case TortureLock.MUTEX: return mutexUnlock(mem, base);
    case TortureLock.SPINLOCK: return spinUnlock(mem, base);
    case TortureLock.BROKEN_RWLOCK_NO_READER_WAIT:
      if (side === TortureSide.WRITER) brokenRwlockWriteUnlock(mem, base);
      else brokenRwlockReadUnlock(mem, base);
      return;
    case TortureLock.BROKEN_MUTEX_NO_WAKE: return brokenMutexUnlock(mem, base);
    case TortureLock.BROKEN_SPINLOCK_CHECK_THEN_SET: return brokenSpinUnlock(mem, base);
    default: throw new Error(`tortureRelease: unknown lock kind ${kind}`);
  }
}
