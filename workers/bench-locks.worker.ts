/**
 * Thread role `bench-locks`: runs the uncontended lock bench (bench/locks.bench.ts) in a worker,
 * where the locks' hot paths really run, and returns the stats.
 */
import { defineThreadTask } from '../src/harness/thread-task.js';
import type { BatchPlan, BatchStats } from '../src/harness/batch-timer.js';
import { runLocksBench } from '../bench/locks.bench.js';

function runLocksBenchThread(plan: BatchPlan): BatchStats[] {
  return runLocksBench(plan);
}

export default defineThreadTask(runLocksBenchThread);
