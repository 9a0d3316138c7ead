/**
 * The bench chart, drawn by Apache ECharts with its server-side SVG renderer (no canvas, no
 * browser): ns per entry check and ns per vmentry for each strategy and configuration (with the
 * raw floors), and the invalidation cost by number of caches. Written as .svg, or as a
 * self-contained .html page with the SVG inline.
 */
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { BenchReport, VmentryConfigResult } from './bench-report.js';

const WIDTH = 1100;
const PANEL = 340;
const GAP = 90;
/** Room above the first panel for the title, subtitle and a legend of up to two lines. */
const FIRST_PANEL = 150;
/** Every strategy named under its bars. */
const CATEGORY_LABELS = { interval: 0, fontSize: 11 };

function label(c: VmentryConfigResult): string {
  return `${c.vcpus} vCPU${c.vcpus > 1 ? 's' : ''}, ${c.load}`;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** The ECharts option for the report (exported for tests). */
export function benchChartOption(report: BenchReport): Record<string, unknown> {
  const configs = report.vmentry;
  const first = configs[0];
  const checkNames = first ? first.figures.filter((f) => f.name.startsWith('check:')).map((f) => f.name) : [];
  const entryNames = first ? first.figures.filter((f) => f.name.startsWith('vmentry:')).map((f) => f.name) : [];
  const ops = report.invalidation.figures;
  const unrelated = ops.filter((f) => f.name.startsWith('inval unrelated'));
  const cached = ops.filter((f) => f.name.startsWith('inval cached'));
  const cacheCount = (name: string): number => Number(/, (\d+) caches/.exec(name)?.[1] ?? Number.NaN);
  const top = [FIRST_PANEL, FIRST_PANEL + PANEL + GAP, FIRST_PANEL + 2 * (PANEL + GAP)];
  const series: Record<string, unknown>[] = [];
  for (const c of configs) {
    const byName = new Map(c.figures.map((f) => [f.name, f]));
    series.push({
      name: label(c),
      type: 'bar',
      xAxisIndex: 0,
      yAxisIndex: 0,
      data: checkNames.map((n) => round(byName.get(n)?.median ?? 0)),
    });
    series.push({
      name: label(c),
      type: 'bar',
      xAxisIndex: 1,
      yAxisIndex: 1,
      data: entryNames.map((n) => round(byName.get(n)?.median ?? 0)),
    });
  }
  if (first) {
    const byName = new Map(first.figures.map((f) => [f.name, f]));
    series.push({
      name: `raw floor (${label(first)})`,
      type: 'bar',
      xAxisIndex: 0,
      yAxisIndex: 0,
      itemStyle: { color: '#999' },
      data: checkNames.map((n) => round(byName.get(byName.get(n)?.floor ?? '')?.median ?? 0)),
    });
  }
  series.push({
    name: 'invalidation of an unrelated page',
    type: 'line',
    xAxisIndex: 2,
    yAxisIndex: 2,
    data: unrelated.map((f) => [cacheCount(f.name), round(f.median / 1000)]),
  });
  series.push({
    name: 'invalidation of a cached page + refresh',
    type: 'line',
    xAxisIndex: 2,
    yAxisIndex: 2,
    data: cached.map((f) => [cacheCount(f.name), round(f.median / 1000)]),
  });
  const env = report.environment;
  return {
    animation: false,
    backgroundColor: '#fff',
    title: [
      {
        text: 'gpc-lab bench: per-vmentry cache check (median)',
        subtext: `node ${env.node}, ${env.cpuModel}, ${env.availableParallelism} CPUs, load ${env.loadAverage1m.toFixed(2)}${report.quick ? ', --quick' : ''}`,
        left: 'center',
      },
      { text: 'ns per entry check (grey: its raw Atomics floor)', top: top[0]! - 22, left: 60, textStyle: { fontSize: 13 } },
      { text: 'ns per vmentry (entry path around the check)', top: top[1]! - 22, left: 60, textStyle: { fontSize: 13 } },
      { text: 'µs per invalidation, by caches on the list', top: top[2]! - 22, left: 60, textStyle: { fontSize: 13 } },
    ],
    legend: { top: 62, left: 40, right: 40, type: 'plain', itemGap: 18, textStyle: { fontSize: 11 } },
    grid: top.map((t) => ({ top: t + 30, height: PANEL - 60, left: 70, right: 30 })),
    xAxis: [
      { type: 'category', gridIndex: 0, data: checkNames.map((n) => n.replace('check: ', '')), axisLabel: CATEGORY_LABELS },
      { type: 'category', gridIndex: 1, data: entryNames.map((n) => n.replace('vmentry: ', '')), axisLabel: CATEGORY_LABELS },
      { type: 'value', gridIndex: 2, name: 'caches', nameLocation: 'middle', nameGap: 25 },
    ],
    yAxis: [
      { type: 'value', gridIndex: 0, name: 'ns' },
      { type: 'value', gridIndex: 1, name: 'ns' },
      { type: 'value', gridIndex: 2, name: 'µs' },
    ],
    series,
  };
}

/** Height of the chart for the report. */
function chartHeight(): number {
  return FIRST_PANEL + 3 * (PANEL + GAP) + 20;
}

/** Renders the chart with ECharts (SSR, SVG renderer) and writes it to `file` (.svg or .html). */
export async function writeBenchChart(report: BenchReport, file: string): Promise<void> {
  const echarts = await import('echarts');
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height: chartHeight() });
  try {
    chart.setOption(benchChartOption(report));
    const svg = chart.renderToSVGString();
    if (extname(file).toLowerCase() === '.html') {
      writeFileSync(
        file,
        `<!doctype html>\n<html><head><meta charset="utf-8"><title>gpc-lab bench</title></head>\n<body>\n${svg}\n</body></html>\n`,
      );
    } else {
      writeFileSync(file, svg);
    }
  } finally {
    chart.dispose();
  }
}
