/** The verdicts report as text or as Markdown (a table ready for docs/VERDICTS.md). */
import { formatInterleaving } from '../stress/interleaving-text.js';
import type { FindingVerdict, PropertyVerdict, VariantVerdict, VerdictRun, VerdictsReport } from './verdicts-report.js';
import { grouped } from './verdict-run.js';
import { applicabilityText } from './catalog-applicability.js';

/** Racing steps shown per finding (the JSON has them all). */
const RACING_SHOWN = 14;

const sec = (s: number | null): string => (s === null ? '-' : `${s.toFixed(2)} s`);

/** Rows worth a line: a property that made checks or has findings. */
function shownRows(run: VerdictRun): PropertyVerdict[] {
  return run.properties.filter((p) => p.checks > 0 || p.findings > 0);
}

function runLabel(run: VerdictRun): string {
  return `${run.workloads.join(',')}; --strategy ${run.strategy}; seed ${run.seed}`;
}

function environmentLine(report: VerdictsReport): string {
  const env = report.environment as { cpus?: number; availableParallelism?: number; loadAverage1m?: number; node?: string };
  return `${env.availableParallelism ?? env.cpus ?? '?'} CPUs, load ${env.loadAverage1m?.toFixed(2) ?? '?'} at the start, Node ${env.node ?? '?'}`;
}

function findingsOf(report: VerdictsReport): { variant: VariantVerdict; side: string; f: FindingVerdict }[] {
  const out: { variant: VariantVerdict; side: string; f: FindingVerdict }[] = [];
  for (const v of report.variants) {
    for (const f of v.run.findings) out.push({ variant: v, side: v.name, f });
    if (v.mainline !== null) for (const f of v.mainline.findings) out.push({ variant: v, side: `mainline beside ${v.name}`, f });
  }
  return out;
}

function findingLines(side: string, f: FindingVerdict, indent: string): string[] {
  const out = [`${indent}${side}: ${f.property} by ${f.thread}${f.cache ? ` on ${f.cache}` : ''}${f.repeats > 1 ? ` (x${f.repeats})` : ''}: ${f.message}`];
  out.push(`${indent}  allowed by: ${f.allowedBy}`);
  out.push(`${indent}  racing steps${f.racing.length > RACING_SHOWN ? ` (last ${RACING_SHOWN} of ${f.racing.length})` : ''}:`);
  for (const line of formatInterleaving(f.racing.slice(-RACING_SHOWN))) out.push(`${indent}    ${line}`);
  out.push(`${indent}  re-run: ${f.rerun}`);
  return out;
}

export function formatVerdictsText(report: VerdictsReport): string[] {
  const out = [`gpc-lab verdicts: budget ${report.budgetS} s per run, shard ${report.shard}, seed ${report.seed}; ${report.wallS.toFixed(0)} s wall (${environmentLine(report)})`, ''];
  for (const v of report.variants) {
    out.push(`${v.name}: ${v.summaryLine}`);
    out.push(`  ${v.summary}`);
    out.push(`  module ${v.module}; runs ${runLabel(v.run)}`);
    for (const s of v.replacedSteps) out.push(`  replaces ${s.step}: ${s.patch}`);
    const width = Math.max(8, ...shownRows(v.run).map((p) => p.property.length));
    for (const p of shownRows(v.run)) out.push(`    ${p.property.padEnd(width)}  ${p.verdict}`);
    if (v.mainline !== null) {
      out.push(`  mainline beside it:`);
      for (const p of shownRows(v.mainline)) out.push(`    ${p.property.padEnd(width)}  ${p.verdict}`);
    }
    out.push('');
  }
  const findings = findingsOf(report);
  if (findings.length > 0) {
    out.push('Findings (racing steps first: the events on the finding\'s cache, page or gfn):');
    for (const { side, f } of findings) out.push(...findingLines(side, f, '  '));
    out.push('');
  }
  if (report.catalog !== undefined) {
    out.push('Catalog switches under each variant (--catalog):');
    for (const r of report.catalog) out.push(`  ${r.variant.padEnd(18)} ${`${r.bug} (${r.history})`.padEnd(40)} ${applicabilityText(r)}`);
    out.push('');
  }
  for (const u of report.unexplainedMainline) out.push(`UNEXPLAINED on mainline (${u.workloads.join(',')}): ${u.findings} ${u.property}: ${u.message}; re-run: ${u.rerun}`);
  for (const n of report.notes) out.push(`note: ${n}`);
  out.push(`exit ${report.exitCode}: ${report.interrupted ? 'interrupted' : report.unexplainedMainline.length > 0 ? 'mainline has a finding none of its documented candidate upstream bugs explains' : report.catalog?.some((r) => r.outcome === 'not found') ? 'an applicable catalog switch was not found' : 'every variant ran'}`);
  return out;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|');

export function formatVerdictsMarkdown(report: VerdictsReport): string[] {
  const out = [`Command: \`${report.rerun}\` (${report.wallS.toFixed(0)} s wall; ${environmentLine(report)}).`, ''];
  if (report.variants.length > 0) {
    out.push('| variant | runs with | property | checks | findings | first | verdict |', '|---|---|---|---:|---:|---:|---|');
    for (const v of report.variants) {
      for (const p of shownRows(v.run)) out.push(`| \`${v.name}\` | ${cell(runLabel(v.run))} | ${p.property} | ${grouped(p.checks)} | ${grouped(p.findings)} | ${sec(p.firstAtS)} | ${cell(p.verdict)} |`);
      if (v.mainline !== null) {
        const m = v.mainline;
        const failing = m.properties.filter((p) => p.findings > 0).map((p) => p.property).join(', ') || 'all';
        out.push(`| mainline beside \`${v.name}\` | same | ${failing} | ${grouped(m.checks)} | ${grouped(m.findingsTotal)} | ${sec(m.firstFinding?.atS ?? null)} | ${cell(m.findingsTotal === 0 ? `no finding in ${grouped(m.checks)} checks over ${m.seconds.toFixed(1)} s` : `${grouped(m.findingsTotal)} findings`)} |`);
      }
    }
    out.push('');
  }
  const findings = findingsOf(report);
  for (const { side, f } of findings) {
    out.push(`- **${cell(side)}**: ${f.property} by ${f.thread}${f.cache ? ` on ${f.cache}` : ''}${f.repeats > 1 ? ` (x${f.repeats})` : ''}. Allowed by: ${f.allowedBy}. Re-run: \`${f.rerun}\``);
    out.push('', '  ```', ...formatInterleaving(f.racing.slice(-RACING_SHOWN)).map((l) => `  ${l}`), '  ```', '');
  }
  if (report.catalog !== undefined) {
    out.push('| variant | catalog switch | outcome |', '|---|---|---|');
    for (const r of report.catalog) out.push(`| \`${r.variant}\` | \`${r.bug}\` (${r.history}) | ${cell(applicabilityText(r))} |`);
    out.push('');
  }
  for (const u of report.unexplainedMainline) out.push(`**Unexplained on mainline** (${u.workloads.join(',')}): ${u.findings} ${u.property}: ${cell(u.message)}`);
  return out;
}
