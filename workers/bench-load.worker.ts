/**
 * Thread role `bench-load`: the host mm invalidating pages at a rate while bench-vmentry threads
 * time their entries (src/bench/invalidation-load.ts). Runs until the run is stopped.
 */
import { defineThreadTask, type ThreadContext } from '../src/harness/thread-task.js';
import { awaitStartBarrier } from '../src/harness/run-control.js';
import { openModelContext } from '../src/kvm/model-context.js';
import { threadStateWaitSink } from '../src/stress/model-thread.js';
import { faultInGfns } from '../src/bench/fault-in.js';
import { runInvalidationLoad } from '../src/bench/invalidation-load.js';
import type { LoadThreadData, LoadThreadResult } from '../src/bench/bench-threads.js';

function runLoadThread(data: LoadThreadData, thread: ThreadContext): LoadThreadResult {
  const ctx = openModelContext(data.buffers, data.thread);
  ctx.waitSink = threadStateWaitSink(thread.control, thread.slotBase);
  faultInGfns(ctx, data.targets);
  if (!awaitStartBarrier(thread.control, thread.slotBase, data.startTimeoutMs)) {
    return { started: false, events: 0, seconds: 0, evictionWaits: 0, evictionLatencyUs: ctx.evictionLatency.snapshot() };
  }
  const startedAt = performance.now();
  const totals = runInvalidationLoad(ctx, thread.control, thread.slotBase, Int32Array.from(data.targets), data.ratePerS);
  return {
    started: true,
    events: totals.events,
    seconds: (performance.now() - startedAt) / 1000,
    evictionWaits: totals.evictionWaits,
    evictionLatencyUs: ctx.evictionLatency.snapshot(),
  };
}

export default defineThreadTask(runLoadThread);
