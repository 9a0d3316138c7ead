import { describe, expect, it } from 'vitest';
import {
  readLock,
  readLockIrq,
  readTryLock,
  readUnlock,
  rwlockInit,
  rwlockSnapshot,
  writeLock,
  writeTryLock,
  writeUnlock,
} from '../../src/sync/rwlock.js';
import { LockClass } from '../../src/sync/lock-classes.js';
import { HammerKind, LockOp, ScriptSlot } from '../../src/sync/lock-script.js';
import { eventually, holdsFor, scriptMemory, startScripts } from '../support/lock-threads.js';

const L = ScriptSlot.FREE; // the lock's block
const FLAG = ScriptSlot.FREE + 32; // flags and stamps, one per slot from here

describe('rwlock on one thread', () => {
  it('read lock then unlock leaves the lock free', () => {
    const { mem } = scriptMemory();
    rwlockInit(mem, L, LockClass.TEST_A);
    readLock(mem, L);
    readLock(mem, L);
    expect(rwlockSnapshot(mem, L).readers).toBe(2);
    readUnlock(mem, L);
    readUnlock(mem, L);
    expect(rwlockSnapshot(mem, L)).toMatchObject({ readers: 0, writeLocked: false, writerWaiting: false });
  });

  it('a held read lock refuses write_trylock; a held write lock refuses both trylocks', () => {
    const { mem } = scriptMemory();
    rwlockInit(mem, L, LockClass.TEST_A);
    readLock(mem, L);
    expect(writeTryLock(mem, L)).toBe(false);
    expect(readTryLock(mem, L)).toBe(true);
    readUnlock(mem, L);
    readUnlock(mem, L);
    expect(writeTryLock(mem, L)).toBe(true);
    expect(readTryLock(mem, L)).toBe(false);
    expect(writeTryLock(mem, L)).toBe(false);
    expect(rwlockSnapshot(mem, L)).toMatchObject({ readers: 0, writeLocked: true });
    writeUnlock(mem, L);
    writeLock(mem, L);
    writeUnlock(mem, L);
    expect(rwlockSnapshot(mem, L)).toMatchObject({ readers: 0, writeLocked: false, corruptions: 0 });
  });

  it('an irq reader gets a free lock like any reader', () => {
    const { mem } = scriptMemory();
    rwlockInit(mem, L, LockClass.TEST_A);
    readLockIrq(mem, L);
    expect(rwlockSnapshot(mem, L).readers).toBe(1);
    readUnlock(mem, L);
    expect(rwlockSnapshot(mem, L).readers).toBe(0);
  });

  it('unlocks without a lock are counted as corruption, not silently absorbed', () => {
    const { mem } = scriptMemory();
    rwlockInit(mem, L, LockClass.TEST_A);
    writeUnlock(mem, L);
    expect(rwlockSnapshot(mem, L)).toMatchObject({ writeLocked: false, corruptions: 1 });
    readLock(mem, L);
    rwlockInit(mem, L, LockClass.TEST_A); // re-initialized under a reader (history B9)
    readUnlock(mem, L);
    expect(rwlockSnapshot(mem, L).corruptions).toBe(1);
  });
});

