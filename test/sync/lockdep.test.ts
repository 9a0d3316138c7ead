import { afterEach, describe, expect, it } from 'vitest';
import {
  LockdepError,
  assertHeld,
  createLockdepBuffer,
  lockdepDisable,
  lockdepEnable,
  lockdepFindingCount,
  lockdepHeldCount,
  lockdepHeldDescription,
  lockdepSetSubclass,
  readLockdepFindings,
} from '../../src/sync/lockdep.js';
import { readLock, readLockIrq, readLockNested, readTryLock, readUnlock, rwlockInit, writeLock, writeUnlock } from '../../src/sync/rwlock.js';
import { mutexInit, mutexLock, mutexTryLock, mutexUnlock } from '../../src/sync/mutex.js';
import { spinLock, spinLockInit, spinUnlock } from '../../src/sync/spinlock.js';
import { LockClass } from '../../src/sync/lock-classes.js';
import { LockOp, ScriptSlot } from '../../src/sync/lock-script.js';
import { scriptMemory, startScripts } from '../support/lock-threads.js';

const A = ScriptSlot.FREE;
const B = ScriptSlot.FREE + 16;
const C = ScriptSlot.FREE + 32;

afterEach(() => lockdepDisable());

describe('lockdep-lite on one thread', () => {
  it('re-locking a held mutex throws before it could deadlock', () => {
    const { mem } = scriptMemory();
    mutexInit(mem, A, LockClass.TEST_A);
    lockdepEnable(createLockdepBuffer(), 0, 'main');
    mutexLock(mem, A);
    expect(() => mutexLock(mem, A)).toThrow(/possible recursive locking.*A@/);
    mutexUnlock(mem, A);
    expect(lockdepHeldCount()).toBe(0);
  });

  it('a process-context read inside a held write lock is recursion; a second irq read is allowed', () => {
    const { mem } = scriptMemory();
    rwlockInit(mem, A, LockClass.TEST_A);
    lockdepEnable(createLockdepBuffer(), 0, 'main');
    writeLock(mem, A);
    expect(() => readLock(mem, A)).toThrow(LockdepError);
    writeUnlock(mem, A);
    readLock(mem, A);
    readLockIrq(mem, A);
    readUnlock(mem, A);
    readUnlock(mem, A);
    expect(lockdepHeldCount()).toBe(0);
  });

  it('unlocking a lock this thread does not hold throws', () => {
    const { mem } = scriptMemory();
    mutexInit(mem, A, LockClass.TEST_A);
    lockdepEnable(createLockdepBuffer(), 0, 'main');
    expect(() => mutexUnlock(mem, A)).toThrow(/bad unlock balance/);
  });

  it('taking a mutex under a spinlock is sleeping in atomic context', () => {
    const { mem } = scriptMemory();
    spinLockInit(mem, A, LockClass.TEST_A);
    mutexInit(mem, B, LockClass.TEST_B);
    lockdepEnable(createLockdepBuffer(), 0, 'main');
    spinLock(mem, A);
    expect(() => mutexLock(mem, B)).toThrow(/sleeping lock B@.* atomic context/);
    // A trylock cannot sleep, so it is allowed.
    expect(mutexTryLock(mem, B)).toBe(true);
    mutexUnlock(mem, B);
    spinUnlock(mem, A);
  });

  it('assertHeld passes for the right mode and throws otherwise', () => {
    const { mem } = scriptMemory();
    rwlockInit(mem, A, LockClass.TEST_A);
    lockdepEnable(createLockdepBuffer(), 0, 'main');
    expect(() => assertHeld(mem, A, 'any')).toThrow(/lock not held/);
    readLock(mem, A);
    assertHeld(mem, A, 'read');
    assertHeld(mem, A, 'any');
    expect(() => assertHeld(mem, A, 'write')).toThrow(/holds it for read/);
    readUnlock(mem, A);
    writeLock(mem, A);
    assertHeld(mem, A, 'write');
    writeUnlock(mem, A);
  });

  it('consistent nesting A -> B -> C records no finding', () => {
    const { mem } = scriptMemory();
    for (const [base, cls] of [[A, LockClass.TEST_A], [B, LockClass.TEST_B], [C, LockClass.TEST_C]] as const) mutexInit(mem, base, cls);
    const buffer = createLockdepBuffer();
    lockdepEnable(buffer, 0, 'main');
    for (let i = 0; i < 3; i++) {
      mutexLock(mem, A);
      mutexLock(mem, B);
      mutexLock(mem, C);
      mutexUnlock(mem, C);
      mutexUnlock(mem, B);
      mutexUnlock(mem, A);
    }
    expect(lockdepFindingCount(buffer)).toBe(0);
  });
});

