import { describe, expect, it } from 'vitest';
import { summarizeVmentryConfig, type VmentryPass } from '../../src/bench/vmentry-phase.js';
import { parseBenchOptions } from '../../src/bench/bench-config.js';
import { LatencyRecorder } from '../../src/harness/latency-recorder.js';
import type { BatchStats } from '../../src/harness/batch-timer.js';

function stats(name: string, floor?: string): BatchStats {
  return { name, floor, samples: 0, batchSize: 100, median: 0, min: 0, max: 0, p25: 0, p75: 0, madPercent: 0, ratioToFloor: undefined };
}

/** One timing thread of one pass: `floorNs` and `checkNs` samples of the floor and the check. */
function pass(floorNs: number[], checkNs: number[], events: number): VmentryPass {
  const recorder = new LatencyRecorder();
  recorder.record(5);
  return {
    timing: [
      {
        started: true,
        stats: [stats('vmentry: empty'), stats('vmentry: locked x1', 'vmentry: empty')],
        samples: [Float64Array.from(floorNs), Float64Array.from(checkNs)],
        operations: [1000, 1000],
        checkFailures: [0, 10],
        reloads: [0, 0],
        gcEvents: 1,
        refreshLatencyUs: recorder.snapshot(),
      },
    ],
    load: { started: true, events, seconds: 1, evictionWaits: 2, evictionLatencyUs: recorder.snapshot() },
    seconds: 1.5,
  };
}

describe('a vmentry configuration run in several passes', () => {
  it('pools every pass: the samples of each variant, the counters, the load', () => {
    const result = summarizeVmentryConfig(1, 'inval-cached', [pass([10, 10, 10], [30, 30, 30], 100), pass([20, 20], [40, 40], 300)]);
    const check = result.figures.find((f) => f.name === 'vmentry: locked x1')!;
    expect(check.samples).toBe(5);
    expect(check.median).toBe(30);
    expect(result.figures.find((f) => f.name === 'vmentry: empty')!.median).toBe(10);
    expect(check.ratioToFloor).toBeCloseTo(3);
    expect(check.checkFailuresPer1k).toBeCloseTo(10);
    expect(result.invalidations).toMatchObject({ events: 400, perSecond: 200, evictionWaits: 4 });
    expect(result.gcEvents).toBe(2);
    expect(result.seconds).toBeCloseTo(3);
  });

  it('the full bench interleaves its configurations in passes; --quick runs one', () => {
    expect(parseBenchOptions({}).passes).toBe(3);
    expect(parseBenchOptions({ quick: true }).passes).toBe(1);
    expect(parseBenchOptions({ samples: '10' }).passes).toBe(2);
  });
});