describe('rwlock across threads', () => {
  it('reader holds the lock: writer waits, then gets it', async () => {
    const { buffer, mem } = scriptMemory();
    rwlockInit(mem, L, LockClass.TEST_A);
    const [readerIn, releaseReader, writerTrying, writerIn, readerOut] = [FLAG, FLAG + 1, FLAG + 2, FLAG + 3, FLAG + 4];
    const run = startScripts(buffer, [
      [LockOp.READ_LOCK, L, LockOp.SET, readerIn, 1, LockOp.WAIT_EQ, releaseReader, 1, LockOp.STAMP, readerOut, LockOp.READ_UNLOCK, L],
      [LockOp.WAIT_EQ, readerIn, 1, LockOp.SET, writerTrying, 1, LockOp.WRITE_LOCK, L, LockOp.STAMP, writerIn, LockOp.WRITE_UNLOCK, L],
    ]);
    await eventually(() => Atomics.load(mem, writerTrying) === 1, 20_000, 'writer starts trying');
    await eventually(() => rwlockSnapshot(mem, L).writerWaiting, 20_000, 'writer marks itself waiting');
    expect(await holdsFor(() => Atomics.load(mem, writerIn) === 0, 200)).toBe(true);
    Atomics.store(mem, releaseReader, 1);
    const outcomes = await run.done;
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(Atomics.load(mem, readerOut)).toBeLessThan(Atomics.load(mem, writerIn));
    expect(rwlockSnapshot(mem, L)).toMatchObject({ readers: 0, writeLocked: false, writerWaiting: false });
  });

  it('writer waiting: a process-context reader queues behind it, an irq reader passes it', async () => {
    const { buffer, mem } = scriptMemory();
    rwlockInit(mem, L, LockClass.TEST_A);
    const [firstIn, releaseFirst, irqIn, releaseIrq, writerIn, laterReaderTrying, laterReaderIn] = [
      FLAG, FLAG + 1, FLAG + 2, FLAG + 3, FLAG + 4, FLAG + 5, FLAG + 6,
    ];
    const run = startScripts(buffer, [
      [LockOp.READ_LOCK, L, LockOp.SET, firstIn, 1, LockOp.WAIT_EQ, releaseFirst, 1, LockOp.READ_UNLOCK, L],
      [LockOp.WAIT_EQ, firstIn, 1, LockOp.WRITE_LOCK, L, LockOp.STAMP, writerIn, LockOp.WRITE_UNLOCK, L],
    ]);
    await eventually(() => rwlockSnapshot(mem, L).writerWaiting, 20_000, 'writer waits for the first reader');
    // From here only the later process-context reader can take a slow path (the irq reader passes
    // a waiting writer on its fast path): CONTENDED going up proves that reader is queued.
    const contendedBefore = rwlockSnapshot(mem, L).contended;
    const late = startScripts(buffer, [
      [LockOp.SET, laterReaderTrying, 1, LockOp.READ_LOCK, L, LockOp.STAMP, laterReaderIn, LockOp.READ_UNLOCK, L],
      [LockOp.READ_LOCK_IRQ, L, LockOp.STAMP, irqIn, LockOp.WAIT_EQ, releaseIrq, 1, LockOp.READ_UNLOCK, L],
    ]);
    await eventually(() => Atomics.load(mem, irqIn) !== 0, 20_000, 'irq reader passes the waiting writer');
    await eventually(() => Atomics.load(mem, laterReaderTrying) === 1, 20_000, 'process reader starts');
    await eventually(() => rwlockSnapshot(mem, L).contended > contendedBefore, 20_000, 'process reader queues behind the writer');
    expect(await holdsFor(() => Atomics.load(mem, laterReaderIn) === 0 && Atomics.load(mem, writerIn) === 0, 200)).toBe(true);
    Atomics.store(mem, releaseIrq, 1);
    Atomics.store(mem, releaseFirst, 1);
    const outcomes = [...(await run.done), ...(await late.done)];
    expect(outcomes.every((o) => o.ok)).toBe(true);
    // The writer, queued first, got the lock before the process-context reader that came later.
    expect(Atomics.load(mem, writerIn)).toBeLessThan(Atomics.load(mem, laterReaderIn));
    expect(Atomics.load(mem, irqIn)).toBeLessThan(Atomics.load(mem, writerIn));
    expect(rwlockSnapshot(mem, L)).toMatchObject({ readers: 0, writeLocked: false, writerWaiting: false, corruptions: 0 });
  });

  it('writers get the lock under a continuous stream of readers', async () => {
    const { buffer, mem } = scriptMemory();
    rwlockInit(mem, L, LockClass.TEST_A);
    const writerDone = FLAG;
    const readerIterations = 20_000_000; // far more than the readers can do before the writers finish
    const readers = [0, 1, 2, 3].map(() => [LockOp.HAMMER, HammerKind.READ, L, readerIterations]);
    const writers = [0, 1].map(() => [LockOp.HAMMER, HammerKind.WRITE, L, 200, LockOp.STAMP, writerDone]);
    const run = startScripts(buffer, [...readers, ...writers], { deadlineMs: 90_000 });
    await eventually(() => Atomics.load(mem, writerDone) !== 0, 60_000, 'a writer finishes 200 acquisitions');
    await eventually(() => Atomics.load(mem, ScriptSlot.ACQUISITIONS_0 + 4) + Atomics.load(mem, ScriptSlot.ACQUISITIONS_0 + 5) === 400, 60_000, 'both writers finish');
    const readerAcquisitions = [0, 1, 2, 3].map((i) => Atomics.load(mem, ScriptSlot.ACQUISITIONS_0 + i));
    // The readers were still streaming when the writers finished: writers were not starved.
    expect(readerAcquisitions.every((n) => n < readerIterations)).toBe(true);
    expect(Atomics.load(mem, ScriptSlot.VIOLATIONS)).toBe(0);
    await run.terminate();
    expect(run.running()).toBe(0);
  });

  it('8 threads on 2 cores: mutual exclusion holds and no value is seen torn', async () => {
    const { buffer, mem } = scriptMemory();
    rwlockInit(mem, L, LockClass.TEST_A);
    const iterations = 20_000;
    const scripts = [
      ...[0, 1, 2].map(() => [LockOp.HAMMER, HammerKind.WRITE, L, iterations]),
      ...[0, 1, 2, 3].map(() => [LockOp.HAMMER, HammerKind.READ, L, iterations]),
      [LockOp.HAMMER, HammerKind.READ_IRQ, L, iterations],
    ];
    const outcomes = await startScripts(buffer, scripts, { deadlineMs: 90_000 }).done;
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(Atomics.load(mem, ScriptSlot.VIOLATIONS)).toBe(0);
    expect(Atomics.load(mem, ScriptSlot.TORN_READS)).toBe(0);
    for (let t = 0; t < 8; t++) expect(Atomics.load(mem, ScriptSlot.ACQUISITIONS_0 + t)).toBe(iterations);
    // The three writers' increments are all there: no lost update under the write lock.
    expect(Atomics.load(mem, ScriptSlot.VALUE_0)).toBe(3 * iterations);
    const snapshot = rwlockSnapshot(mem, L);
    expect(snapshot).toMatchObject({ readers: 0, writeLocked: false, writerWaiting: false, queueWord: 0, corruptions: 0 });
    // The run was contended for real: some acquisitions took the slow path.
    expect(snapshot.contended).toBeGreaterThan(0);
  });
});
