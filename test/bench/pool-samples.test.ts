import { describe, expect, it } from 'vitest';
import { poolThreadStats } from '../../src/bench/pool-samples.js';
import { summarizeVariants } from '../../src/harness/batch-timer.js';

function thread(floorSamples: number[], xSamples: number[], dropped = 0) {
  const samples = [Float64Array.from(floorSamples), Float64Array.from(xSamples)];
  const stats = summarizeVariants(
    [
      { name: 'floor', run: (n) => n },
      { name: 'x', floor: 'floor', run: (n) => n },
    ],
    samples,
    100,
    [
      { dropped: 0, flagged: false },
      { dropped, flagged: false },
    ],
  );
  return { stats, samples };
}

describe('pooling samples over timing threads', () => {
  it('pools every thread\'s samples, recomputes the ratio, and adds up the GC drops', () => {
    const pooled = poolThreadStats([thread([1, 1, 1], [2, 2, 2], 1), thread([3, 3, 3], [6, 6, 6], 2)]);
    expect(pooled[0]!.samples).toBe(6);
    expect(pooled[0]!.median).toBe(2);
    expect(pooled[1]!.median).toBe(4);
    expect(pooled[1]!.ratioToFloor).toBe(2);
    expect(pooled[1]!.gcDropped).toBe(3);
  });

  it('no threads, no figures', () => {
    expect(poolThreadStats([])).toEqual([]);
  });
});
