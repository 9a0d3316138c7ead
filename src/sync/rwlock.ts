/**
 * A reader-writer lock with the kernel's queued-rwlock policy (kernel/locking/qrwlock.c), on
 * futexes (Atomics.wait) instead of spinning forever:
 *
 *  - a process-context reader waits behind a waiting writer, so writers are not starved;
 *  - an irq-context reader (`readLockIrq`) may pass a waiting writer, never a holder;
 *  - uncontended read lock + unlock is one Atomics.add + one Atomics.sub, exactly the raw floor.
 *
 * STATE word: reader count << 2 | WAITING (a writer waits for readers to drain) | LOCKED.
 * Writers and process-context readers that must wait queue on the QUEUE futex mutex (qrwlock's
 * wait_lock). A waiting writer holds QUEUE, so later process-context readers block on it.
 * Wake-ups: the last reader out of a waiting writer bumps WRITER_WAKE and wakes the writer;
 * a write unlock bumps READER_WAKE and wakes every sleeping reader (they can all proceed).
 * Counters only go up, and each sleeper reads the wake counter before it re-checks STATE, so a
 * wake-up between the check and the sleep makes Atomics.wait return at once: none is lost.
 */
import { LockKind, LockSlot, initLockBlock } from './lock-block.js';
import { futexMutexLock, futexMutexUnlock } from './futex-mutex.js';
import { SPIN_LIMIT, parkOnWord, spinPause, unparkWord } from './spin-wait.js';
import {
  LOCK_MODE_READ,
  LOCK_MODE_READ_IRQ,
  LOCK_MODE_WRITE,
  lockdepAcquire,
  lockdepEnabled,
  lockdepRelease,
} from './lockdep.js';
import { POINT_LOCK, POINT_UNLOCK, schedGated, schedOn, schedPoint } from '../sched/turn-gate.js';

export const RW_LOCKED = 1;
export const RW_WAITING = 2;
const WRITER_MASK = RW_LOCKED | RW_WAITING;
export const RW_READER = 4;

/** Initializes the lock once, at creation, before other threads can reach it. */
export function rwlockInit(mem: Int32Array, base: number, lockClass: number): void {
  initLockBlock(mem, base, LockKind.RWLOCK, lockClass);
}

/** read_lock() in process context: queues behind a waiting writer. */
export function readLock(mem: Int32Array, base: number): void {
  if (schedOn) schedPoint(POINT_LOCK);
  if (lockdepEnabled) lockdepAcquire(mem, base, LOCK_MODE_READ, false);
  const state = Atomics.add(mem, base + LockSlot.STATE, RW_READER);
  if ((state & WRITER_MASK) === 0) return;
  readLockSlow(mem, base);
}

/** read_lock_nested(): read_lock() whose lockdep entry is `subclass` of the lock's class (a nesting annotation). */
export function readLockNested(mem: Int32Array, base: number, subclass: number): void {
  if (schedOn) schedPoint(POINT_LOCK);
  if (lockdepEnabled) lockdepAcquire(mem, base, LOCK_MODE_READ, false, subclass);
  const state = Atomics.add(mem, base + LockSlot.STATE, RW_READER);
  if ((state & WRITER_MASK) === 0) return;
  readLockSlow(mem, base);
}

/** read_lock() in irq context: passes a waiting writer, waits only for a holding one. */
export function readLockIrq(mem: Int32Array, base: number): void {
  if (schedOn) schedPoint(POINT_LOCK);
  if (lockdepEnabled) lockdepAcquire(mem, base, LOCK_MODE_READ_IRQ, false);
  const state = Atomics.add(mem, base + LockSlot.STATE, RW_READER);
  if ((state & RW_LOCKED) === 0) return;
  Atomics.add(mem, base + LockSlot.CONTENDED, 1);
  waitWhileWriteLocked(mem, base);
}

/** read_trylock(): true if the read lock was taken without waiting. */
export function readTryLock(mem: Int32Array, base: number): boolean {
  if (schedOn) schedPoint(POINT_LOCK);
  if ((Atomics.load(mem, base + LockSlot.STATE) & WRITER_MASK) !== 0) return false;
  const state = Atomics.add(mem, base + LockSlot.STATE, RW_READER);
  if ((state & WRITER_MASK) === 0) {
    if (lockdepEnabled) lockdepAcquire(mem, base, LOCK_MODE_READ, true);
    return true;
  }
  dropReader(mem, base);
  return false;
}

