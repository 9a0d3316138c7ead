import { describe, expect, it } from 'vitest';
import { formatBatchTable, runBatchBench, summarizeSamples, timeInterleaved } from '../../src/harness/batch-timer.js';

describe('batch timer', () => {
  it('median, quartiles and MAD of known samples', () => {
    const s = summarizeSamples(new Float64Array([5, 1, 3, 2, 4]));
    expect(s.median).toBe(3);
    expect(s.min).toBe(1);
    expect(s.max).toBe(5);
    expect(s.p25).toBe(2);
    expect(s.p75).toBe(4);
    expect(s.madPercent).toBeCloseTo((1 / 3) * 100, 6);
  });

  it('variants are interleaved and rotated: every round runs each variant once, in a shifting order', () => {
    const order: string[] = [];
    const make = (name: string) => ({ name, run: (n: number) => (order.push(name), n) });
    const raw = timeInterleaved([make('a'), make('b'), make('c')], { batchSize: 1, warmupSamples: 1, samples: 2 });
    expect(raw.map((r) => r.length)).toEqual([2, 2, 2]);
    expect(order).toEqual(['a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b']);
  });

  it('a variant compared with its floor gets the ratio of the two medians; the floor itself gets none', () => {
    let sink = 0;
    function oneAddBatch(n: number): number {
      let x = sink;
      for (let i = 0; i < n; i++) x = (Math.imul(x, 31) + i) | 0;
      return (sink = x);
    }
    function twoAddsBatch(n: number): number {
      let x = sink;
      for (let i = 0; i < n; i++) {
        x = (Math.imul(x, 31) + i) | 0;
        x = (Math.imul(x, 17) + i) | 0;
      }
      return (sink = x);
    }
    const stats = runBatchBench(
      [
        { name: 'one', run: oneAddBatch },
        { name: 'two', floor: 'one', run: twoAddsBatch },
      ],
      { batchSize: 200_000, warmupSamples: 3, samples: 11 },
    );
    expect(stats[0]!.ratioToFloor).toBeUndefined();
    // The ratio is the two medians' quotient (how fast they are is the benchmark's business, not a test's).
    expect(stats[1]!.ratioToFloor).toBeCloseTo(stats[1]!.median / stats[0]!.median, 10);
    expect(stats[0]!.median).toBeGreaterThan(0);
    expect(formatBatchTable(stats)[0]).toMatch(/variant\s+ns\/op/);
  });

  it('a floor name that is not a variant is an error', () => {
    expect(() => runBatchBench([{ name: 'x', floor: 'nope', run: (n) => n }], { batchSize: 1, samples: 1, warmupSamples: 0 })).toThrow(
      /names floor 'nope'/,
    );
  });
});
