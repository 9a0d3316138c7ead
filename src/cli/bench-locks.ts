/**
 * `gpc-lab bench-locks`: uncontended lock + unlock costs, in a worker thread, as ns/op and as a
 * ratio to the raw Atomics operations each lock must do (bench/locks.bench.ts).
 */
import { jsonEnvelope, type JsonEnvelope } from '../util/json-envelope.js';
import type { RunEnvironment } from '../harness/environment.js';
import type { Command } from 'commander';
import { runThreads } from '../harness/pool.js';
import { RunControl } from '../harness/run-control.js';
import { describeEnvironment } from '../harness/environment.js';
import { formatBatchTable, type BatchPlan, type BatchStats } from '../harness/batch-timer.js';
import { parseIntegerOption } from '../util/option-parsers.js';

interface BenchLocksCliOptions {
  samples: string;
  batch: string;
  warmup: string;
  json?: boolean;
}

/** What `bench-locks --json` prints. */
export interface BenchLocksReport extends JsonEnvelope<'bench-locks'> {
  readonly plan: BatchPlan;
  readonly results: BatchStats[];
  readonly environment: RunEnvironment;
}

export function registerBenchLocksCommand(program: Command): void {
  program
    .command('bench-locks')
    .description('uncontended lock+unlock costs of rwlock, mutex and spinlock, against the raw Atomics floor')
    .option('--samples <n>', 'timed samples per variant (10..1000)', '20')
    .option('--batch <n>', 'operations per timed batch (1000..10000000)', '100000')
    .option('--warmup <n>', 'untimed warm-up rounds (0..100)', '5')
    .option('--json', 'print the results as JSON')
    .action(async function benchLocksAction(raw: BenchLocksCliOptions) {
      const plan: BatchPlan = {
        samples: parseIntegerOption('--samples', raw.samples, 10, 1000),
        batchSize: parseIntegerOption('--batch', raw.batch, 1000, 10_000_000),
        warmupSamples: parseIntegerOption('--warmup', raw.warmup, 0, 100),
      };
      const environment = describeEnvironment();
      const control = RunControl.create(1);
      const run = await runThreads<BatchPlan, BatchStats[]>([{ role: 'bench-locks', name: 'bench', data: plan }], {
        control,
      });
      const outcome = run.threads[0]!;
      if (outcome.status !== 'done') {
        throw new Error(
          `bench thread ${outcome.status}${outcome.status === 'failed' ? `: ${outcome.error.message}` : ''}`,
        );
      }
      const stats = outcome.value;
      if (raw.json) {
        const report: BenchLocksReport = { ...jsonEnvelope('bench-locks'), plan, results: stats, environment };
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        const lines = [
          `gpc-lab bench-locks: uncontended, one worker thread; ${plan.samples} samples x ${plan.batchSize} ops per variant, interleaved`,
          ...formatBatchTable(stats),
          `ratio = median / median of the floor (the raw Atomics ops the lock must do), same run`,
          `node ${environment.node} (V8 ${environment.v8}), ${environment.cpuModel}, availableParallelism ${environment.availableParallelism}, load average ${environment.loadAverage1m.toFixed(2)} at start`,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      process.exitCode = 0;
    });
}
