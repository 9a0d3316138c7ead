import { describe, expect, it } from 'vitest';
import { formatBatchTable, type BatchStats } from '../../src/harness/batch-timer.js';
import { differenceMeasured, ratioMarker, ratioVerdict } from '../../src/harness/measured-difference.js';

function stats(name: string, p25: number, median: number, p75: number, floor?: BatchStats): BatchStats {
  return { name, floor: floor?.name, samples: 10, batchSize: 100, median, min: p25, max: p75, p25, p75, madPercent: 5, ratioToFloor: floor ? median / floor.median : undefined };
}

describe('telling two timed figures apart', () => {
  const floor = stats('raw: add+sub', 18, 20, 22);

  it('figures whose p25..p75 overlap are not told apart; disjoint ones are', () => {
    expect(differenceMeasured(stats('a', 21, 23, 25), floor)).toBe(false);
    expect(differenceMeasured(stats('b', 23, 26, 30), floor)).toBe(true);
    expect(differenceMeasured(floor, stats('c', 10, 12, 17.9))).toBe(true);
  });

  it('a ratio is measured, within the spread, or below its floor (noise)', () => {
    expect(ratioVerdict(stats('a', 30, 40, 50), floor)).toBe('measured');
    expect(ratioVerdict(stats('b', 19, 21, 23), floor)).toBe('within-spread');
    expect(ratioVerdict(stats('c', 10, 12, 14), floor)).toBe('below-floor');
    expect([ratioMarker('measured'), ratioMarker('within-spread'), ratioMarker('below-floor')]).toEqual(['', '~', '!']);
  });

  it('the batch table marks each ratio with its verdict against its floor in the same table', () => {
    const lines = formatBatchTable([floor, stats('check: x', 30, 40, 50, floor), stats('check: y', 19, 21, 23, floor), stats('check: z', 10, 12, 14, floor)]);
    expect(lines[2]).toMatch(/2\.00x $/);
    expect(lines[3]).toMatch(/1\.05x~$/);
    expect(lines[4]).toMatch(/0\.60x!$/);
  });
});
