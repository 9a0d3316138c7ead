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

/** Gap between categories, as a share of the band; bars of one category touch (barGap 0). */
const CATEGORY_GAP = 0.2;

interface Spread {
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
}

/** A bar value on a log axis: the median, or null where there is nothing positive to plot. */
function logValue(x: number | undefined): number | null {
  return x !== undefined && x > 0 ? round(x) : null;
}

/**
 * A custom series drawing the p25..p75 whisker of bar `slot` of `slots` in each category (the bars
 * are laid out edge to edge, so the slot's centre is computed from the band width).
 */
function errorBars(name: string, axis: number, slot: number, slots: number, spreads: readonly (Spread | undefined)[]): Record<string, unknown> {
  return {
    name,
    type: 'custom',
    xAxisIndex: axis,
    yAxisIndex: axis,
    z: 10,
    silent: true,
    // The whiskers count toward the axis extent (a p75 above every median stays on the chart).
    encode: { x: 0, y: [1, 2] },
    data: spreads.map((f, i) => (f && f.p25 > 0 && f.p75 > 0 ? [i, round(f.p25), round(f.p75)] : [i, null, null])),
    renderItem(_params: unknown, api: { value(i: number): number | null; coord(v: [number, number]): [number, number]; size(v: [number, number]): [number, number] }) {
      const lo = api.value(1);
      const hi = api.value(2);
      if (lo === null || hi === null || !(lo > 0) || !(hi > 0)) return { type: 'group', children: [] };
      const category = api.value(0)!;
      const band = api.size([1, 0])[0];
      const [cx, y1] = api.coord([category, lo]);
      const [, y2] = api.coord([category, hi]);
      const used = band * (1 - CATEGORY_GAP);
      const x = cx - used / 2 + ((slot + 0.5) * used) / slots;
      const cap = Math.max(2, Math.min(5, used / slots / 3));
      const style = { stroke: '#222', lineWidth: 1 };
      return {
        type: 'group',
        children: [
          { type: 'line', shape: { x1: x, y1, x2: x, y2 }, style },
          { type: 'line', shape: { x1: x - cap, y1, x2: x + cap, y2: y1 }, style },
          { type: 'line', shape: { x1: x - cap, y1: y2, x2: x + cap, y2 }, style },
        ],
      };
    },
  };
}