describe('lockdep-lite subclasses (lock_set_subclass, read_lock_nested)', () => {
  /** Two rwlocks of one class, like a vCPU's runstate gpc1 and gpc2 (both gpc.lock). */
  function twoOfOneClass(): Int32Array {
    const { mem } = scriptMemory();
    rwlockInit(mem, A, LockClass.TEST_A);
    rwlockInit(mem, B, LockClass.TEST_A);
    return mem;
  }

  it('without an annotation, nesting two locks of one class in both orders goes unchecked (no edge within a class)', () => {
    const mem = twoOfOneClass();
    const buffer = createLockdepBuffer();
    lockdepEnable(buffer, 0, 'main');
    readLock(mem, A);
    readLock(mem, B);
    readUnlock(mem, B);
    readUnlock(mem, A);
    readLock(mem, B);
    readLock(mem, A);
    readUnlock(mem, A);
    readUnlock(mem, B);
    expect(lockdepFindingCount(buffer)).toBe(0);
  });

  it('gpc1 set to subclass 1 then gpc2 taken, always in that order: the edge A/1 -> A is recorded and no finding', () => {
    const mem = twoOfOneClass();
    const buffer = createLockdepBuffer();
    lockdepEnable(buffer, 0, 'main');
    for (let i = 0; i < 3; i++) {
      readLock(mem, A);
      lockdepSetSubclass(mem, A, 1);
      expect(lockdepHeldDescription()).toEqual(['A/1(read)']);
      readLock(mem, B);
      expect(lockdepHeldDescription()).toEqual(['A/1(read)', 'A(read)']);
      readUnlock(mem, B);
      readUnlock(mem, A);
    }
    expect(lockdepFindingCount(buffer)).toBe(0);
    expect(lockdepHeldCount()).toBe(0);
  });

  it('the reverse nesting (gpc2 held, then gpc1 taken and set to subclass 1) closes a cycle A/1 -> A -> A/1, reported with both chains', () => {
    const mem = twoOfOneClass();
    const buffer = createLockdepBuffer();
    lockdepEnable(buffer, 0, 'main');
    readLock(mem, A);
    lockdepSetSubclass(mem, A, 1);
    readLock(mem, B);
    readUnlock(mem, B);
    readUnlock(mem, A);
    expect(lockdepFindingCount(buffer)).toBe(0);
    // The reverse order: B first (subclass 0), then A, re-set to subclass 1 (the re-validation adds A -> A/1).
    readLock(mem, B);
    readLock(mem, A);
    lockdepSetSubclass(mem, A, 1);
    readUnlock(mem, A);
    readUnlock(mem, B);
    const findings = readLockdepFindings(buffer);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ kind: 'order-inversion', chainA: ['A', 'A/1'], chainB: ['A/1', 'A'] });
    expect(findings[0]!.message).toMatch(/took A\/1 while holding A /);
  });

  it('read_lock_nested takes the lock at its subclass: nested(1) then plain, and plain then nested(1), is a cycle', () => {
    const mem = twoOfOneClass();
    const buffer = createLockdepBuffer();
    lockdepEnable(buffer, 0, 'main');
    readLockNested(mem, A, 1);
    readLock(mem, B);
    readUnlock(mem, B);
    readUnlock(mem, A);
    readLock(mem, B);
    readLockNested(mem, A, 1);
    readUnlock(mem, A);
    readUnlock(mem, B);
    expect(lockdepFindingCount(buffer)).toBe(1);
  });

  it('trylocks add no order edge, also when a trylocked lock gets its subclass (the atomic runstate path)', () => {
    const mem = twoOfOneClass();
    const buffer = createLockdepBuffer();
    lockdepEnable(buffer, 0, 'main');
    readLock(mem, A);
    lockdepSetSubclass(mem, A, 1);
    readLock(mem, B);
    readUnlock(mem, B);
    readUnlock(mem, A);
    expect(readTryLock(mem, B)).toBe(true);
    expect(readTryLock(mem, A)).toBe(true);
    lockdepSetSubclass(mem, A, 1);
    readUnlock(mem, A);
    readUnlock(mem, B);
    expect(lockdepFindingCount(buffer)).toBe(0);
  });

  it('setting the subclass of a lock this thread does not hold, or an out-of-range subclass, throws', () => {
    const mem = twoOfOneClass();
    lockdepEnable(createLockdepBuffer(), 0, 'main');
    expect(() => lockdepSetSubclass(mem, A, 1)).toThrow(/lock_set_subclass on a lock not held/);
    readLock(mem, A);
    expect(() => lockdepSetSubclass(mem, A, 9)).toThrow(/subclass 9 out of range/);
    readUnlock(mem, A);
  });
});

describe('lockdep-lite across threads', () => {
  it('thread 0 takes A then B, thread 1 later takes B then A: the inversion is reported with both chains', async () => {
    const { buffer, mem } = scriptMemory();
    mutexInit(mem, A, LockClass.TEST_A);
    mutexInit(mem, B, LockClass.TEST_B);
    const lockdep = createLockdepBuffer();
    // One after the other: the inversion is found from the recorded order, no deadlock needed.
    const first = await startScripts(buffer, [[LockOp.MUTEX_LOCK, A, LockOp.MUTEX_LOCK, B, LockOp.MUTEX_UNLOCK, B, LockOp.MUTEX_UNLOCK, A]], { lockdep }).done;
    expect(first.every((o) => o.ok)).toBe(true);
    expect(lockdepFindingCount(lockdep)).toBe(0);
    const second = await startScripts(
      buffer,
      [[], [LockOp.MUTEX_LOCK, B, LockOp.MUTEX_LOCK, A, LockOp.MUTEX_UNLOCK, A, LockOp.MUTEX_UNLOCK, B]],
      { lockdep },
    ).done;
    expect(second.every((o) => o.ok)).toBe(true);
    const findings = readLockdepFindings(lockdep);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ kind: 'order-inversion', thread: 1, chainA: ['B', 'A'], chainB: ['A', 'B'], chainBThread: 0 });
    expect(findings[0]!.message).toMatch(/circular locking dependency/);
  });

  it('a thread that re-locks a held mutex dies with a lockdep error instead of hanging', async () => {
    const { buffer, mem } = scriptMemory();
    mutexInit(mem, A, LockClass.TEST_A);
    const outcomes = await startScripts(buffer, [[LockOp.MUTEX_LOCK, A, LockOp.MUTEX_LOCK, A]], {
      lockdep: createLockdepBuffer(),
      deadlineMs: 30_000,
    }).done;
    expect(outcomes[0]).toMatchObject({ ok: false });
    expect(outcomes[0]!.error).toMatch(/LockdepError: possible recursive locking/);
  });
});
