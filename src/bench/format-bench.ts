/** The text report of `gpc-lab bench`: per-configuration tables, summary matrices, goals, seed verdict. */
import { formatBatchTable, type BatchStats } from '../harness/batch-timer.js';
import type { LatencySummary } from '../harness/histogram.js';
import type { BenchReport, VmentryConfigResult } from './bench-report.js';
import type { NativeReport } from './native-bench.js';
import { referenceConfig } from './bench-goals.js';
import { RATIO_MARKER_LEGEND, ratioMarker, ratioVerdict } from '../harness/measured-difference.js';
import { formatNs } from '../util/format-ns.js';
import { REPORT_WIDTH, fitLines } from '../util/wrap-text.js';

/** ns as reports print them (src/util/format-ns.ts). */
const fmt = formatNs;

function latency(s: LatencySummary): string {
  if (s.count === 0) return 'none recorded';
  return `n=${s.count} p50 ${fmt(s.p50)} p90 ${fmt(s.p90)} p99 ${fmt(s.p99)} max ${fmt(s.max)} µs`;
}

function configLabel(c: VmentryConfigResult): string {
  return `${c.vcpus} vCPU${c.vcpus > 1 ? 's' : ''}, ${c.load}`;
}

/**
 * A configuration's figures, then (a second, narrow table, so that each keeps to 100 columns) the
 * entry checks that failed and the reloads per 1000 operations of the check and vmentry variants,
 * and the samples a GC ran into.
 */
function withCounters(c: VmentryConfigResult): string[] {
  const lines = formatBatchTable(c.figures);
  const counted = c.figures.filter((f) => f.name.startsWith('check:') || f.name.startsWith('vmentry:') || f.gcFlagged || f.gcDropped);
  if (counted.length === 0) return lines;
  const width = Math.max(8, ...counted.map((f) => f.name.length));
  lines.push('', `${'variant'.padEnd(width)}  ${'fail/1k'.padStart(7)}  ${'reload/1k'.padStart(9)}  gc (-n dropped, FLAGGED kept)`);
  for (const f of counted) {
    const gc = f.gcFlagged ? 'FLAGGED' : f.gcDropped ? `-${f.gcDropped}` : '';
    const counters = f.name.startsWith('check:') || f.name.startsWith('vmentry:');
    lines.push(`${f.name.padEnd(width)}  ${(counters ? f.checkFailuresPer1k.toFixed(2) : '').padStart(7)}  ${(counters ? f.reloadsPer1k.toFixed(2) : '').padStart(9)}  ${gc}`.trimEnd());
  }
  return lines;
}

/** The native figure whose model counterpart is `modelName`, as "ns (JS/native factor at 1v idle)". */
function nativeCell(native: NativeReport | undefined, modelName: string, ref: VmentryConfigResult | undefined): string {
  const n = native?.figures.find((x) => x.model === modelName);
  if (!n) return '-';
  const m = ref?.figures.find((x) => x.name === modelName);
  return m && n.median > 0 ? `${fmt(n.median)} (${(m.median / n.median).toFixed(0)}x)` : fmt(n.median);
}

/**
 * Rows: the figures whose name starts with `prefix`; columns: the configurations, then (with
 * measured native figures) the native counterpart and the JS/native factor of the 1v idle figure.
 */
function matrix(configs: readonly VmentryConfigResult[], prefix: string | readonly string[], native?: NativeReport): string[] {
  const prefixes = typeof prefix === 'string' ? [prefix] : prefix;
  const names = prefixes.flatMap((p) => configs[0]?.figures.filter((f) => f.name.startsWith(p)).map((f) => f.name) ?? []);
  const nameWidth = Math.max(...names.map((n) => n.length), 8);
  const labels = configs.map((c) => `${c.vcpus}v ${c.load}`);
  const colWidth = Math.max(16, ...labels.map((l) => l.length));
  const withNative = native?.status === 'measured';
  const ref = referenceConfig(configs);
  const nativeHeader = 'native (JS/native)';
  // One column per configuration, then the native one; in blocks of as many as fit 100 columns.
  const columns: { header: string; cell: (name: string) => string }[] = configs.map((c, i) => ({
    header: labels[i]!,
    cell(name: string): string {
      const f = c.figures.find((x) => x.name === name);
      if (!f) return '-';
      const floor = f.floor === undefined ? undefined : c.figures.find((x) => x.name === f.floor);
      const marker = floor ? ratioMarker(ratioVerdict(f, floor)) : '';
      const ratio = f.ratioToFloor === undefined ? '' : ` (${f.ratioToFloor.toFixed(2)}x${marker})`;
      return `${fmt(f.median)}${ratio}`;
    },
  }));
  if (withNative) columns.push({ header: nativeHeader, cell: (name) => nativeCell(native, name, ref) });
  const width = Math.max(colWidth, nativeHeader.length);
  const perBlock = Math.max(1, Math.floor((100 - nameWidth) / (width + 2)));
  const lines: string[] = [];
  for (let at = 0; at < columns.length; at += perBlock) {
    const block = columns.slice(at, at + perBlock);
    if (at > 0) lines.push('');
    lines.push(`${''.padEnd(nameWidth)}  ${block.map((c) => c.header.padStart(width)).join('  ')}`);
    for (const name of names) lines.push(`${name.padEnd(nameWidth)}  ${block.map((c) => c.cell(name).padStart(width)).join('  ')}`);
  }
  return lines;
}