/** Multiplies the values of every series on y axis `axis` by `factor` (bars: each value; whiskers: p25 and p75). */
function scaleAxisValues(series: readonly Record<string, unknown>[], axis: number, factor: number): void {
  for (const s of series) {
    if (s.yAxisIndex !== axis) continue;
    const data = s.data as unknown[];
    s.data = data.map((d) => (Array.isArray(d) ? [d[0], d[1] === null ? null : round((d[1] as number) * factor), d[2] === null ? null : round((d[2] as number) * factor)] : d === null ? null : round((d as number) * factor)));
  }
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
  const native = report.native.status === 'measured' ? report.native.figures : [];
  const nativeOf = (model: string): Spread | undefined => native.find((n) => n.model === model);
  const withNative = native.length > 0;
  // Bars per category: each configuration, the raw floor (checks only), the native counterpart.
  const checkSlots = configs.length + (first ? 1 : 0) + (withNative ? 1 : 0);
  const entrySlots = configs.length + (withNative ? 1 : 0);
  const bar = (name: string, axis: number, data: (number | null)[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    name,
    type: 'bar',
    xAxisIndex: axis,
    yAxisIndex: axis,
    barGap: '0%',
    barCategoryGap: `${CATEGORY_GAP * 100}%`,
    data,
    ...extra,
  });
  const series: Record<string, unknown>[] = [];
  const whiskers: Record<string, unknown>[] = [];
  configs.forEach((c, k) => {
    const byName = new Map(c.figures.map((f) => [f.name, f]));
    series.push(bar(label(c), 0, checkNames.map((n) => logValue(byName.get(n)?.median))));
    series.push(bar(label(c), 1, entryNames.map((n) => logValue(byName.get(n)?.median))));
    whiskers.push(errorBars(label(c), 0, k, checkSlots, checkNames.map((n) => byName.get(n))));
    whiskers.push(errorBars(label(c), 1, k, entrySlots, entryNames.map((n) => byName.get(n))));
  });
  const floorName = first ? `raw floor (${label(first)})` : '';
  if (first) {
    const byName = new Map(first.figures.map((f) => [f.name, f]));
    const floors = checkNames.map((n) => byName.get(byName.get(n)?.floor ?? ''));
    series.push(bar(floorName, 0, floors.map((f) => logValue(f?.median)), { itemStyle: { color: '#999' } }));
    whiskers.push(errorBars(floorName, 0, configs.length, checkSlots, floors));
  }
  const nativeName = 'native C11 (idle)';
  if (withNative) {
    series.push(bar(nativeName, 0, checkNames.map((n) => logValue(nativeOf(n)?.median)), { itemStyle: { color: '#2f4554' } }));
    series.push(bar(nativeName, 1, entryNames.map((n) => logValue(nativeOf(n)?.median)), { itemStyle: { color: '#2f4554' } }));
    whiskers.push(errorBars(nativeName, 0, checkSlots - 1, checkSlots, checkNames.map((n) => nativeOf(n))));
    whiskers.push(errorBars(nativeName, 1, entrySlots - 1, entrySlots, entryNames.map((n) => nativeOf(n))));
  }
  const lineNames = ['invalidation of an unrelated page', 'invalidation of a cached page + refresh'];
  series.push({
    name: lineNames[0],
    type: 'line',
    xAxisIndex: 2,
    yAxisIndex: 2,
    data: unrelated.map((f) => [cacheCount(f.name), round(f.median / 1000)]),
  });
  series.push({
    name: lineNames[1],
    type: 'line',
    xAxisIndex: 2,
    yAxisIndex: 2,
    data: cached.map((f) => [cacheCount(f.name), round(f.median / 1000)]),
  });
  // The invalidation figures' p25..p75 as a band of whiskers on the value axis.
  for (const [i, figures] of [unrelated, cached].entries()) {
    whiskers.push({
      name: lineNames[i],
      type: 'custom',
      xAxisIndex: 2,
      yAxisIndex: 2,
      silent: true,
      encode: { x: 0, y: [1, 2] },
      data: figures.map((f) => [cacheCount(f.name), round(f.p25 / 1000), round(f.p75 / 1000)]),
      renderItem(_params: unknown, api: { value(i: number): number; coord(v: [number, number]): [number, number] }) {
        const [x, y1] = api.coord([api.value(0), api.value(1)]);
        const [, y2] = api.coord([api.value(0), api.value(2)]);
        const style = { stroke: '#222', lineWidth: 1 };
        return {
          type: 'group',
          children: [
            { type: 'line', shape: { x1: x, y1, x2: x, y2 }, style },
            { type: 'line', shape: { x1: x - 4, y1, x2: x + 4, y2: y1 }, style },
            { type: 'line', shape: { x1: x - 4, y1: y2, x2: x + 4, y2 }, style },
          ],
        };
      },
    });
  }
  const env = report.environment;
  const barLegend = [...configs.map(label), ...(first ? [floorName] : []), ...(withNative ? [nativeName] : [])];
  // A log axis starts at the power of ten below its smallest bar, so every bar grows up from it.
  const lowestBar = (axis: number): number => {
    let low = Infinity;
    for (const s of series) if (s.type === 'bar' && s.yAxisIndex === axis) for (const v of s.data as (number | null)[]) if (v !== null && v > 0) low = Math.min(low, v);
    return Number.isFinite(low) ? 10 ** Math.floor(Math.log10(low)) : 1;
  };
  // ECharts grows log-axis bars from 1: below 1 ns (native loads) the axis's values are in units of
  // its lowest power of ten, and its labels convert back to ns.
  const logAxis = (gridIndex: number): Record<string, unknown> => {
    const low = lowestBar(gridIndex);
    const unit = Math.min(1, low);
    if (unit < 1) scaleAxisValues([...series, ...whiskers], gridIndex, 1 / unit);
    return {
      type: 'log',
      logBase: 10,
      gridIndex,
      min: low / unit,
      name: 'ns (log scale)',
      axisLabel: { formatter: (v: number) => round(v * unit).toLocaleString('en-US') },
      minorSplitLine: { show: true, lineStyle: { color: '#f2f2f2' } },
    };
  };
  return {
    animation: false,
    backgroundColor: '#fff',
    title: [
      {
        text: 'gpc-lab bench: per-vmentry cache check (median, whiskers p25..p75)',
        subtext: `node ${env.node}, ${env.cpuModel}, ${env.availableParallelism} CPUs, load ${env.loadAverage1m.toFixed(2)}${report.quick ? ', --quick' : ''}`,
        left: 'center',
      },
      { text: `ns per entry check (grey: its raw Atomics floor${withNative ? '; dark: the C11 counterpart' : ''})`, top: top[0]! - 22, left: 60, textStyle: { fontSize: 13 } },
      { text: 'ns per vmentry (entry path around the check)', top: top[1]! - 22, left: 60, textStyle: { fontSize: 13 } },
      { text: 'µs per invalidation, by caches on the list', top: top[2]! - 22, left: 60, textStyle: { fontSize: 13 } },
    ],
    // The bars' legend under the title; the lines' legend with their own panel.
    legend: [
      { data: barLegend, top: 62, left: 40, right: 40, type: 'plain', itemGap: 18, textStyle: { fontSize: 11 } },
      { data: lineNames, top: top[2]! - 44, right: 40, orient: 'vertical', type: 'plain', itemGap: 6, textStyle: { fontSize: 11 } },
    ],
    grid: top.map((t) => ({ top: t + 30, height: PANEL - 60, left: 70, right: 30 })),
    xAxis: [
      { type: 'category', gridIndex: 0, data: checkNames.map((n) => n.replace('check: ', '')), axisLabel: CATEGORY_LABELS },
      { type: 'category', gridIndex: 1, data: entryNames.map((n) => n.replace('vmentry: ', '')), axisLabel: CATEGORY_LABELS },
      { type: 'value', gridIndex: 2, name: 'caches', nameLocation: 'middle', nameGap: 25, min: 0 },
    ],
    // Check and entry costs span decades (sub-ns native loads to µs for eight locked caches): log scales.
    yAxis: [logAxis(0), logAxis(1), { type: 'value', gridIndex: 2, name: 'µs', min: 0 }],
    series: [...series, ...whiskers],
  };
}

/** Height of the chart for the report. */
function chartHeight(): number {
  return FIRST_PANEL + 3 * PANEL + 2 * GAP + 10;
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
