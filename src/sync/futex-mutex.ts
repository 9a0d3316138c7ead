/**
 * A three-state futex mutex on one Int32 word (Drepper, "Futexes are tricky", mutex #2):
 * 0 free, 1 held, 2 held and someone may sleep. The building block of the mutex, the spinlock and
 * the rwlock's wait queue. Lock: one compareExchange when free; unlock: one sub, plus a store and
 * a notify only when someone may sleep. No lost wake-up: a sleeper always first swaps the word to
 * 2, so the unlock that follows sees 2 and wakes one.
 */
import { LockSlot } from './lock-block.js';
import { parkOnWord, spinPause, unparkWord } from './spin-wait.js';
import { schedGated } from '../sched/turn-gate.js';

const FREE = 0;
const HELD = 1;
const HELD_WITH_SLEEPERS = 2;

/** Takes the futex mutex at mem[word]; spins `spinLimit` times before it sleeps. */
export function futexMutexLock(mem: Int32Array, word: number, statsBase: number, spinLimit: number): void {
  if (Atomics.compareExchange(mem, word, FREE, HELD) === FREE) return;
  futexMutexLockSlow(mem, word, statsBase, spinLimit);
}

function futexMutexLockSlow(mem: Int32Array, word: number, statsBase: number, spinLimit: number): void {
  Atomics.add(mem, statsBase + LockSlot.CONTENDED, 1);
  // Under the turn gate nobody else runs while this thread spins: straight to the (gated) wait.
  const spins = schedGated ? 0 : spinLimit;
  for (let i = 0; i < spins; i++) {
    if (Atomics.load(mem, word) === FREE && Atomics.compareExchange(mem, word, FREE, HELD) === FREE) return;
    spinPause();
  }
  // From here on we may sleep: mark the word so the holder's unlock wakes someone.
  let state = Atomics.exchange(mem, word, HELD_WITH_SLEEPERS);
  while (state !== FREE) {
    parkOnWord(mem, word, HELD_WITH_SLEEPERS, statsBase);
    state = Atomics.exchange(mem, word, HELD_WITH_SLEEPERS);
  }
}

/** One attempt; true if taken. */
export function futexMutexTryLock(mem: Int32Array, word: number): boolean {
  return Atomics.compareExchange(mem, word, FREE, HELD) === FREE;
}

/**
 * One attempt of a waiter that sleeps outside this module (the main thread's Atomics.waitAsync on
 * the word): true if taken. Like the slow path of futexMutexLock it swaps the word to "held, may
 * have sleepers" whether or not it gets the mutex, so the unlock that follows wakes someone: a
 * plain try-lock (0 -> 1) after being woken would erase the mark of another sleeper that the same
 * unlock's single wake passed over, and that sleeper would never be woken. On false, the caller
 * sleeps while the word is still HELD_WITH_SLEEPERS (its value on return).
 */
export function futexMutexTryLockAsWaiter(mem: Int32Array, word: number): boolean {
  return Atomics.exchange(mem, word, HELD_WITH_SLEEPERS) === FREE;
}

/** The word's value while it is held and a waiter may sleep (what futexMutexTryLockAsWaiter's caller waits on). */
export const FUTEX_HELD_WITH_SLEEPERS = HELD_WITH_SLEEPERS;

/**
 * Releases the futex mutex; wakes one sleeper if there may be one. Returns false, and leaves the
 * word free, if the mutex was not held (an unlock without a lock: the caller counts it).
 */
export function futexMutexUnlock(mem: Int32Array, word: number): boolean {
  const previous = Atomics.sub(mem, word, 1);
  if (previous === HELD) return true;
  if (previous === FREE) {
    Atomics.add(mem, word, 1);
    return false;
  }
  Atomics.store(mem, word, FREE);
  unparkWord(mem, word, 1);
  return true;
}
