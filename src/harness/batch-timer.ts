/**
 * Timing nanosecond-scale operations (DESIGN 9): each variant is a named function that runs its
 * operation `iterations` times in a loop and returns a number (so the loop's work is observable
 * and cannot be dropped). The timer calls it once per sample, timing the whole batch, and divides:
 * the clock is read twice per batch (~100k ops), never per op.
 *
 *   const results = timeInterleaved([
 *     { name: 'raw add+sub', run: rawAddSubBatch },
 *     { name: 'read lock+unlock', floor: 'raw add+sub', run: readLockUnlockBatch },
 *   ], { batchSize: 100_000, warmupSamples: 3, samples: 15 });
 *
 * Variants are interleaved: sample k of every variant is taken before sample k+1 of any, and the
 * order rotates each round, so a slow phase of the machine (another process, a frequency change)
 * spreads over all variants instead of landing on one. Samples go into preallocated Float64Arrays.
 * Run it inside a worker thread for figures that match the threads' hot paths.
 *
 * GC: a garbage collection inside a timed batch inflates that sample. `timeInterleaved` can record
 * each sample's [start, end] (performance.now ms) into preallocated arrays, so a caller that
 * observes 'gc' performance entries (delivered asynchronously, after the timed phase) can drop the
 * samples whose window overlaps one and summarize the rest with `summarizeVariants` (see
 * src/bench/gc-aware-bench.ts).
 */
import { ratioMarker, ratioVerdict } from './measured-difference.js';
import { formatNs } from '../util/format-ns.js';

export interface BatchVariant {
  readonly name: string;
  /** Name of the variant this one is compared with (its floor: the raw operations it must do). */
  readonly floor?: string;
  /** Runs the operation `iterations` times; returns any number derived from the work. */
  readonly run: (iterations: number) => number;
}

export interface BatchPlan {
  /** Operations per timed batch (default 100 000). */
  readonly batchSize?: number;
  /** Untimed rounds first, to let the JIT optimize every variant (default 3). */
  readonly warmupSamples?: number;
  /** Timed rounds (default 15, at least 10 for a meaningful spread). */
  readonly samples?: number;
}

export interface BatchStats {
  readonly name: string;
  readonly floor: string | undefined;
  readonly samples: number;
  readonly batchSize: number;
  /** ns per operation. */
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly p25: number;
  readonly p75: number;
  /** Median absolute deviation / median, in percent. */
  readonly madPercent: number;
  /** median / the floor's median (undefined without a floor). */
  readonly ratioToFloor: number | undefined;
  /** Samples dropped because a GC ran during their batch (set only by GC-aware callers). */
  readonly gcDropped?: number;
  /** True if GC-overlapping samples had to be kept (too few clean ones were left). */
  readonly gcFlagged?: boolean;
}

/** Sink for the variants' return values, so no batch's work is dead code. */
let batchSink = 0;

/** [start, end] of the last batch timed (performance.now ms); module scratch, so nothing is allocated. */
let lastBatchStart = 0;
let lastBatchEnd = 0;

/** Runs one batch of `variant` and returns its time per operation in ns. */
function timeOneBatch(variant: BatchVariant, iterations: number): number {
  const start = performance.now();
  const result = variant.run(iterations);
  const end = performance.now();
  batchSink = (batchSink + (result | 0)) | 0;
  lastBatchStart = start;
  lastBatchEnd = end;
  return ((end - start) * 1e6) / iterations;
}

/**
 * Times every variant, interleaved; returns the raw samples (ns/op), one array per variant.
 * With `windows` (one Float64Array of 2 * samples per variant), sample s's batch start and end
 * (performance.now ms) are stored at [2s] and [2s + 1].
 */
export function timeInterleaved(
  variants: readonly BatchVariant[],
  plan: BatchPlan = {},
  windows?: readonly Float64Array[],
): Float64Array[] {
  const batchSize = plan.batchSize ?? 100_000;
  const warmup = plan.warmupSamples ?? 3;
  const samples = plan.samples ?? 15;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`samples must be a positive integer, got ${samples}`);
  const out = variants.map(() => new Float64Array(samples));
  const count = variants.length;
  for (let round = 0; round < warmup + samples; round++) {
    for (let k = 0; k < count; k++) {
      const v = (k + round) % count; // rotate the order every round
      const nsPerOp = timeOneBatch(variants[v]!, batchSize);
      if (round >= warmup) {
        const s = round - warmup;
        out[v]![s] = nsPerOp;
        if (windows !== undefined) {
          windows[v]![2 * s] = lastBatchStart;
          windows[v]![2 * s + 1] = lastBatchEnd;
        }
      }
    }
  }
  return out;
}

function quantileSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Median, quartiles, MAD of one variant's samples. */
export function summarizeSamples(samples: Float64Array): {
  median: number;
  min: number;
  max: number;
  p25: number;
  p75: number;
  madPercent: number;
} {
  const sorted = samples.slice().sort();
  const median = quantileSorted(sorted, 0.5);
  const deviations = sorted.map((x) => Math.abs(x - median)).sort();
  const mad = quantileSorted(deviations, 0.5);
  return {
    median,
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    p25: quantileSorted(sorted, 0.25),
    p75: quantileSorted(sorted, 0.75),
    madPercent: median > 0 ? (mad / median) * 100 : 0,
  };
}

/** Times the variants (timeInterleaved) and summarizes each, with its ratio to its floor. */
export function runBatchBench(variants: readonly BatchVariant[], plan: BatchPlan = {}): BatchStats[] {
  return summarizeVariants(variants, timeInterleaved(variants, plan), plan.batchSize ?? 100_000);
}

/**
 * Summarizes each variant's samples (ns/op; `raw[i]` belongs to `variants[i]`), with its ratio to
 * its floor's median. `gc` (optional, per variant) says how many samples were dropped for a GC
 * and whether GC-overlapping samples had to be kept.
 */
export function summarizeVariants(
  variants: readonly BatchVariant[],
  raw: readonly Float64Array[],
  batchSize: number,
  gc?: readonly { readonly dropped: number; readonly flagged: boolean }[],
): BatchStats[] {
  const summaries = raw.map((samples) => summarizeSamples(samples));
  const medianByName = new Map(variants.map((v, i) => [v.name, summaries[i]!.median]));
  return variants.map((variant, i) => {
    const floorMedian = variant.floor === undefined ? undefined : medianByName.get(variant.floor);
    if (variant.floor !== undefined && floorMedian === undefined) {
      throw new Error(`variant '${variant.name}' names floor '${variant.floor}', which is not a variant`);
    }
    return {
      name: variant.name,
      floor: variant.floor,
      samples: raw[i]!.length,
      batchSize,
      ...summaries[i]!,
      ratioToFloor: floorMedian === undefined ? undefined : summaries[i]!.median / floorMedian,
      ...(gc === undefined ? {} : { gcDropped: gc[i]!.dropped, gcFlagged: gc[i]!.flagged }),
    };
  });
}

/** Read by nobody; exported so bundlers keep the sink write. */
export function batchSinkValue(): number {
  return batchSink;
}

/** ns as reports print them (src/util/format-ns.ts). */
const fmt = formatNs;

/** The stats as a text table: median ns/op, quartiles, MAD, and the ratio to the floor. */
export function formatBatchTable(stats: readonly BatchStats[]): string[] {
  const nameWidth = Math.max(8, ...stats.map((s) => s.name.length));
  const floorWidth = Math.max(5, ...stats.map((s) => (s.floor ?? '').length));
  const lines = [
    `${'variant'.padEnd(nameWidth)}  ${'ns/op'.padStart(7)}  ${'p25..p75'.padStart(13)}  ${'MAD%'.padStart(5)}  ${'floor'.padEnd(floorWidth)}  ${'ratio'.padStart(5)}`,
  ];
  for (const s of stats) {
    // The ratio with its noise verdict against the floor's own spread (measured-difference.ts).
    const floor = s.floor === undefined ? undefined : stats.find((f) => f.name === s.floor);
    const marker = floor && s.ratioToFloor !== undefined ? ratioMarker(ratioVerdict(s, floor)) : '';
    lines.push(
      `${s.name.padEnd(nameWidth)}  ${fmt(s.median).padStart(7)}  ${`${fmt(s.p25)}..${fmt(s.p75)}`.padStart(13)}  ` +
        `${s.madPercent.toFixed(1).padStart(5)}  ${(s.floor ?? '').padEnd(floorWidth)}  ` +
        `${s.ratioToFloor === undefined ? '' : `${formatRatio(s.ratioToFloor)}x${marker.padEnd(1)}`.padStart(6)}`,
    );
  }
  return lines;
}

/** A ratio in 3 significant figures at most (2.20, 14.1, 112), so the ratio column stays narrow. */
function formatRatio(r: number): string {
  return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
}
