/**
 * Thread role `bench-ops`: invalidation cost by number of caches and refresh cost, on one thread
 * (bench/invalidation.bench.ts), in batches, interleaved, GC-aware.
 */
import { defineThreadTask } from '../src/harness/thread-task.js';
import { runGcAwareBench } from '../src/bench/gc-aware-bench.js';
import type { OpsThreadData, OpsThreadResult } from '../src/bench/bench-threads.js';
import { opsBenchVariants } from '../bench/invalidation.bench.js';

async function runOpsBenchThread(data: OpsThreadData): Promise<OpsThreadResult> {
  const bench = opsBenchVariants(data.cacheCounts, data.seed, data.protocol);
  try {
    const result = await runGcAwareBench(bench.variants, data.plan);
    return { stats: result.stats, gcEvents: result.gcEvents, refreshAfterInvalidationUs: bench.refreshLatency() };
  } finally {
    bench.release();
  }
}

export default defineThreadTask(runOpsBenchThread);
