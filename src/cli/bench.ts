/**
 * `gpc-lab bench`: what the per-vmentry cache check costs for each strategy, and what
 * invalidation costs the vCPUs (issue 5; src/bench/, bench/vmentry.bench.ts,
 * bench/invalidation.bench.ts). Exit: 0 done (also when a goal is missed: goals are figures, not
 * tests), 2 usage error, 3 internal error.
 */
import type { Command } from 'commander';
import { EXIT_CLEAN, EXIT_INTERRUPTED } from '../util/exit-codes.js';
import { DEFAULT_CHART_FILE, LOAD_KINDS, parseBenchOptions, type BenchOptionsInput } from '../bench/bench-config.js';
import { runBench } from '../bench/run-bench.js';
import { formatBenchReport } from '../bench/format-bench.js';
import { STRATEGY_NAMES } from '../kvm/strategies/registry.js';
import { DEFAULT_PROTOCOL, protocolNames } from '../kvm/protocols/registry.js';

const HELP_AFTER = `
What is measured (each figure a median over >= 10 batch samples, with p25..p75 and MAD, and its
ratio to a floor measured in the same run, variants interleaved; the configurations run in 3
round-robin passes (1 with --quick), pooled; samples a GC ran into are dropped):
  raw floors      empty loop, plain load, Atomics.load, Atomics.load+compare, Atomics.add+sub on
                  1/2/3/8 cache lines, add+load+sub
  check: S        the entry check alone: the strategy module's own check (src/kvm/strategies), for
                  none, generation, lockless, and locked over 1, 2, 3 and 8 caches (from the vCPU's own steps)
  vmentry: S      one entry of the vCPU loop around the check (requests, IN_GUEST_MODE, SRCU,
                  check, OUTSIDE_GUEST_MODE); floor: the same entry with no check
  for 1..--vcpus timing threads, each: idle; under invalidations of the cached pages; under
  invalidations of unrelated pages (a notifier thread migrating pages at --inval-rate).
  Then: invalidation cost by caches on the list, refresh cost, and eviction (kick + wait) latency
  under the real vCPU loop.
  native          the same check shapes in C11 (bench/native/vmentry-checks.c: acquire/release
                  atomics, -O2), compiled with the system cc at bench time (skipped with a note
                  without one); one native sample set before each vmentry configuration, pooled;
                  shown next to the model's figures with the JS/native factor; before each
                  invalidation configuration the locked variants run with a native notifier thread
                  write-locking and invalidating the caches at --inval-rate. The seed-question
                  lines answer from the native figures.

Output: a text report (or --json), and a chart drawn with Apache ECharts (--out, .svg or .html).
Goals (reported, not enforced): locked per cache <= 1.3x add+sub; generation <= 1.2x load+compare.
Run on an idle machine: other load makes the figures noisy (the load average is in the report).

Examples:
  gpc-lab bench                          # full run, writes ${DEFAULT_CHART_FILE}
  gpc-lab bench --quick --json --out /tmp/b.svg   # CI smoke run (--quick alone writes no chart)
  gpc-lab bench --vcpus 1 --strategy generation,locked --load idle`;

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('per-vmentry cost of each cache-check strategy, and what invalidation costs the vCPUs')
    .option('--quick', 'CI smoke run: 10 samples, small batches, short eviction phase')
    .option('--vcpus <n>', 'measure 1..n vCPU threads (1..16; default min(2, CPUs))')
    .option('--strategy <list>', `'all' or a comma-separated list of ${STRATEGY_NAMES.join(', ')}`)
    .option('--protocol <name>', `protocol variant every phase runs: ${protocolNames().join(', ')} (\`gpc-lab protocols\`)`, DEFAULT_PROTOCOL)
    .option('--load <list>', `'all' or a comma-separated list of ${LOAD_KINDS.join(', ')}`)
    .option('--inval-rate <n>', 'invalidations per second of the load thread (1..100000)', '2000')
    .option('--samples <n>', 'timed samples per variant (10..1000; default 15, quick 10)')
    .option('--batch <n>', 'vmentries per timed batch (100..10000000; default 20000, quick 2000)')
    .option('--warmup <n>', 'untimed warm-up rounds (0..100; default 5, quick 2)')
    .option('--seed <n>', 'seed of the model threads (0..4294967295)', '1')
    .option('--out <file>', `chart file, .svg or .html (default ${DEFAULT_CHART_FILE}; with --quick, none unless given)`)
    .option('--no-chart', 'do not write the chart')
    .option('--no-native', 'do not compile and run the native C11 counterparts')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', HELP_AFTER)
    .action(async function benchAction(raw: BenchOptionsInput) {
      const config = parseBenchOptions(raw);
      const report = await runBench(config, { handleSigint: true });
      if (config.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(`${formatBenchReport(report).join('\n')}\n`);
      process.exitCode = report.interrupted ? EXIT_INTERRUPTED : EXIT_CLEAN;
    });
}
