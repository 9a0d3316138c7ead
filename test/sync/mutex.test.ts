import { describe, expect, it } from 'vitest';
import { isMutexLocked, mutexInit, mutexLock, mutexTryLock, mutexUnlock } from '../../src/sync/mutex.js';
import { LockSlot } from '../../src/sync/lock-block.js';
import { LockClass } from '../../src/sync/lock-classes.js';
import { HammerKind, LockOp, ScriptSlot } from '../../src/sync/lock-script.js';
import { eventually, holdsFor, scriptMemory, startScripts } from '../support/lock-threads.js';

const M = ScriptSlot.FREE;
const FLAG = ScriptSlot.FREE + 32;

describe('mutex on one thread', () => {
  it('lock, trylock refused, unlock, trylock taken', () => {
    const { mem } = scriptMemory();
    mutexInit(mem, M, LockClass.TEST_A);
    mutexLock(mem, M);
    expect(isMutexLocked(mem, M)).toBe(true);
    expect(mutexTryLock(mem, M)).toBe(false);
    mutexUnlock(mem, M);
    expect(isMutexLocked(mem, M)).toBe(false);
    expect(mutexTryLock(mem, M)).toBe(true);
    mutexUnlock(mem, M);
    expect(Atomics.load(mem, M + LockSlot.CORRUPTIONS)).toBe(0);
  });

  it('an unlock of a free mutex is counted as corruption and leaves it free', () => {
    const { mem } = scriptMemory();
    mutexInit(mem, M, LockClass.TEST_A);
    mutexUnlock(mem, M);
    expect(Atomics.load(mem, M + LockSlot.CORRUPTIONS)).toBe(1);
    expect(isMutexLocked(mem, M)).toBe(false);
  });
});

describe('mutex across threads', () => {
  it('holder keeps it: the waiter sleeps, and wakes when it is released', async () => {
    const { buffer, mem } = scriptMemory();
    mutexInit(mem, M, LockClass.TEST_A);
    const [holderIn, release, waiterIn] = [FLAG, FLAG + 1, FLAG + 2];
    const run = startScripts(buffer, [
      [LockOp.MUTEX_LOCK, M, LockOp.SET, holderIn, 1, LockOp.WAIT_EQ, release, 1, LockOp.MUTEX_UNLOCK, M],
      [LockOp.WAIT_EQ, holderIn, 1, LockOp.MUTEX_LOCK, M, LockOp.STAMP, waiterIn, LockOp.MUTEX_UNLOCK, M],
    ]);
    // The waiter went to sleep in Atomics.wait (not just spinning).
    await eventually(() => Atomics.load(mem, M + LockSlot.SLEEPS) > 0, 20_000, 'waiter sleeps');
    expect(await holdsFor(() => Atomics.load(mem, waiterIn) === 0, 100)).toBe(true);
    Atomics.store(mem, release, 1);
    const outcomes = await run.done;
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(Atomics.load(mem, waiterIn)).toBeGreaterThan(0);
    expect(isMutexLocked(mem, M)).toBe(false);
  });

  it('8 threads on 2 cores: exclusion holds and no wake-up is lost', async () => {
    const { buffer, mem } = scriptMemory();
    mutexInit(mem, M, LockClass.TEST_A);
    const iterations = 20_000;
    const outcomes = await startScripts(
      buffer,
      Array.from({ length: 8 }, () => [LockOp.HAMMER, HammerKind.MUTEX, M, iterations]),
      { deadlineMs: 90_000 },
    ).done;
    // A lost wake-up would leave a thread asleep forever: it would be terminated at the deadline.
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(Atomics.load(mem, ScriptSlot.VIOLATIONS)).toBe(0);
    expect(Atomics.load(mem, ScriptSlot.VALUE_0)).toBe(8 * iterations);
    expect(isMutexLocked(mem, M)).toBe(false);
    expect(Atomics.load(mem, M + LockSlot.CONTENDED)).toBeGreaterThan(0);
  });
});
