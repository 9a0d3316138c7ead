/** Invalidation cost by number of caches, and refresh cost: one bench-ops thread (bench/invalidation.bench.ts). */
import { runThreads } from '../harness/pool.js';
import type { RunControl } from '../harness/run-control.js';
import { summarizeLatency } from '../harness/histogram.js';
import type { BenchConfig } from './bench-config.js';
import { protocolId } from '../kvm/protocols/registry.js';
import type { OpsThreadData, OpsThreadResult } from './bench-threads.js';
import type { BenchReport } from './bench-report.js';

export async function runOpsPhase(config: BenchConfig, control: RunControl): Promise<BenchReport['invalidation']> {
  const data: OpsThreadData = { cacheCounts: config.cacheCounts, plan: config.opsPlan, seed: config.seed, protocol: protocolId(config.protocol) };
  const run = await runThreads<OpsThreadData, OpsThreadResult>([{ role: 'bench-ops', name: 'ops', data }], { control, stopGraceMs: 5000 });
  const outcome = run.threads[0]!;
  if (outcome.status !== 'done') {
    throw new Error(`bench thread ops ${outcome.status}${outcome.status === 'failed' ? `: ${outcome.error.message}` : ''}`);
  }
  return {
    figures: outcome.value.stats,
    refreshAfterInvalidationUs: summarizeLatency(outcome.value.refreshAfterInvalidationUs),
    gcEvents: outcome.value.gcEvents,
  };
}
