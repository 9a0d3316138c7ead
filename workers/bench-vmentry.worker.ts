/**
 * Thread role `bench-vmentry`: plays one vCPU and times its entry path for every strategy
 * (bench/vmentry.bench.ts), interleaved, in batches, GC-aware; meets the other bench threads at
 * the start barrier first, so a load thread is already running when timing starts.
 */
import { defineThreadTask, type ThreadContext } from '../src/harness/thread-task.js';
import { awaitStartBarrier } from '../src/harness/run-control.js';
import { runGcAwareBench } from '../src/bench/gc-aware-bench.js';
import type { VmentryThreadData, VmentryThreadResult } from '../src/bench/bench-threads.js';
import { vmentryBenchVariants } from '../bench/vmentry.bench.js';

async function runVmentryBenchThread(data: VmentryThreadData, thread: ThreadContext): Promise<VmentryThreadResult> {
  const bench = vmentryBenchVariants(data);
  const empty = { counts: new Float64Array(0), count: 0, sum: 0, min: 0, max: 0 };
  if (!awaitStartBarrier(thread.control, thread.slotBase, data.startTimeoutMs)) {
    bench.release();
    return { started: false, stats: [], samples: [], operations: [], checkFailures: [], reloads: [], gcEvents: 0, refreshLatencyUs: empty };
  }
  const result = await runGcAwareBench(bench.variants, data.plan);
  bench.release();
  return {
    started: true,
    stats: result.stats,
    samples: result.samples,
    operations: Array.from(bench.operations),
    checkFailures: Array.from(bench.checkFailures),
    reloads: Array.from(bench.reloads),
    gcEvents: result.gcEvents,
    refreshLatencyUs: bench.reloadContext.refreshLatency.snapshot(),
  };
}

export default defineThreadTask(runVmentryBenchThread);
