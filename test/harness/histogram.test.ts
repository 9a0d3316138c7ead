import { describe, expect, it } from 'vitest';
import {
  LATENCY_BUCKETS,
  LatencyRecorder,
  latencyBucketHigh,
  latencyBucketIndex,
  latencyBucketLow,
} from '../../src/harness/latency-recorder.js';
import { summarizeLatency } from '../../src/harness/histogram.js';

describe('latency buckets', () => {
  it('every value falls in a bucket whose bounds contain it, at most 1/64 wide', () => {
    const probes = [0, 1, 127, 128, 129, 255, 256, 1000, 65_535, 1_000_000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1];
    for (let k = 0; k < 2000; k++) probes.push(Math.floor(Math.random() * 2 ** 32));
    for (const v of probes) {
      const index = latencyBucketIndex(v);
      expect(index).toBeGreaterThanOrEqual(0);
      expect(index).toBeLessThan(LATENCY_BUCKETS);
      expect(latencyBucketLow(index)).toBeLessThanOrEqual(v);
      expect(latencyBucketHigh(index)).toBeGreaterThanOrEqual(v);
      expect(latencyBucketHigh(index) - latencyBucketLow(index) + 1).toBeLessThanOrEqual(Math.max(1, v / 64 + 1));
    }
    expect(latencyBucketIndex(2 ** 32 - 1)).toBe(LATENCY_BUCKETS - 1);
  });

  it('buckets are contiguous: each starts one past the previous one', () => {
    for (let i = 1; i < LATENCY_BUCKETS; i++) expect(latencyBucketLow(i)).toBe(latencyBucketHigh(i - 1) + 1);
  });
});

describe('summarizeLatency', () => {
  it('1..10000 recorded once each: percentiles within 2% and exact min, max, mean', () => {
    const recorder = new LatencyRecorder();
    for (let v = 1; v <= 10_000; v++) recorder.record(v);
    const s = summarizeLatency([recorder.snapshot()]);
    expect(s.count).toBe(10_000);
    expect(s.min).toBe(1);
    expect(s.max).toBe(10_000);
    expect(s.mean).toBeCloseTo(5000.5, 5);
    expect(Math.abs(s.p50 - 5000) / 5000).toBeLessThan(0.02);
    expect(Math.abs(s.p90 - 9000) / 9000).toBeLessThan(0.02);
    expect(Math.abs(s.p99 - 9900) / 9900).toBeLessThan(0.02);
    expect(Math.abs(s.p999 - 9990) / 9990).toBeLessThan(0.02);
  });

  it('snapshots of several threads merge: a rare slow thread shows in p99.9 and max', () => {
    const fast = new LatencyRecorder();
    const slow = new LatencyRecorder();
    for (let i = 0; i < 9980; i++) fast.record(100);
    for (let i = 0; i < 20; i++) slow.record(5_000_000); // 0.2%: above the p99.9 rank
    const s = summarizeLatency([fast.snapshot(), slow.snapshot()]);
    expect(s.count).toBe(10_000);
    expect(s.p50).toBe(100);
    expect(s.p99).toBe(100);
    expect(s.max).toBe(5_000_000);
    expect(Math.abs(s.p999 - 5_000_000) / 5_000_000).toBeLessThan(0.02);
  });

  it('values beyond 2^32 keep an exact max; negatives count as 0; an empty set is all zeros', () => {
    const r = new LatencyRecorder();
    r.record(-5);
    r.record(2 ** 40);
    const s = summarizeLatency([r.snapshot()]);
    expect(s.min).toBe(0);
    expect(s.max).toBe(2 ** 40);
    expect(summarizeLatency([new LatencyRecorder().snapshot()])).toMatchObject({ count: 0, p50: 0, max: 0 });
  });
});
