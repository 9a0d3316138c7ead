/**
 * Thread role `lock-script`: runs a small script of lock operations over shared memory, for the
 * lock tests (test/sync/). A script is a flat Int32Array of ops; ops that take a lock name it by
 * its base slot. Every wait is bounded: a stuck step throws, which ends the thread with an error
 * the test sees (never a silent hang).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readLock, readLockIrq, readUnlock, writeLock, writeUnlock } from '../src/sync/rwlock.js';
import { mutexLock, mutexUnlock } from '../src/sync/mutex.js';
import { spinLock, spinUnlock } from '../src/sync/spinlock.js';
import { lockdepEnable } from '../src/sync/lockdep.js';
import { LockOp, HammerKind, ScriptSlot } from '../src/sync/lock-script.js';

interface LockScriptData {
  memory: SharedArrayBuffer;
  script: Int32Array;
  threadIndex: number;
  lockdep?: SharedArrayBuffer;
  waitLimitMs: number;
}

const data = workerData as LockScriptData;
const mem = new Int32Array(data.memory);
if (data.lockdep) lockdepEnable(data.lockdep, data.threadIndex, `script-${data.threadIndex}`);

function waitUntilEquals(slot: number, value: number, limitMs: number): void {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const seen = Atomics.load(mem, slot);
    if (seen === value) return;
    if (Date.now() > deadline) {
      throw new Error(`thread ${data.threadIndex}: slot ${slot} stayed ${seen}, expected ${value}, for ${limitMs} ms`);
    }
    Atomics.wait(mem, slot, seen, 20);
  }
}

function hammer(kind: number, base: number, iterations: number): void {
  for (let i = 0; i < iterations; i++) {
    if (kind === HammerKind.WRITE || kind === HammerKind.MUTEX || kind === HammerKind.SPIN) {
      if (kind === HammerKind.WRITE) writeLock(mem, base);
      else if (kind === HammerKind.MUTEX) mutexLock(mem, base);
      else spinLock(mem, base);
      const writersBefore = Atomics.add(mem, ScriptSlot.WRITERS_INSIDE, 1);
      if (writersBefore !== 0 || Atomics.load(mem, ScriptSlot.READERS_INSIDE) !== 0) {
        Atomics.add(mem, ScriptSlot.VIOLATIONS, 1);
      }
      const value = Atomics.load(mem, ScriptSlot.VALUE_0) + 1;
      for (let w = 0; w < 8; w++) Atomics.store(mem, ScriptSlot.VALUE_0 + w * 16, value);
      Atomics.sub(mem, ScriptSlot.WRITERS_INSIDE, 1);
      if (kind === HammerKind.WRITE) writeUnlock(mem, base);
      else if (kind === HammerKind.MUTEX) mutexUnlock(mem, base);
      else spinUnlock(mem, base);
    } else {
      if (kind === HammerKind.READ_IRQ) readLockIrq(mem, base);
      else readLock(mem, base);
      Atomics.add(mem, ScriptSlot.READERS_INSIDE, 1);
      if (Atomics.load(mem, ScriptSlot.WRITERS_INSIDE) !== 0) Atomics.add(mem, ScriptSlot.VIOLATIONS, 1);
      const first = Atomics.load(mem, ScriptSlot.VALUE_0);
      for (let w = 1; w < 8; w++) {
        if (Atomics.load(mem, ScriptSlot.VALUE_0 + w * 16) !== first) Atomics.add(mem, ScriptSlot.TORN_READS, 1);
      }
      Atomics.sub(mem, ScriptSlot.READERS_INSIDE, 1);
      readUnlock(mem, base);
    }
    Atomics.add(mem, ScriptSlot.ACQUISITIONS_0 + data.threadIndex, 1);
  }
}

function run(script: Int32Array): void {
  let pc = 0;
  for (;;) {
    const op = script[pc++]!;
    switch (op) {
      case LockOp.END: return;
      case LockOp.READ_LOCK: readLock(mem, script[pc++]!); break;
      case LockOp.READ_LOCK_IRQ: readLockIrq(mem, script[pc++]!); break;
      case LockOp.READ_UNLOCK: readUnlock(mem, script[pc++]!); break;
      case LockOp.WRITE_LOCK: writeLock(mem, script[pc++]!); break;
      case LockOp.WRITE_UNLOCK: writeUnlock(mem, script[pc++]!); break;
      case LockOp.MUTEX_LOCK: mutexLock(mem, script[pc++]!); break;
      case LockOp.MUTEX_UNLOCK: mutexUnlock(mem, script[pc++]!); break;
      case LockOp.SPIN_LOCK: spinLock(mem, script[pc++]!); break;
      case LockOp.SPIN_UNLOCK: spinUnlock(mem, script[pc++]!); break;
      case LockOp.SET: {
        const slot = script[pc++]!;
        Atomics.store(mem, slot, script[pc++]!);
        Atomics.notify(mem, slot);
        break;
      }
      case LockOp.WAIT_EQ: {
        const slot = script[pc++]!;
        waitUntilEquals(slot, script[pc++]!, data.waitLimitMs);
        break;
      }
      case LockOp.STAMP: {
        const slot = script[pc++]!;
        Atomics.store(mem, slot, Atomics.add(mem, ScriptSlot.SEQUENCE, 1) + 1);
        Atomics.notify(mem, slot);
        break;
      }
      case LockOp.HAMMER: {
        const kind = script[pc++]!;
        const base = script[pc++]!;
        hammer(kind, base, script[pc++]!);
        break;
      }
      default: throw new Error(`lock-script: unknown op ${op} at ${pc - 1}`);
    }
  }
}

run(data.script);
parentPort?.postMessage('done');
