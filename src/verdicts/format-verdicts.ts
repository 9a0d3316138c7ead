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
  // A mainline run shared by several variants (or mainline's own row) is listed once.
  const listed = new Set<VerdictRun>();
  for (const v of report.variants) {
    if (!listed.has(v.run)) for (const f of v.run.findings) out.push({ variant: v, side: v.name, f });
    listed.add(v.run);
    if (v.mainline !== null && !listed.has(v.mainline)) for (const f of v.mainline.findings) out.push({ variant: v, side: `mainline beside ${v.name}`, f });
    if (v.mainline !== null) listed.add(v.mainline);
  }
  return out;
}

function findingLines(side: string, f: FindingVerdict, indent: string): string[] {
  const out = [`${indent}${side}: ${f.property} by ${f.thread}${f.cache ? ` on ${f.cache}` : ''}${f.repeats > 1 ? ` (x${f.repeats})` : ''}: ${f.message}`];
  out.push(`${indent}  allowed by: ${f.allowedBy}`);
  if (f.racing.length > 0) {
    out.push(`${indent}  racing steps${f.racing.length > RACING_SHOWN ? ` (last ${RACING_SHOWN} of ${f.racing.length})` : ''}:`);
    for (const line of formatInterleaving(f.racing.slice(-RACING_SHOWN))) out.push(`${indent}    ${line}`);
  }
  out.push(`${indent}  re-run: ${f.rerun}`);
  return out;
}

export function formatVerdictsText(report: VerdictsReport): string[] {
  const out = [`gpc-lab verdicts: budget ${report.budgetS} s per run, shard ${report.shard}, seed ${report.seed}; ${report.wallS.toFixed(0)} s wall (${environmentLine(report)})`, ''];
  for (const v of report.variants) {
    out.push(`${v.name}: ${v.summaryLine}`);
    out.push(`  ${v.summary}`);
    out.push(`  module ${v.module}; runs ${runLabel(v.run)}`);
    const e = v.run.exercised;
    out.push(`  exercised: ${grouped(e.vmentries)} vmentries, ${grouped(e.refreshes)} refreshes (${grouped(e.refreshRetries)} retries), ${grouped(e.invalidations)} invalidations, ${grouped(e.memslotUpdates)} memslot updates, ${grouped(e.eventsSent)} events (${grouped(e.eventsDeferred)} deferred from irq, ${grouped(e.fastPathTrylockFails)} fast-path trylock fails)`);
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
    out.push('| variant | runs with | checks | findings | first | verdict | mainline beside it |', '|---|---|---:|---:|---|---|---|');
    for (const v of report.variants) {
      const r = v.run;
      const first = r.firstFinding === null ? '-' : `${r.firstFinding.property} ${sec(r.firstFinding.atS)}`;
      const m = v.mainline;
      const beside = m === null ? '(itself)' : m.findingsTotal === 0 ? `no finding in ${grouped(m.checks)} checks over ${m.seconds.toFixed(1)} s (seed ${m.seed})` : `${grouped(m.findingsTotal)} findings (${m.properties.filter((p) => p.findings > 0).map((p) => p.property).join(', ')}; seed ${m.seed})`;
      const verdict = r.findingsTotal === 0 ? `no finding in ${grouped(r.checks)} checks over ${r.seconds.toFixed(1)} s` : `${grouped(r.findingsTotal)} findings in ${grouped(r.checks)} checks over ${r.seconds.toFixed(1)} s`;
      out.push(`| \`${v.name}\` | ${cell(runLabel(r))} | ${grouped(r.checks)} | ${grouped(r.findingsTotal)} | ${first} | ${cell(verdict)} | ${cell(beside)} |`);
    }
    out.push('');
    // What each run exercised: what its "no finding" is evidence over.
    out.push('| variant | vmentries | refreshes (retries) | invalidations (outside memslots) | memslot updates | juggles | events sent (deferred from irq) | fast-path trylock fails | refresh windows an invalidation ended in (installs after one) |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const v of report.variants) {
      const e = v.run.exercised;
      out.push(`| \`${v.name}\` | ${grouped(e.vmentries)} | ${grouped(e.refreshes)} (${grouped(e.refreshRetries)}) | ${grouped(e.invalidations)} (${grouped(e.invalidationsOutsideMemslots)}) | ${grouped(e.memslotUpdates)} | ${grouped(e.juggles)} | ${grouped(e.eventsSent)} (${grouped(e.eventsDeferred)}) | ${grouped(e.fastPathTrylockFails)} | ${grouped(e.refreshInvalidationsInWindow)} (${grouped(e.refreshSeqlessInstalls)}) |`);
    }
    out.push('');
    // One row per property, one column per variant: findings / checks (the JSON has each row's verdict line).
    const names = report.variants.map((v) => v.name);
    const properties = report.variants[0]!.run.properties.map((p) => p.property);
    out.push(`| property | ${names.map((n) => `\`${n}\``).join(' | ')} |`, `|---|${names.map(() => '---:').join('|')}|`);
    for (const property of properties) {
      const cells = report.variants.map((v) => {
        const p = v.run.properties.find((x) => x.property === property);
        if (p === undefined) return '-';
        return p.findings === 0 ? `0 in ${grouped(p.checks)}` : `**${grouped(p.findings)}** in ${grouped(p.checks)}${p.firstAtS !== null ? `, first ${sec(p.firstAtS)}` : ''}`;
      });
      out.push(`| ${property} | ${cells.join(' | ')} |`);
    }
    out.push('');
  }
  const findings = findingsOf(report);
  for (const { side, f } of findings) {
    out.push(`- **${cell(side)}**: ${f.property} by ${f.thread}${f.cache ? ` on ${f.cache}` : ''}${f.repeats > 1 ? ` (x${f.repeats})` : ''}. Allowed by: ${f.allowedBy}. Re-run: \`${f.rerun}\``);
    if (f.racing.length > 0) out.push('', '  ```', ...formatInterleaving(f.racing.slice(-RACING_SHOWN)).map((l) => `  ${l}`), '  ```', '');
  }
  if (report.catalog !== undefined) {
    // One row per catalog entry, one column per variant.
    const variants = [...new Set(report.catalog.map((r) => r.variant))];
    const bugs = [...new Set(report.catalog.map((r) => r.bug))];
    out.push(`| catalog switch | ${variants.map((v) => `\`${v}\``).join(' | ')} |`, `|---|${variants.map(() => '---').join('|')}|`);
    for (const bug of bugs) {
      const rows = variants.map((v) => report.catalog!.find((r) => r.variant === v && r.bug === bug));
      const history = rows.find((r) => r !== undefined)?.history ?? '';
      out.push(`| \`${bug}\` (${history}) | ${rows.map((r) => (r === undefined ? '-' : cell(applicabilityText(r)))).join(' | ')} |`);
    }
    out.push('');
  }
  for (const u of report.unexplainedMainline) out.push(`**Unexplained on mainline** (${u.workloads.join(',')}): ${u.findings} ${u.property}: ${cell(u.message)}`);
  return out;
}
