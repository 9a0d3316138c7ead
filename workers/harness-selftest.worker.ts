/**
 * Thread role `harness-selftest`: scripted thread behaviours for the harness's own tests
 * (test/harness/pool.test.ts, timed-job.test.ts): count until stopped, crash, hang in Atomics.wait
 * ignoring the stop, start late. Not used by any command.
 */
import { defineThreadTask, type ThreadContext } from '../src/harness/thread-task.js';
import { ThreadState, awaitStartBarrier, reportProgress, setThreadState, shouldStop } from '../src/harness/run-control.js';

export interface SelftestData {
  /** 'count': loop until stopped; 'throw': throw after `after` iterations; 'hang': sleep forever. */
  readonly mode: 'count' | 'throw' | 'hang';
  readonly after?: number;
  /** A private word to sleep on in 'hang' mode. */
  readonly hangBuffer?: SharedArrayBuffer;
  /** Arrive at the start barrier this late (a slow thread start-up); default 0. */
  readonly startDelayMs?: number;
}

export interface SelftestResult {
  readonly iterations: number;
  readonly threadId: number;
}

function runSelftestThread(data: SelftestData, ctx: ThreadContext): SelftestResult {
  const { control, slotBase } = ctx;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  if (data.startDelayMs) Atomics.wait(pause, 0, 0, data.startDelayMs);
  if (!awaitStartBarrier(control, slotBase, 10_000)) return { iterations: 0, threadId: ctx.threadId };
  let iterations = 0;
  if (data.mode === 'hang') {
    setThreadState(control, slotBase, ThreadState.WAITING_MUTEX, 7);
    const word = new Int32Array(data.hangBuffer ?? new SharedArrayBuffer(4));
    Atomics.wait(word, 0, 0); // nobody ever notifies: only terminate() ends this thread
    return { iterations, threadId: ctx.threadId };
  }
  while (!shouldStop(control)) {
    iterations++;
    reportProgress(control, slotBase, iterations);
    if (data.mode === 'throw' && iterations === (data.after ?? 1)) {
      throw new Error(`selftest crash after ${iterations} iterations`);
    }
    // ~0.1 ms per iteration, so counting threads do not hog the 2 cores
    Atomics.wait(pause, 0, 0, 0.1);
  }
  return { iterations, threadId: ctx.threadId };
}

export default defineThreadTask(runSelftestThread);
