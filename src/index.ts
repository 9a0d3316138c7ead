/**
 * gpc-lab's library API. A hand-written export list: what is here is public and typed.
 */

// Locks on SharedArrayBuffer + Atomics (src/sync).
export { LOCK_BLOCK_INTS } from './sync/lock-block.js';
export { LockClass, lockClassName } from './sync/lock-classes.js';
export {
  rwlockInit,
  readLock,
  readLockIrq,
  readTryLock,
  readUnlock,
  writeLock,
  writeTryLock,
  writeUnlock,
  rwlockSnapshot,
} from './sync/rwlock.js';
export { mutexInit, mutexLock, mutexTryLock, mutexUnlock } from './sync/mutex.js';
export { spinLockInit, spinLock, spinTryLock, spinUnlock } from './sync/spinlock.js';
export {
  LockdepError,
  assertHeld,
  createLockdepBuffer,
  lockdepEnable,
  lockdepDisable,
  readLockdepFindings,
} from './sync/lockdep.js';

// Running threads (src/harness).
export { runThreads } from './harness/pool.js';
export { RunControl, StopReason, ThreadState, installSigintStop } from './harness/run-control.js';
export { defineThreadTask } from './harness/thread-task.js';
export { runBatchBench } from './harness/batch-timer.js';
export { Random } from './util/random.js';

// Lock torture (gpc-lab torture).
export { parseTortureOptions } from './torture/config.js';
export { runTorture } from './torture/runner.js';
export { formatTortureReport } from './torture/report.js';

export type { RwlockSnapshot } from './sync/rwlock.js';
export type { HeldMode, LockdepFinding } from './sync/lockdep.js';
export type { ThreadTask, ThreadOutcome, ThreadsRun, RunThreadsOptions } from './harness/pool.js';
export type { ThreadContext } from './harness/thread-task.js';
export type { BatchStats, BatchVariant, BatchPlan } from './harness/batch-timer.js';
export type { TortureConfig, TortureOptionsInput } from './torture/config.js';
export type { TortureReport, TortureVerdict } from './torture/report.js';