/** The native section: how it was compiled and interleaved, its own tables, or why it was skipped. */
function nativeSection(native: NativeReport, configs: readonly VmentryConfigResult[]): string[] {
  if (native.status !== 'measured') return ['', `Native (bench/native/vmentry-checks.c): ${native.note}`];
  const lines = ['', `Native C11 counterparts (bench/native/vmentry-checks.c; ${native.compile ?? 'cc'}), ns per op, floors native too`];
  lines.push(`   ${native.rounds} round${native.rounds === 1 ? '' : 's'}: ${native.interleaving}; ${native.plan?.batchSize ?? 0} iterations per batch`);
  if (native.note !== '') lines.push(`   ${native.note}`);
  if (native.figures.length > 0) lines.push(...formatBatchTable(native.figures).map((l) => `   ${l}`));
  const loaded = native.underNotifier;
  if (loaded) {
    const model = configs.find((c) => c.vcpus === 1 && c.load === 'inval-cached');
    lines.push(
      '',
      `Native, under its notifier thread write-locking and invalidating the 8 caches at ${loaded.ratePerS}/s ` +
        `(${loaded.perSecond.toFixed(0)}/s achieved, ${loaded.rounds} round${loaded.rounds === 1 ? '' : 's'}; a failed check refreshes at once)` +
        (model ? `; model: 1v inval-cached` : ''),
    );
    const table = formatBatchTable(loaded.figures);
    lines.push(
      ...table.map((line, i) => {
        if (i === 0) return `   ${line}  ${'fail/1k'.padStart(7)}  ${'model'.padStart(7)}  JS/native`;
        const f = loaded.figures[i - 1]!;
        const m = model?.figures.find((x) => x.name === f.model);
        const factor = m && f.median > 0 ? `${(m.median / f.median).toFixed(0)}x` : '';
        return `   ${line}  ${f.refreshesPer1k.toFixed(2).padStart(7)}  ${(m ? fmt(m.median) : '-').padStart(7)}  ${factor}`;
      }),
    );
  }
  return lines;
}

function opsTable(figures: readonly BatchStats[]): string[] {
  return formatBatchTable(figures).map((line, i) => (i === 0 ? line.replace('ns/op', 'ns/op') : line));
}

