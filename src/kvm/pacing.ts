/**
 * Pacing for the threads that run at a rate (notifier, evtchn, juggler): a Poisson-like schedule
 * of due times drawn from the thread's seeded stream, slept in Atomics.wait on a private word
 * (under a controlled schedule: in model time, steps, with the turn handed over).
 * Each paced loop waits for its turn with `waitForPacedTurn`, which also shows the thread as
 * "pacing" in run control meanwhile (so a stall dump tells a sleeping thread from a stuck one).
 */
import type { Random } from '../util/random.js';
import { gateSleepMs, modelNowMs, schedGated, schedYield } from '../sched/turn-gate.js';

/** Longest single pacing sleep: a paced thread sees a stop request within this. */
export const PACING_SLICE_MS = 20;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Sleeps ms milliseconds (nothing for ms <= 0). */
export function sleepMs(ms: number): void {
  if (ms <= 0) return;
  // Under the turn gate: model time (steps), the turn handed over meanwhile.
  if (schedGated) gateSleepMs(ms);
  else Atomics.wait(sleeper, 0, 0, ms);
}

/**
 * cond_resched(): give the CPU to other runnable threads. Node has no sched_yield; a futex wait
 * with a ~20 µs timeout is the nearest: on an oversubscribed machine the OS runs someone else,
 * on an idle one it costs the timeout. Used where the kernel calls cond_resched in a retry loop.
 */
export function condResched(): void {
  // Under the turn gate: a yield (PCT lowers this thread's priority, so a retry loop ends).
  if (schedGated) schedYield();
  else Atomics.wait(sleeper, 0, 0, 0.02);
}

/** A schedule of operations at `ratePerS` on average. Allocated once per thread. */
export class Pacer {
  private due = modelNowMs();

  constructor(
    private readonly ratePerS: number,
    private readonly rng: Random,
  ) {}

  /** Waits until the next operation is due (at most maxWaitMs, so a stop is noticed); returns true if it is due. */
  waitTurn(maxWaitMs: number): boolean {
    if (this.ratePerS <= 0) {
      sleepMs(maxWaitMs);
      return false;
    }
    const now = modelNowMs();
    if (now < this.due) {
      const wait = this.due - now;
      if (wait > maxWaitMs) {
        sleepMs(maxWaitMs);
        return false;
      }
      sleepMs(wait);
    } else if (now - this.due > 1000) {
      // Far behind (the thread was blocked): do not burst to catch up.
      this.due = now;
    }
    // Exponential gaps with the requested mean.
    this.due += (-Math.log(1 - this.rng.nextUint32() / 4294967296) * 1000) / this.ratePerS;
    return true;
  }
}
