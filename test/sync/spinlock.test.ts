import { describe, expect, it } from 'vitest';
import { SPINLOCK_WAITER_VALUE, isSpinLocked, spinLock, spinLockInit, spinTryLock, spinTryLockAsWaiter, spinUnlock } from '../../src/sync/spinlock.js';
import { LockSlot } from '../../src/sync/lock-block.js';
import { LockClass } from '../../src/sync/lock-classes.js';
import { HammerKind, LockOp, ScriptSlot } from '../../src/sync/lock-script.js';
import { scriptMemory, startScripts } from '../support/lock-threads.js';

const S = ScriptSlot.FREE;

describe('spinlock', () => {
  it('lock, trylock refused, unlock, trylock taken', () => {
    const { mem } = scriptMemory();
    spinLockInit(mem, S, LockClass.TEST_A);
    spinLock(mem, S);
    expect(spinTryLock(mem, S)).toBe(false);
    spinUnlock(mem, S);
    expect(spinTryLock(mem, S)).toBe(true);
    spinUnlock(mem, S);
    expect(isSpinLocked(mem, S)).toBe(false);
  });

  it('an asynchronous waiter (the main thread on mn_invalidate_lock) marks the word "held, may have sleepers" on every attempt, so the unlock after it wakes a thread parked in spinLock', () => {
    const { mem } = scriptMemory();
    spinLockInit(mem, S, LockClass.TEST_A);
    spinLock(mem, S);
    // Refused: the word now says a sleeper may wait, whatever it said before.
    expect(spinTryLockAsWaiter(mem, S)).toBe(false);
    expect(Atomics.load(mem, S + LockSlot.STATE)).toBe(SPINLOCK_WAITER_VALUE);
    spinUnlock(mem, S);
    expect(Atomics.load(mem, S + LockSlot.STATE)).toBe(0);
    // Taken after a wake: still marked, so its own unlock wakes whoever the first wake passed over
    // (a plain try-lock, 0 -> 1, would have left 1 and its unlock would wake nobody).
    expect(spinTryLockAsWaiter(mem, S)).toBe(true);
    expect(Atomics.load(mem, S + LockSlot.STATE)).toBe(SPINLOCK_WAITER_VALUE);
    expect(spinTryLock(mem, S)).toBe(false);
    spinUnlock(mem, S);
    expect(isSpinLocked(mem, S)).toBe(false);
    expect(Atomics.load(mem, S + LockSlot.CORRUPTIONS)).toBe(0);
  });

  it('8 threads on 2 cores: every thread finishes though holders get preempted', async () => {
    const { buffer, mem } = scriptMemory();
    spinLockInit(mem, S, LockClass.TEST_A);
    const iterations = 20_000;
    const outcomes = await startScripts(
      buffer,
      Array.from({ length: 8 }, () => [LockOp.HAMMER, HammerKind.SPIN, S, iterations]),
      { deadlineMs: 90_000 },
    ).done;
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(Atomics.load(mem, ScriptSlot.VIOLATIONS)).toBe(0);
    expect(Atomics.load(mem, ScriptSlot.VALUE_0)).toBe(8 * iterations);
    expect(isSpinLocked(mem, S)).toBe(false);
    expect(Atomics.load(mem, S + LockSlot.CORRUPTIONS)).toBe(0);
  });
});
