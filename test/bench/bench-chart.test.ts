import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchChartOption, writeBenchChart } from '../../src/bench/bench-chart.js';
import type { BenchReport } from '../../src/bench/bench-report.js';
import { describeEnvironment } from '../../src/harness/environment.js';
import { nativeNotRun } from '../../src/bench/native-bench.js';

const empty = { count: 0, mean: 0, min: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
function f(name: string, median: number, floor?: string) {
  return { name, floor, samples: 10, batchSize: 10, median, min: median, max: median, p25: median, p75: median, madPercent: 0, ratioToFloor: floor ? 2 : undefined, checkFailuresPer1k: 0, reloadsPer1k: 0 };
}

const report: BenchReport = {
  tool: 'gpc-lab',
  command: 'bench',
  version: '0.0.0',
  schema: 'schemas/bench.schema.json',
  quick: true,
  config: {},
  environment: describeEnvironment(),
  loadAverage1mAtEnd: 0,
  native: nativeNotRun('native figures not run (--no-native)'),
  vmentry: [
    {
      vcpus: 1,
      load: 'idle',
      figures: [f('raw: add+sub', 20), f('check: locked x1', 40, 'raw: add+sub'), f('vmentry: empty', 100), f('vmentry: locked x1', 140, 'vmentry: empty')],
      invalidations: null,
      refreshLatencyUs: empty,
      gcEvents: 0,
      seconds: 1,
    },
  ],
  invalidation: { figures: [f('inval unrelated, 0 caches', 9000), f('inval unrelated, 8 caches', 12000, 'x'), f('inval cached + refresh, 8 caches', 20000, 'y')], refreshAfterInvalidationUs: empty, gcEvents: 0 },
  eviction: [],
  goals: [],
  seed: [],
  gcDroppedSamples: 0,
  gcFlaggedFigures: 0,
  chartFile: null,
  interrupted: false,
};

describe('the bench chart (ECharts, server-side SVG)', () => {
  it('plots each configuration per strategy, the raw floors, and invalidation cost by caches', () => {
    const option = benchChartOption(report) as { series: { name: string; data: unknown[] }[] };
    const names = option.series.map((s) => s.name);
    expect(names).toContain('1 vCPU, idle');
    expect(names.some((n) => n.startsWith('raw floor'))).toBe(true);
    const cached = option.series.find((s) => s.name === 'invalidation of a cached page + refresh')!;
    expect(cached.data).toEqual([[8, 20]]);
  });

  it('uses log scales for the check and entry costs, with p25..p75 whiskers that count toward each axis', () => {
    const option = benchChartOption(report) as {
      yAxis: { type: string; min?: number }[];
      series: { name: string; type: string; yAxisIndex: number; encode?: unknown; data: unknown[] }[];
      legend: { data: string[] }[];
    };
    expect(option.yAxis.map((a) => a.type)).toEqual(['log', 'log', 'value']);
    expect(option.yAxis[0]!.min).toBe(10); // the power of ten below the smallest bar (20 ns)
    const whiskers = option.series.filter((s) => s.type === 'custom');
    expect(whiskers.map((s) => s.yAxisIndex).sort()).toEqual([0, 0, 1, 2, 2]);
    for (const w of whiskers) expect(w.encode).toEqual({ x: 0, y: [1, 2] });
    // Two legends: the bars' under the title, the lines' with their panel.
    expect(option.legend[0]!.data).toEqual(['1 vCPU, idle', 'raw floor (1 vCPU, idle)']);
    expect(option.legend[1]!.data).toEqual(['invalidation of an unrelated page', 'invalidation of a cached page + refresh']);
  });

  it('a bar below 1 ns (a native load) still grows up from the axis: that axis counts in tenths, its labels in ns', () => {
    const withNative = {
      ...report,
      native: { ...report.native, status: 'measured' as const, figures: [{ ...f('check: locked x1', 0.4), model: 'check: locked x1' }] },
    } as unknown as BenchReport;
    const option = benchChartOption(withNative) as { yAxis: { min?: number; axisLabel?: { formatter(v: number): string } }[]; series: { name: string; type: string; yAxisIndex: number; data: unknown[] }[] };
    const native = option.series.find((s) => s.name === 'native C11 (idle)' && s.type === 'bar' && s.yAxisIndex === 0)!;
    expect(native.data).toEqual([4]);
    expect(option.yAxis[0]!.min).toBe(1);
    expect(option.yAxis[0]!.axisLabel!.formatter(1000)).toBe('100');
  });

  it('writes an SVG file, or an HTML page with the SVG inline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpc-bench-chart-'));
    await writeBenchChart(report, join(dir, 'c.svg'));
    const svg = readFileSync(join(dir, 'c.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('locked x1');
    await writeBenchChart(report, join(dir, 'c.html'));
    const html = readFileSync(join(dir, 'c.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>[\s\S]*<svg/);
  });
});