export function formatBenchReport(report: BenchReport): string[] {
  const env = report.environment;
  const lines: string[] = [];
  const cfg = report.config as { plan: { samples: number; batchSize: number; warmupSamples: number }; passes?: number; invalRate: number; protocol?: string };
  lines.push(
    `gpc-lab bench${report.quick ? ' --quick' : ''}: per-vmentry cost of the entry-check strategies (protocol ${cfg.protocol ?? 'mainline'}); ` +
      `${cfg.plan.samples} samples x ${cfg.plan.batchSize} ops per variant and thread, ${cfg.plan.warmupSamples} warm-up rounds, variants interleaved` +
      `${(cfg.passes ?? 1) > 1 ? `, the configurations in ${cfg.passes} round-robin passes (pooled)` : ''}; ` +
      `median ns/op, p25..p75, MAD%, ratio to the floor measured in the same run`,
  );
  lines.push(`ratios: ${RATIO_MARKER_LEGEND}`);
  if (report.interrupted) lines.push('INTERRUPTED: partial report');
  for (const c of report.vmentry) {
    lines.push('', `== ${configLabel(c)} (${c.seconds.toFixed(1)} s${c.gcEvents ? `, ${c.gcEvents} GCs` : ''})`);
    if (c.invalidations) {
      lines.push(
        `   load: ${c.invalidations.events} invalidations (${c.invalidations.perSecond.toFixed(0)}/s), ` +
          `${c.invalidations.evictionWaits} eviction waits (${latency(c.invalidations.evictionLatencyUs)}); ` +
          `vCPU refreshes: ${latency(c.refreshLatencyUs)}`,
      );
    }
    lines.push(...withCounters(c).map((l) => (l === '' ? '' : `   ${l}`)));
  }
  if (report.vmentry.length > 0) {
    lines.push('', 'Summary: ns per entry check (ratio to its raw Atomics floor)');
    lines.push(...matrix(report.vmentry, 'check:', report.native));
    lines.push('', 'Summary: ns per vmentry (ratio to the empty vmentry)');
    lines.push(...matrix(report.vmentry, 'vmentry:', report.native));
    lines.push('', 'Raw floors (ns)');
    lines.push(...matrix(report.vmentry, ['raw:', 'floor:'], report.native));
    if (report.native.status === 'measured') {
      lines.push(`   native: the C11 counterpart (relaxed load for plain load, acquire load for Atomics.load); (Nx): the 1v idle model figure / native`);
    }
  }
  lines.push(...nativeSection(report.native, report.vmentry));
  if (report.invalidation.figures.length > 0) {
    lines.push('', 'Invalidation and refresh cost (one thread; ns per event)');
    lines.push(...opsTable(report.invalidation.figures).map((l) => `   ${l}`));
    lines.push(`   refresh after invalidation (model's recorder): ${latency(report.invalidation.refreshAfterInvalidationUs)}`);
  }
  if (report.eviction.length > 0) {
    lines.push('', 'Eviction (kick + wait until out of guest mode) under the real vCPU loop');
    for (const e of report.eviction) {
      lines.push(`   ${e.vcpus} vCPU${e.vcpus > 1 ? 's' : ''}: ${e.invalidations} invalidations, ${e.waits} waited: ${latency(e.latencyUs)}; vCPU refresh ${latency(e.refreshLatencyUs)}`);
    }
  }
  if (report.goals.length > 0) {
    lines.push('', 'Goals (1 vCPU, idle; reported, not enforced)');
    // Each goal stated once, then every figure it is judged on.
    for (const statement of [...new Set(report.goals.map((g) => g.statement))]) {
      const group = report.goals.filter((g) => g.statement === statement);
      lines.push(`   ${statement}`);
      for (const g of group) {
        const noise = g.verdict === 'within-spread' ? ' (within the spread of its floor: no difference measured)' : g.verdict === 'below-floor' ? ' (below its floor: noise)' : '';
        lines.push(`     ${g.met ? 'MET   ' : 'MISSED'} ${g.figure} = ${g.ratio.toFixed(2)}x ${g.floor}${noise}; ${g.note}`);
      }
      const explanation = group.find((g) => g.explanation !== '')?.explanation;
      if (explanation) lines.push(`     why: ${explanation}`);
    }
  }
  if (report.seed.length > 0) {
    lines.push('', `The seed question (${report.native.status === 'measured' ? 'native C11 figures; the model\'s, 1 vCPU idle, in brackets' : '1 vCPU, idle'})`);
    for (const s of report.seed) lines.push(`   ${s}`);
  }
  lines.push('');
  lines.push(
    `GC: ${report.gcDroppedSamples} samples dropped (a GC ran in their batch)${report.gcFlaggedFigures ? `, ${report.gcFlaggedFigures} figures FLAGGED (kept GC samples)` : ''}`,
  );
  if (report.chartFile) lines.push(`chart: ${report.chartFile}`);
  if (report.chartError) lines.push(`chart: ${report.chartError}`);
  lines.push(
    `node ${env.node} (V8 ${env.v8}), ${env.cpuModel}, availableParallelism ${env.availableParallelism}, ` +
      `load average ${env.loadAverage1m.toFixed(2)} at start, ${report.loadAverage1mAtEnd.toFixed(2)} at end` +
      (env.loadAverage1m > env.availableParallelism * 0.5 ? ' (busy machine: figures are noisy)' : ''),
  );
  // Prose wrapped to 100 columns; the tables (and the compile command line) kept whole.
  return fitLines(lines, REPORT_WIDTH, (line) => line.includes(' -std=c11 '));
}
