import { describe, expect, it } from 'vitest';
import { runGcAwareBench } from '../../src/bench/gc-aware-bench.js';
import { overlapsGc } from '../../src/bench/gc-watch.js';
import { timeInterleaved } from '../../src/harness/batch-timer.js';

function sumBatch(n: number): number {
  let x = 0;
  for (let i = 0; i < n; i++) x = (x + i) | 0;
  return x;
}

let keep: unknown[] = [];
function allocatingBatch(n: number): number {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push({ i, pad: new Array(32).fill(i) });
  keep = out;
  return out.length;
}

describe('GC-aware batch timing', () => {
  it('a GC window overlapping a sample window is found; disjoint ones are not', () => {
    const gc = [10, 12, 20, 21];
    expect(overlapsGc(gc, 11, 15)).toBe(true);
    expect(overlapsGc(gc, 12.5, 19.9)).toBe(false);
    expect(overlapsGc(gc, 0, 100)).toBe(true);
    expect(overlapsGc([], 0, 100)).toBe(false);
  });

  it('timeInterleaved records each sample window (start <= end, rounds in order)', () => {
    const windows = [new Float64Array(6), new Float64Array(6)];
    const raw = timeInterleaved(
      [
        { name: 'a', run: sumBatch },
        { name: 'b', run: sumBatch },
      ],
      { batchSize: 1000, warmupSamples: 1, samples: 3 },
      windows,
    );
    expect(raw[0]).toHaveLength(3);
    for (const w of windows) {
      for (let s = 0; s < 3; s++) expect(w[2 * s + 1]!).toBeGreaterThanOrEqual(w[2 * s]!);
      expect(w[2]!).toBeGreaterThanOrEqual(w[1]!);
    }
  });

  it('every variant keeps the planned sample count, with a ratio to its floor', async () => {
    const result = await runGcAwareBench(
      [
        { name: 'floor', run: sumBatch },
        { name: 'same', floor: 'floor', run: sumBatch },
      ],
      { batchSize: 10_000, warmupSamples: 1, samples: 10 },
    );
    for (const s of result.stats) {
      expect(s.samples).toBe(10);
      expect(s.median).toBeGreaterThan(0);
      // The GC-aware path always says how many samples it dropped (an integer, never undefined).
      expect(Number.isInteger(s.gcDropped)).toBe(true);
    }
    expect(result.stats[1]!.ratioToFloor).toBeCloseTo(result.stats[1]!.median / result.stats[0]!.median, 10);
    expect(result.samples[0]).toHaveLength(10);
  });

  it('an allocating variant runs into GCs, which are seen and its samples dropped or flagged', async () => {
    const result = await runGcAwareBench(
      [
        { name: 'floor', run: sumBatch },
        { name: 'allocates', floor: 'floor', run: allocatingBatch },
      ],
      { batchSize: 20_000, warmupSamples: 1, samples: 10 },
    );
    expect(keep.length).toBeGreaterThan(0);
    keep = [];
    expect(result.gcEvents).toBeGreaterThan(0);
    const alloc = result.stats[1]!;
    expect((alloc.gcDropped ?? 0) > 0 || alloc.gcFlagged === true).toBe(true);
    expect(alloc.samples).toBe(10);
  });
});
