/**
 * The only place the locks call Atomics.wait / Atomics.notify, in named functions, so a CPU
 * profile can tell time blocked in the kernel futex (`parkOnWord`) from time computing: V8 charges
 * blocked time as self time of the JS caller (concurrency-anchors 4.2).
 */
import { LockSlot } from './lock-block.js';
import { gateBlockOnWord, schedGated } from '../sched/turn-gate.js';

type AtomicsWithPause = typeof Atomics & { pause?: (hint?: number) => void };
const atomicsPause = (Atomics as AtomicsWithPause).pause;

/** Spins a lock tries before it sleeps: rwlock and mutex (as Rust std's futex locks). */
export const SPIN_LIMIT = 100;
/** A spinlock holder never sleeps inside its critical section, so waiters spin longer. */
export const SPINLOCK_SPIN_LIMIT = 1000;

/**
 * One spin-loop iteration: `Atomics.pause` where the runtime has it (Node 24+), otherwise
 * nothing (Node 20 has no pause; the caller's Atomics.load already costs ~8 ns).
 */
export const spinPause: () => void =
  atomicsPause !== undefined ? function spinPauseAtomics() { atomicsPause.call(Atomics); } : function spinPauseNoop() {};

/**
 * Sleeps while mem[index] === expected (futex wait). Returns at once if it differs. Under a
 * controlled schedule it blocks in the scheduler instead (src/sched/turn-gate.ts). Counts the
 * sleep in the lock block's SLEEPS slot (`statsBase` = the lock's base).
 */
export function parkOnWord(mem: Int32Array, index: number, expected: number, statsBase: number): void {
  Atomics.add(mem, statsBase + LockSlot.SLEEPS, 1);
  // Under the turn gate: blocked on the word, the turn handed over (never a wait holding the turn).
  if (schedGated) gateBlockOnWord(mem, index, expected);
  else Atomics.wait(mem, index, expected);
}

/** Wakes up to `count` threads parked on mem[index]. */
export function unparkWord(mem: Int32Array, index: number, count: number): void {
  Atomics.notify(mem, index, count);
}