/** read_unlock(). */
export function readUnlock(mem: Int32Array, base: number): void {
  if (lockdepEnabled) lockdepRelease(mem, base);
  dropReader(mem, base);
  if (schedOn) schedPoint(POINT_UNLOCK);
}

function dropReader(mem: Int32Array, base: number): void {
  const state = Atomics.sub(mem, base + LockSlot.STATE, RW_READER) - RW_READER;
  // One compare on the fast path covers both rare cases: the last reader leaving a waiting writer
  // (state === WAITING) and a reader count that went below zero (state < 0).
  if (state <= RW_WAITING) readerLeftSlow(mem, base, state);
}

function readerLeftSlow(mem: Int32Array, base: number, state: number): void {
  if (state === RW_WAITING) {
    wakeWaitingWriter(mem, base);
  } else if (state < 0) {
    // An unlock without a matching lock, e.g. the lock was re-initialized under a reader (B9).
    Atomics.add(mem, base + LockSlot.CORRUPTIONS, 1);
  }
}

/** Pairs with the writer's read of WRITER_WAKE before it re-checks STATE (waitForReadersToDrain). */
function wakeWaitingWriter(mem: Int32Array, base: number): void {
  Atomics.add(mem, base + LockSlot.WRITER_WAKE, 1);
  unparkWord(mem, base + LockSlot.WRITER_WAKE, 1);
}

function readLockSlow(mem: Int32Array, base: number): void {
  Atomics.add(mem, base + LockSlot.CONTENDED, 1);
  // Step back out, queue behind the waiting writer (it holds QUEUE), then come back in.
  dropReader(mem, base);
  futexMutexLock(mem, base + LockSlot.QUEUE, base, SPIN_LIMIT);
  Atomics.add(mem, base + LockSlot.STATE, RW_READER);
  waitWhileWriteLocked(mem, base);
  futexMutexUnlock(mem, base + LockSlot.QUEUE);
}

/** The reader already counts itself in STATE; waits until no writer holds the lock. */
function waitWhileWriteLocked(mem: Int32Array, base: number): void {
  const stateIndex = base + LockSlot.STATE;
  // Under the turn gate nobody else runs while this thread spins: straight to the (gated) wait.
  const spinLimit = schedGated ? 0 : SPIN_LIMIT;
  for (let i = 0; i < spinLimit; i++) {
    if ((Atomics.load(mem, stateIndex) & RW_LOCKED) === 0) return;
    spinPause();
  }
  for (;;) {
    Atomics.add(mem, base + LockSlot.READER_SLEEPERS, 1);
    // Read the wake counter before re-checking STATE: a write unlock in between bumps it, and
    // the wait below then returns at once (pairs with writeUnlock's READER_SLEEPERS load).
    const wake = Atomics.load(mem, base + LockSlot.READER_WAKE);
    if ((Atomics.load(mem, stateIndex) & RW_LOCKED) === 0) {
      Atomics.sub(mem, base + LockSlot.READER_SLEEPERS, 1);
      return;
    }
    parkOnWord(mem, base + LockSlot.READER_WAKE, wake, base);
    Atomics.sub(mem, base + LockSlot.READER_SLEEPERS, 1);
  }
}

/** write_lock(). */
export function writeLock(mem: Int32Array, base: number): void {
  if (schedOn) schedPoint(POINT_LOCK);
  if (lockdepEnabled) lockdepAcquire(mem, base, LOCK_MODE_WRITE, false);
  if (Atomics.compareExchange(mem, base + LockSlot.STATE, 0, RW_LOCKED) === 0) return;
  writeLockSlow(mem, base);
}

/** write_trylock(): true if the write lock was taken without waiting. */
export function writeTryLock(mem: Int32Array, base: number): boolean {
  if (schedOn) schedPoint(POINT_LOCK);
  if (Atomics.compareExchange(mem, base + LockSlot.STATE, 0, RW_LOCKED) !== 0) return false;
  if (lockdepEnabled) lockdepAcquire(mem, base, LOCK_MODE_WRITE, true);
  return true;
}

