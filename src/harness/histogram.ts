/**
 * Latency percentiles for reports: a thin wrapper over hdr-histogram-js on the main thread.
 *
 * Workers record into `LatencyRecorder`s (latency-recorder.ts: preallocated buckets, nothing
 * allocated per value) and return `recorder.snapshot()` in their result; `summarizeLatency`
 * merges any number of snapshots into one HDR histogram and reads p50/p90/p99/p99.9/max.
 */
import { build } from 'hdr-histogram-js';
import {
  LATENCY_BUCKETS,
  MAX_BUCKETED_VALUE,
  latencyBucketHigh,
  latencyBucketLow,
  type LatencySnapshot,
} from './latency-recorder.js';

export { LatencyRecorder, type LatencySnapshot } from './latency-recorder.js';

/** Percentiles of one or more recorders' values, in the recorders' unit. */
export interface LatencySummary {
  count: number;
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/**
 * Merges recorder snapshots into an HDR histogram (3 significant digits) and reads the
 * percentiles. Each bucket's count is recorded at the bucket's midpoint, so a percentile is within
 * one bucket width (≤ 1.6%) of the exact value; min and max are exact.
 */
export function summarizeLatency(snapshots: readonly LatencySnapshot[]): LatencySummary {
  let count = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const s of snapshots) {
    if (s.count === 0) continue;
    count += s.count;
    sum += s.sum;
    if (s.min < min) min = s.min;
    if (s.max > max) max = s.max;
  }
  if (count === 0) return { count: 0, mean: 0, min: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  const histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: Math.max(2, MAX_BUCKETED_VALUE),
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 'packed',
    useWebAssembly: false,
  });
  try {
    for (let index = 0; index < LATENCY_BUCKETS; index++) {
      let bucketCount = 0;
      for (const s of snapshots) bucketCount += s.counts[index] ?? 0;
      if (bucketCount === 0) continue;
      const mid = Math.floor((latencyBucketLow(index) + latencyBucketHigh(index)) / 2);
      histogram.recordValueWithCount(mid, bucketCount);
    }
    const clampToRange = (v: number): number => Math.min(Math.max(v, min), max);
    return {
      count,
      mean: sum / count,
      min,
      p50: clampToRange(histogram.getValueAtPercentile(50)),
      p90: clampToRange(histogram.getValueAtPercentile(90)),
      p99: clampToRange(histogram.getValueAtPercentile(99)),
      p999: clampToRange(histogram.getValueAtPercentile(99.9)),
      max,
    };
  } finally {
    histogram.destroy();
  }
}
