import { describe, expect, it } from 'vitest';
import { parseBenchOptions, MIN_SAMPLES } from '../../src/bench/bench-config.js';
import { UsageError } from '../../src/util/usage-error.js';

describe('bench options', () => {
  it('defaults: every strategy and load, 1..min(2, CPUs) vCPUs, a .svg chart', () => {
    const c = parseBenchOptions({});
    expect(c.strategies).toEqual(['locked', 'generation', 'lockless', 'none']);
    expect(c.loads).toEqual(['idle', 'inval-cached', 'inval-unrelated']);
    expect(c.vcpuCounts[0]).toBe(1);
    expect(c.lockedCounts).toEqual([1, 2, 3, 8]);
    expect(c.chartFile).toBe('gpc-lab-bench.svg');
    expect(c.plan.samples).toBeGreaterThanOrEqual(MIN_SAMPLES);
  });

  it('--quick keeps the method minimum of 10 samples and shrinks the rest; explicit options win', () => {
    const q = parseBenchOptions({ quick: true });
    expect(q.plan.samples).toBe(10);
    expect(q.plan.batchSize).toBeLessThan(parseBenchOptions({}).plan.batchSize);
    expect(parseBenchOptions({ quick: true, samples: '12' }).plan.samples).toBe(12);
  });

  it('native counterparts: on by default with the plan\'s sample count, small batches with --quick, off with --no-native', () => {
    expect(parseBenchOptions({}).native).toEqual({ batchSize: 20_000, samples: 15 });
    expect(parseBenchOptions({ quick: true }).native).toEqual({ batchSize: 5_000, samples: 10 });
    expect(parseBenchOptions({ native: false }).native).toBeNull();
  });

  it('--protocol: mainline by default, a shipped variant by name, an unknown one a usage error listing the known ones', () => {
    expect(parseBenchOptions({}).protocol).toBe('mainline');
    expect(parseBenchOptions({ protocol: 'range-retry' }).protocol).toBe('range-retry');
    expect(() => parseBenchOptions({ protocol: 'no-such-variant' })).toThrow(UsageError);
    expect(() => parseBenchOptions({ protocol: 'no-such-variant' })).toThrow("--protocol must be one of mainline, b17-trylock, dwmw2-range-2024, griffoul-v4, itazuri-gmem-rfc2, range-retry, seed-2021, got 'no-such-variant'");
  });

  it('lists keep the canonical order and accept all', () => {
    const c = parseBenchOptions({ strategy: 'none,locked', load: 'all', vcpus: '3' });
    expect(c.strategies).toEqual(['locked', 'none']);
    expect(c.loads).toHaveLength(3);
    expect(c.vcpuCounts).toEqual([1, 2, 3]);
  });

  it.each([
    [{ vcpus: '0' }, /--vcpus must be an integer from 1 to 16, got '0'/],
    [{ strategy: 'bogus' }, /--strategy must be 'all' or a comma-separated list of locked, generation, lockless, none, got 'bogus'/],
    [{ load: 'idle,busy' }, /--load must be .* got 'idle,busy'/],
    [{ samples: '9' }, /--samples must be an integer from 10 to 1000, got '9'/],
    [{ out: 'chart.png' }, /--out must name a .svg or .html file, got 'chart.png'/],
  ])('bad input %j is a UsageError naming the value', (input, message) => {
    expect(() => parseBenchOptions(input)).toThrow(UsageError);
    expect(() => parseBenchOptions(input)).toThrow(message);
  });

  it('--no-chart writes no chart', () => {
    expect(parseBenchOptions({ chart: false }).chartFile).toBeNull();
  });
});
