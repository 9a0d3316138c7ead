/**
 * !!! BROKEN ON PURPOSE — never use these to protect anything. !!!
 *
 * Deliberately wrong lock variants for the torture's self-test (`gpc-lab torture --lock broken-...`):
 * a torture that passes the real locks must catch each of these, or the torture proves nothing.
 * Each keeps the shape of the real lock (same lock block, lock-block.ts) and breaks one thing:
 *
 *  - brokenRwlock*: the writer does not wait for readers to drain (it only excludes other
 *    writers). Caught as "writer saw a reader" and as torn multi-word reads.
 *  - brokenMutex*: unlock never wakes a sleeper (a lost wake-up, as if futex_wake were forgotten).
 *    Sleepers sleep forever in Atomics.wait: caught as a stall by the watchdog.
 *  - brokenSpin*: test-then-set with a plain load and a store instead of one compareExchange
 *    (check-then-act). Two waiters that both see the lock free both take it: caught as
 *    "holder saw another holder" and lost updates.
 *
 * The slots used are the real ones (STATE, READER_WAKE, QUEUE, SLEEPS), so stall dumps and lock
 * snapshots read them the same way.
 */
import { LockKind, LockSlot, initLockBlock } from './lock-block.js';
import { futexMutexLock, futexMutexUnlock } from './futex-mutex.js';
import { SPIN_LIMIT, parkOnWord, spinPause, unparkWord } from './spin-wait.js';

const LOCKED = 1;
const READER = 4;

// ---- broken rwlock: the writer does not wait for readers --------------------------------------

export function brokenRwlockInit(mem: Int32Array, base: number, lockClass: number): void {
  initLockBlock(mem, base, LockKind.RWLOCK, lockClass);
}

/** Reader: correct (waits while a writer holds the lock). Also used for irq readers. */
export function brokenRwlockReadLock(mem: Int32Array, base: number): void {
  const state = Atomics.add(mem, base + LockSlot.STATE, READER);
  if ((state & LOCKED) === 0) return;
  for (;;) {
    // Read the wake counter before the state (pairs with brokenRwlockWriteUnlock).
    const wake = Atomics.load(mem, base + LockSlot.READER_WAKE);
    if ((Atomics.load(mem, base + LockSlot.STATE) & LOCKED) === 0) return;
    parkOnWord(mem, base + LockSlot.READER_WAKE, wake, base);
  }
}

export function brokenRwlockReadUnlock(mem: Int32Array, base: number): void {
  Atomics.sub(mem, base + LockSlot.STATE, READER);
}

/** BROKEN: serializes writers on QUEUE, sets LOCKED, and enters with readers still inside. */
export function brokenRwlockWriteLock(mem: Int32Array, base: number): void {
  futexMutexLock(mem, base + LockSlot.QUEUE, base, SPIN_LIMIT);
  Atomics.or(mem, base + LockSlot.STATE, LOCKED);
  // The real lock waits here until the reader count is 0. This one does not.
}

export function brokenRwlockWriteUnlock(mem: Int32Array, base: number): void {
  Atomics.and(mem, base + LockSlot.STATE, ~LOCKED);
  Atomics.add(mem, base + LockSlot.READER_WAKE, 1);
  unparkWord(mem, base + LockSlot.READER_WAKE, Number.POSITIVE_INFINITY);
  futexMutexUnlock(mem, base + LockSlot.QUEUE);
}

// ---- broken mutex: unlock forgets to wake a sleeper -------------------------------------------

export function brokenMutexInit(mem: Int32Array, base: number, lockClass: number): void {
  initLockBlock(mem, base, LockKind.MUTEX, lockClass);
}

/** Lock: the real three-state futex mutex (0 free, 1 held, 2 held + sleepers). */
export function brokenMutexLock(mem: Int32Array, base: number): void {
  const word = base + LockSlot.STATE;
  if (Atomics.compareExchange(mem, word, 0, 1) === 0) return;
  for (let i = 0; i < SPIN_LIMIT; i++) {
    if (Atomics.load(mem, word) === 0 && Atomics.compareExchange(mem, word, 0, 1) === 0) return;
    spinPause();
  }
  let state = Atomics.exchange(mem, word, 2);
  while (state !== 0) {
    parkOnWord(mem, word, 2, base);
    state = Atomics.exchange(mem, word, 2);
  }
}

/** BROKEN: frees the word but never notifies, even when it was 2 (sleepers): a lost wake-up. */
export function brokenMutexUnlock(mem: Int32Array, base: number): void {
  Atomics.store(mem, base + LockSlot.STATE, 0);
  // The real unlock calls Atomics.notify(mem, word, 1) here when the word was 2.
}

// ---- broken spinlock: check, then set ---------------------------------------------------------

export function brokenSpinInit(mem: Int32Array, base: number, lockClass: number): void {
  initLockBlock(mem, base, LockKind.SPINLOCK, lockClass);
}

/** BROKEN: load, then store: two threads that both saw 0 both own the lock. */
export function brokenSpinLock(mem: Int32Array, base: number): void {
  const word = base + LockSlot.STATE;
  let spins = 0;
  while (Atomics.load(mem, word) !== 0) {
    if (spins < SPIN_LIMIT) {
      spins++;
      spinPause();
    } else {
      // Sleep until the word changes (unlock always notifies, so this cannot sleep forever).
      parkOnWord(mem, word, 1, base);
    }
  }
  Atomics.store(mem, word, 1); // the real lock does compareExchange(0 -> 1) and retries on failure
}

export function brokenSpinUnlock(mem: Int32Array, base: number): void {
  Atomics.store(mem, base + LockSlot.STATE, 0);
  unparkWord(mem, base + LockSlot.STATE, Number.POSITIVE_INFINITY);
}