function writeLockSlow(mem: Int32Array, base: number): void {
  const stateIndex = base + LockSlot.STATE;
  Atomics.add(mem, base + LockSlot.CONTENDED, 1);
  futexMutexLock(mem, base + LockSlot.QUEUE, base, SPIN_LIMIT);
  if (Atomics.compareExchange(mem, stateIndex, 0, RW_LOCKED) !== 0) {
    // Announce ourselves: from now on process-context readers queue behind us on QUEUE.
    Atomics.or(mem, stateIndex, RW_WAITING);
    waitForReadersToDrain(mem, base);
  }
  futexMutexUnlock(mem, base + LockSlot.QUEUE);
}

/** WAITING is set and we hold QUEUE: wait until STATE is exactly WAITING, then take LOCKED. */
function waitForReadersToDrain(mem: Int32Array, base: number): void {
  const stateIndex = base + LockSlot.STATE;
  let spins = 0;
  for (;;) {
    // Read the wake counter before the state (pairs with wakeWaitingWriter).
    const wake = Atomics.load(mem, base + LockSlot.WRITER_WAKE);
    if (
      Atomics.load(mem, stateIndex) === RW_WAITING &&
      Atomics.compareExchange(mem, stateIndex, RW_WAITING, RW_LOCKED) === RW_WAITING
    ) {
      return;
    }
    if (spins < SPIN_LIMIT && !schedGated) {
      spins++;
      spinPause();
    } else {
      parkOnWord(mem, base + LockSlot.WRITER_WAKE, wake, base);
    }
  }
}

/** write_unlock(): wakes a writer left waiting, and every sleeping reader (all can proceed). */
export function writeUnlock(mem: Int32Array, base: number): void {
  if (lockdepEnabled) lockdepRelease(mem, base);
  const state = Atomics.sub(mem, base + LockSlot.STATE, RW_LOCKED);
  if ((state & RW_LOCKED) === 0) {
    // Not write-locked: undo and count the corruption (B9-style re-init under a holder).
    Atomics.add(mem, base + LockSlot.STATE, RW_LOCKED);
    Atomics.add(mem, base + LockSlot.CORRUPTIONS, 1);
    return;
  }
  // A writer that queued while we held the lock waits for STATE === WAITING; if there are no
  // readers, this unlock is what made it so.
  if (state - RW_LOCKED === RW_WAITING) wakeWaitingWriter(mem, base);
  // Pairs with the READER_WAKE load in waitWhileWriteLocked.
  if (Atomics.load(mem, base + LockSlot.READER_SLEEPERS) !== 0) {
    Atomics.add(mem, base + LockSlot.READER_WAKE, 1);
    unparkWord(mem, base + LockSlot.READER_WAKE, Number.POSITIVE_INFINITY);
  }
  if (schedOn) schedPoint(POINT_UNLOCK);
}

/** Snapshot of the lock for stall dumps and the lock-sanity oracle. Cold path. */
export interface RwlockSnapshot {
  readers: number;
  writeLocked: boolean;
  writerWaiting: boolean;
  queueWord: number;
  sleepingReaders: number;
  ownerThread: number;
  contended: number;
  sleeps: number;
  corruptions: number;
}

export function rwlockSnapshot(mem: Int32Array, base: number): RwlockSnapshot {
  const state = Atomics.load(mem, base + LockSlot.STATE);
  return {
    readers: state >> 2,
    writeLocked: (state & RW_LOCKED) !== 0,
    writerWaiting: (state & RW_WAITING) !== 0,
    queueWord: Atomics.load(mem, base + LockSlot.QUEUE),
    sleepingReaders: Atomics.load(mem, base + LockSlot.READER_SLEEPERS),
    ownerThread: Atomics.load(mem, base + LockSlot.OWNER) - 1,
    contended: Atomics.load(mem, base + LockSlot.CONTENDED),
    sleeps: Atomics.load(mem, base + LockSlot.SLEEPS),
    corruptions: Atomics.load(mem, base + LockSlot.CORRUPTIONS),
  };
}

/** True if any thread holds the lock for write (a racy snapshot; for oracles and tests). */
export function isWriteLocked(mem: Int32Array, base: number): boolean {
  return (Atomics.load(mem, base + LockSlot.STATE) & RW_LOCKED) !== 0;
}

/** Current reader count (a racy snapshot; for oracles and tests). */
export function readerCount(mem: Int32Array, base: number): number {
  return Atomics.load(mem, base + LockSlot.STATE) >> 2;
}

