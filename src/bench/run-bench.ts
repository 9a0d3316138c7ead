/**
 * `gpc-lab bench` on the main thread: the vmentry configurations (1..N vCPUs x idle / invalidations
 * of cached pages / of unrelated pages), the invalidation and refresh costs, and the eviction
 * latency under the real vCPU loop, one phase after another (each on its own threads and VM), then
 * the goals, the seed verdict and the chart. Ctrl-C ends the current phase and reports what was
 * measured so far (marked interrupted).
 */
import { jsonEnvelope } from '../util/json-envelope.js';
import { loadavg } from 'node:os';
import { describeEnvironment } from '../harness/environment.js';
import { RunControl, StopReason, installSigintStop } from '../harness/run-control.js';
import type { BenchConfig } from './bench-config.js';
import type { BenchReport, EvictionResult, VmentryConfigResult } from './bench-report.js';
import { judgeGoals, seedVerdict } from './bench-goals.js';
import { runVmentryPass, summarizeVmentryConfig, type VmentryPass } from './vmentry-phase.js';
import { runOpsPhase } from './ops-phase.js';
import { runEvictionPhase } from './eviction-phase.js';
import { writeBenchChart } from './bench-chart.js';
import { NativeBench, nativeNotRun, nativeNotifierVariantNames, nativeVariantNames, type NativeBenchOptions } from './native-bench.js';

export interface BenchRunOptions {
  /** Progress lines (stderr by default, none with --json). */
  readonly notice?: (line: string) => void;
  readonly handleSigint?: boolean;
  /** Where the native program's compiler is looked for (tests point it at an empty PATH). */
  readonly native?: NativeBenchOptions;
}

const EMPTY_LATENCY = { count: 0, mean: 0, min: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };

export async function runBench(config: BenchConfig, options: BenchRunOptions = {}): Promise<BenchReport> {
  const environment = describeEnvironment();
  const notice = options.notice ?? (config.json ? () => {} : (line: string) => void process.stderr.write(`${line}\n`));
  let interrupted = false;

  /** Runs one phase on a fresh RunControl for `threads` threads; null if the run was interrupted. */
  async function phase<T>(what: string, threads: number, body: (control: RunControl) => Promise<T>): Promise<T | null> {
    if (interrupted) return null;
    notice(`bench: ${what}`);
    const control = RunControl.create(threads);
    const uninstall = options.handleSigint ? installSigintStop(control, notice) : undefined;
    try {
      return await body(control);
    } catch (error) {
      if (control.stopReason === StopReason.INTERRUPTED) {
        interrupted = true;
        return null;
      }
      throw error;
    } finally {
      uninstall?.();
      if (control.stopReason === StopReason.INTERRUPTED) interrupted = true;
    }
  }

  // The native program: one sample set before each vmentry configuration (the machine state the
  // model's round after it sees), idle before the idle ones and with its notifier thread at
  // --inval-rate before the others; pooled. Compiled once, up front.
  const idleRounds = config.passes * config.vcpuCounts.length * config.loads.filter((l) => l === 'idle').length;
  const loadRounds = config.passes * config.vcpuCounts.length * config.loads.filter((l) => l !== 'idle').length;
  let native: NativeBench | null = null;
  if (config.native !== null) {
    const perRound = (rounds: number): number => Math.max(2, Math.ceil(config.native!.samples / Math.max(1, rounds)));
    const plan = { batchSize: config.native.batchSize, samplesPerRound: perRound(idleRounds), notifierSamplesPerRound: perRound(loadRounds), warmupPerRound: 1 };
    native = new NativeBench(
      plan,
      nativeVariantNames(config.strategies, config.lockedCounts),
      nativeNotifierVariantNames(config.strategies, config.lockedCounts),
      `one native sample set before each vmentry configuration (variants rotated as in the model; ${plan.samplesPerRound} samples per ` +
        `variant before each of the ${idleRounds} idle ones, ${plan.notifierSamplesPerRound} of the locked variants with the native notifier ` +
        `thread at ${config.invalRate}/s before each of the ${loadRounds} others), on the main thread while no model thread runs; pooled`,
    );
    notice('bench: compiling the native checks (bench/native/vmentry-checks.c)');
    if (!native.prepare(options.native)) notice(`bench: ${native.note}`);
  }

  // The vmentry configurations, interleaved: `passes` round-robin passes over all of them, each
  // with its share of the samples, pooled per configuration (a load change hits every one alike).
  const configurations = config.vcpuCounts.flatMap((vcpus) => config.loads.map((load) => ({ vcpus, load, passes: [] as VmentryPass[] })));
  const passPlan = { ...config.plan, samples: Math.ceil(config.plan.samples / config.passes) };
  for (let pass = 0; pass < config.passes; pass++) {
    for (const c of configurations) {
      if (native !== null && native.ready && !interrupted && !native.runRound(c.load === 'idle' ? 0 : config.invalRate)) notice(`bench: ${native.note}`);
      const threads = c.vcpus + (c.load === 'idle' ? 0 : 1);
      const result = await phase(`vmentry, ${c.vcpus} vCPU${c.vcpus > 1 ? 's' : ''}, ${c.load}${config.passes > 1 ? ` (pass ${pass + 1}/${config.passes})` : ''}`, threads, (control) =>
        runVmentryPass(config, c.vcpus, c.load, control, passPlan),
      );
      if (result) c.passes.push(result);
    }
  }
  const vmentry: VmentryConfigResult[] = configurations.filter((c) => c.passes.length > 0).map((c) => summarizeVmentryConfig(c.vcpus, c.load, c.passes));
  const invalidation = (await phase('invalidation and refresh cost', 1, (control) => runOpsPhase(config, control))) ?? {
    figures: [],
    refreshAfterInvalidationUs: EMPTY_LATENCY,
    gcEvents: 0,
  };
  const eviction: EvictionResult[] = [];
  for (const vcpus of config.vcpuCounts) {
    const result = await phase(`eviction latency, ${vcpus} vCPU${vcpus > 1 ? 's' : ''} (real vCPU loop)`, vcpus + 1, (control) =>
      runEvictionPhase(config, vcpus, control),
    );
    if (result) eviction.push(result);
  }

  const nativeReport = native === null ? nativeNotRun('native figures not run (--no-native)') : native.report();
  const allFigures = [...vmentry.flatMap((c) => c.figures), ...invalidation.figures];
  const report: BenchReport = {
    ...jsonEnvelope('bench'),
    quick: config.quick,
    config: {
      vcpuCounts: config.vcpuCounts,
      strategies: config.strategies,
      protocol: config.protocol,
      lockedCounts: config.lockedCounts,
      loads: config.loads,
      invalRate: config.invalRate,
      plan: config.plan,
      passes: config.passes,
      opsPlan: config.opsPlan,
      cacheCounts: config.cacheCounts,
      evictionSeconds: config.evictionSeconds,
      seed: config.seed,
      native: config.native,
    },
    environment,
    loadAverage1mAtEnd: loadavg()[0] ?? 0,
    vmentry,
    invalidation,
    eviction,
    goals: judgeGoals(vmentry, config.lockedCounts),
    native: nativeReport,
    seed: seedVerdict(vmentry, config.lockedCounts, nativeReport),
    gcDroppedSamples: allFigures.reduce((n, f) => n + (f.gcDropped ?? 0), 0),
    gcFlaggedFigures: allFigures.filter((f) => f.gcFlagged === true).length,
    chartFile: config.chartFile,
    interrupted,
  };
  if (config.chartFile) {
    // A chart that cannot be written loses no figure: the report still prints, and says why.
    try {
      await writeBenchChart(report, config.chartFile);
    } catch (error) {
      return { ...report, chartFile: null, chartError: `chart not written to ${config.chartFile}: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  return report;
}
