/**
 * Latency recording without allocating on the worker's hot path (the worker half of
 * histogram.ts, kept apart so worker bundles do not load hdr-histogram-js).
 *
 * In the worker: a `LatencyRecorder` counts values (integers, e.g. nanoseconds) into a
 * preallocated log-linear bucket array (HDR-style: exact below 128, then 64 buckets per power of
 * two, so a bucket is at most 1/64 ≈ 1.6% wide), plus the exact count, sum, min and max.
 * `record(value)` is a few integer ops and two typed-array writes.
 *
 * At the end the worker returns `recorder.snapshot()` (plain typed arrays, copied once in the
 * result message), and the main thread merges the snapshots of many threads into one
 * hdr-histogram-js histogram (`summarizeLatency` in histogram.ts) for p50/p90/p99/p99.9/max.
 *
 * Values are clamped to [0, 2^32 - 1] for bucketing (4.29 s in ns); min/max/sum stay exact.
 */
const EXACT_LIMIT = 128; // values below this get their own bucket
const SUB_BUCKETS = 64; // buckets per power of two above it
const TOP_EXPONENT = 31; // highest power of two a 32-bit value can reach
/** Buckets in a recorder: 128 exact + 64 per power of two from 2^7 to 2^31. */
export const LATENCY_BUCKETS = EXACT_LIMIT + (TOP_EXPONENT - 6) * SUB_BUCKETS;
/** Largest value given its own bucket; larger values count in the last bucket. */
export const MAX_BUCKETED_VALUE = 0xffffffff;

/** Index of the bucket holding `value` (an integer, already clamped to [0, 2^32 - 1]). */
export function latencyBucketIndex(value: number): number {
  if (value < EXACT_LIMIT) return value;
  const exponent = 31 - Math.clz32(value); // 7..31
  const shift = exponent - 6;
  return EXACT_LIMIT + (exponent - 7) * SUB_BUCKETS + ((value >>> shift) - SUB_BUCKETS);
}

/** Smallest value in bucket `index`. */
export function latencyBucketLow(index: number): number {
  if (index < EXACT_LIMIT) return index;
  const exponent = Math.floor((index - EXACT_LIMIT) / SUB_BUCKETS) + 7;
  const sub = ((index - EXACT_LIMIT) % SUB_BUCKETS) + SUB_BUCKETS;
  return sub * 2 ** (exponent - 6);
}

/** Largest value in bucket `index`. */
export function latencyBucketHigh(index: number): number {
  if (index < EXACT_LIMIT) return index;
  return latencyBucketLow(index + 1) - 1;
}

/** What a recorder hands back to the main thread. */
export interface LatencySnapshot {
  readonly counts: Float64Array;
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
}

const STAT_COUNT = 0;
const STAT_SUM = 1;
const STAT_MIN = 2;
const STAT_MAX = 3;

/** Per-thread recorder. Allocates in the constructor only. */
export class LatencyRecorder {
  readonly counts = new Float64Array(LATENCY_BUCKETS);
  private readonly stats = new Float64Array([0, 0, Number.POSITIVE_INFINITY, 0]);

  /** Counts one value (negative values count as 0, fractions are truncated). */
  record(value: number): void {
    let v = value > 0 ? Math.floor(value) : 0;
    const stats = this.stats;
    stats[STAT_COUNT]! += 1;
    stats[STAT_SUM]! += v;
    if (v < stats[STAT_MIN]!) stats[STAT_MIN] = v;
    if (v > stats[STAT_MAX]!) stats[STAT_MAX] = v;
    if (v > MAX_BUCKETED_VALUE) v = MAX_BUCKETED_VALUE;
    this.counts[latencyBucketIndex(v)]! += 1;
  }

  get count(): number {
    return this.stats[STAT_COUNT]!;
  }

  snapshot(): LatencySnapshot {
    const count = this.stats[STAT_COUNT]!;
    return {
      counts: this.counts.slice(),
      count,
      sum: this.stats[STAT_SUM]!,
      min: count === 0 ? 0 : this.stats[STAT_MIN]!,
      max: this.stats[STAT_MAX]!,
    };
  }
}

