/**
 * `gpc-lab bench` options -> BenchConfig, or a UsageError naming the value and what is allowed.
 *
 * Two profiles: the full bench (defaults below) and `--quick`, a CI smoke run with the smallest
 * plan that still gives every figure: 10 samples per variant (the method's minimum), 2 warm-up
 * rounds, batches of 2 000 entries, invalidation costs for 0, 1 and 8 caches, 0.3 s of eviction,
 * native batches of 5 000 (20 000 in the full bench: short enough that few are preempted).
 * Explicit options override either profile.
 */
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { checkOutputPath } from '../util/output-path.js';
import type { BatchPlan } from '../harness/batch-timer.js';
import { STRATEGY_NAMES, type StrategyName } from '../kvm/strategies/registry.js';
import { parseIntegerOption } from '../util/option-parsers.js';
import { DEFAULT_PROTOCOL, parseProtocolOption } from '../kvm/protocols/registry.js';
import { UsageError } from '../util/usage-error.js';

export const LOAD_KINDS = ['idle', 'inval-cached', 'inval-unrelated'] as const;
export type LoadKind = (typeof LOAD_KINDS)[number];

/** Cache counts of the `locked` variants (2 is the strategy's own check over the vCPU's register file: its two nested caches). */
export const LOCKED_CACHE_COUNTS: readonly number[] = [1, 2, 3, 8];
export const MIN_SAMPLES = 10;
export const DEFAULT_CHART_FILE = 'gpc-lab-bench.svg';

export interface BenchOptionsInput {
  quick?: boolean;
  json?: boolean;
  vcpus?: string;
  strategy?: string;
  /** Protocol variant (`gpc-lab protocols`; default mainline). */
  protocol?: string;
  load?: string;
  invalRate?: string;
  samples?: string;
  batch?: string;
  warmup?: string;
  seed?: string;
  out?: string;
  /** commander's --no-chart */
  chart?: boolean;
  /** commander's --no-native */
  native?: boolean;
}

export interface BenchConfig {
  readonly quick: boolean;
  readonly json: boolean;
  /** vCPU counts measured: 1..--vcpus. */
  readonly vcpuCounts: readonly number[];
  readonly strategies: readonly StrategyName[];
  /** The protocol variant every phase's VM runs (a shipped one). */
  readonly protocol: string;
  readonly lockedCounts: readonly number[];
  readonly loads: readonly LoadKind[];
  /** Invalidations per second of the load thread. */
  readonly invalRate: number;
  /** Per-vmentry plan (ops per batch = vmentries): its samples in all, over `passes` passes. */
  readonly plan: Required<BatchPlan>;
  /** Passes over all vmentry configurations (round robin), each with its share of the samples; pooled per configuration. */
  readonly passes: number;
  /** Invalidation/refresh plan (ops per batch = mm events). */
  readonly opsPlan: Required<BatchPlan>;
  /** Caches on the list for the invalidation-cost figures. */
  readonly cacheCounts: readonly number[];
  /** How long the real vCPU loop runs under invalidations for the eviction latency, per vCPU count. */
  readonly evictionSeconds: number;
  readonly seed: number;
  /** Chart file (.svg or .html), or null for none. */
  readonly chartFile: string | null;
  /** The native C11 counterparts (bench/native), or null for none (--no-native). Iterations per native batch, total samples per variant. */
  readonly native: { readonly batchSize: number; readonly samples: number } | null;
}

const FULL = { samples: 15, warmup: 5, batch: 20_000, opsBatch: 64, cacheCounts: [0, 1, 2, 4, 8, 16, 32], evictionSeconds: 2, nativeBatch: 20_000 };
const QUICK = { samples: MIN_SAMPLES, warmup: 2, batch: 2_000, opsBatch: 8, cacheCounts: [0, 1, 8], evictionSeconds: 0.3, nativeBatch: 5_000 };

function parseList<T extends string>(flag: string, raw: string, allowed: readonly T[]): T[] {
  if (raw.trim() === 'all') return [...allowed];
  const items = raw.split(',').map((s) => s.trim());
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new UsageError(`${flag} must be 'all' or a comma-separated list of ${allowed.join(', ')}, got '${raw}'`);
    }
  }
  // Keep the canonical order, without duplicates.
  return allowed.filter((a) => items.includes(a));
}

export function parseBenchOptions(input: BenchOptionsInput): BenchConfig {
  const quick = input.quick === true;
  const profile = quick ? QUICK : FULL;
  const defaultVcpus = Math.max(1, Math.min(2, availableParallelism()));
  const maxVcpus = input.vcpus === undefined ? defaultVcpus : parseIntegerOption('--vcpus', input.vcpus, 1, 16);
  const samples = input.samples === undefined ? profile.samples : parseIntegerOption('--samples', input.samples, MIN_SAMPLES, 1000);
  const warmup = input.warmup === undefined ? profile.warmup : parseIntegerOption('--warmup', input.warmup, 0, 100);
  const batch = input.batch === undefined ? profile.batch : parseIntegerOption('--batch', input.batch, 100, 10_000_000);
  // --quick (a smoke run) writes a chart only where --out says.
  let chartFile: string | null = input.out ?? (quick ? null : DEFAULT_CHART_FILE);
  if (input.chart === false) chartFile = null;
  if (chartFile !== null) {
    const ext = extname(chartFile).toLowerCase();
    if (ext !== '.svg' && ext !== '.html') throw new UsageError(`--out must name a .svg or .html file, got '${chartFile}'`);
    checkOutputPath('--out', chartFile);
  }
  return {
    quick,
    json: input.json === true,
    vcpuCounts: Array.from({ length: maxVcpus }, (_, i) => i + 1),
    strategies: input.strategy === undefined ? [...STRATEGY_NAMES] : parseList('--strategy', input.strategy, STRATEGY_NAMES),
    protocol: parseProtocolOption('--protocol', input.protocol ?? DEFAULT_PROTOCOL).name,
    lockedCounts: LOCKED_CACHE_COUNTS,
    loads: input.load === undefined ? [...LOAD_KINDS] : parseList('--load', input.load, LOAD_KINDS),
    invalRate: input.invalRate === undefined ? 2000 : parseIntegerOption('--inval-rate', input.invalRate, 1, 100_000),
    plan: { samples, warmupSamples: warmup, batchSize: batch },
    // The configurations interleaved: several passes over all of them (quick: one, the minimum samples).
    passes: quick ? 1 : Math.max(1, Math.min(3, Math.floor(samples / 5))),
    opsPlan: { samples, warmupSamples: Math.min(warmup, 2), batchSize: profile.opsBatch },
    cacheCounts: profile.cacheCounts,
    evictionSeconds: profile.evictionSeconds,
    seed: input.seed === undefined ? 1 : parseIntegerOption('--seed', input.seed, 0, 0xffffffff),
    chartFile,
    native: input.native === false ? null : { batchSize: profile.nativeBatch, samples },
  };
}

