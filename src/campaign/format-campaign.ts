/** The campaign report as a text table or as Markdown. */
import type { CampaignReport, CampaignRow } from './campaign-report.js';
import { REPORT_WIDTH, fitLines } from '../util/wrap-text.js';

const sec = (s: number | null): string => (s === null ? '-' : s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`);

function caught(row: CampaignRow): string {
  const parts = Object.entries(row.caughtBy)
    .sort((a, b) => b[1] - a[1])
    .map(([p, n]) => `${p} ${n}`);
  return parts.length > 0 ? parts.join(', ') : '-';
}

function label(row: CampaignRow): string {
  return `${row.name} (${row.history})`;
}

/** The rule of three: after n runs without an event, its rate per run is below 3/n with 95 % confidence. */
function ruleOfThree(n: number): string {
  return `< ${Math.min(100, 300 / n).toFixed(n > 300 ? 1 : 0)}%`;
}

function detectionCell(row: CampaignRow): string {
  if (row.kind === 'cost') return 'cost, no finding expected';
  const n = row.runs.length;
  // Every run caught it: the miss rate per run is below 3/n (95 %).
  return `${row.detected}/${n}${n > 0 && row.detected === n ? ` (miss ${ruleOfThree(n)})` : ''}`;
}

/** "a vs b": the two sides' pooled figures, their run-to-run ranges, and whether the ranges overlap (no difference measured). */
function compared(bug: number, bugRange: [number, number], ref: number, refRange: [number, number], digits: number, runs: number): string {
  const r = (x: [number, number]): string => `${x[0].toFixed(digits)}..${x[1].toFixed(digits)}`;
  const overlap = bugRange[0] <= refRange[1] && refRange[0] <= bugRange[1];
  const verdict = runs < 2 ? 'one run each: no spread to judge by' : overlap ? 'the run ranges overlap: no difference measured' : 'the run ranges are apart';
  return `${bug.toFixed(digits)} [${r(bugRange)}] vs reference ${ref.toFixed(digits)} [${r(refRange)}] (${verdict})`;
}

function costLine(row: CampaignRow): string {
  const c = row.cost!;
  const runs = Math.min(c.bug.runs, c.reference.runs);
  return (
    `protocol ${row.reference.protocol}, ${runs} interleaved runs each: fast-path read_trylock failures/s ` +
    `${compared(c.bug.fastPathTrylockFailsPerS, c.bug.fastPathTrylockFailsPerSRange, c.reference.fastPathTrylockFailsPerS, c.reference.fastPathTrylockFailsPerSRange, 0, runs)}; ` +
    `notifier hook µs per invalidation ${compared(c.bug.hookUsPerInvalidation, c.bug.hookUsPerInvalidationRange, c.reference.hookUsPerInvalidation, c.reference.hookUsPerInvalidationRange, 1, runs)}; ` +
    `findings ${c.bug.findings} (reference ${c.reference.findings}) over ${c.bug.seconds.toFixed(1)} s each`
  );
}

function referenceCell(row: CampaignRow, protocol: string): string {
  const ref = row.reference;
  // A clean reference over n runs: a false finding's rate per run is below 3/n (95 %).
  const bound = ref.findings === 0 && ref.runs > 0 ? `, rate ${ruleOfThree(ref.runs)} per run` : '';
  return `${ref.findings} in ${ref.seconds.toFixed(1)} s${bound}${ref.protocol !== protocol ? ` (${ref.protocol})` : ''}`;
}

/** Schedules (attempts) to the first finding per run, and the replays of the saved schedules. */
function scheduleLine(row: CampaignRow): string {
  const detected = row.runs.filter((r) => r.detected);
  const schedules = detected.map((r) => r.attempts).sort((a, b) => a - b);
  const reproduced = detected.filter((r) => r.replayed === 'reproduced').length;
  const med = schedules.length === 0 ? '-' : String(schedules[schedules.length >> 1]);
  const other = detected.filter((r) => r.replayed !== undefined && r.replayed !== 'reproduced').map((r) => r.replayed);
  return `${row.name}: schedules ${schedules.join(',') || '-'} (median ${med}); replay reproduced ${reproduced}/${detected.length}${other.length > 0 ? ` (${other.join(', ')})` : ''}; reference ${referenceSchedules(row.reference)}, ${row.reference.findings} findings`;
}

/** "12 schedules" or "12 schedules x 2 checks (locked, generation)". */
function referenceSchedules(ref: CampaignRow['reference']): string {
  const checks = ref.strategies ?? [];
  if (checks.length <= 1) return `${ref.runs} schedules${checks.length === 1 ? ` (${checks[0]})` : ''}`;
  return `${Math.round(ref.runs / checks.length)} schedules x ${checks.length} checks (${checks.join(', ')})`;
}

export function formatCampaignText(report: CampaignReport): string[] {
  const env = report.environment as { loadAverage1m?: number; cpus?: number; availableParallelism?: number };
  const out: string[] = [];
  out.push(
    `gpc-lab campaign: protocol ${report.protocol}, schedule ${report.schedule}, ${report.runs} runs per bug, budget ${report.budgetS} s per run, shard ${report.shard}, seed ${report.seed}; ${report.wallS.toFixed(0)} s wall`,
  );
  out.push(`environment: ${JSON.stringify(report.environment)}`);
  out.push('');
  const head = ['bug', 'kind', 'detected', 'median', 'max', 'caught first by (runs)', 'runs/s', 'vmentries/s (k)', 'reference findings'];
  const rows = report.rows.map((r) => [
    label(r),
    r.kind,
    detectionCell(r),
    sec(r.medianS),
    sec(r.maxS),
    r.kind === 'cost' ? '-' : caught(r),
    r.kind === 'cost' ? '-' : r.runsPerS.toFixed(2),
    r.kind === 'cost' ? '-' : (r.vmentriesPerS / 1000).toFixed(0),
    referenceCell(r, report.protocol),
  ]);
  // Two tables of the same rows, so each keeps to 100 columns: detection and speed, then what caught
  // it and the reference.
  for (const columns of [[0, 1, 2, 3, 4, 6], [0, 5, 7, 8]]) {
    const pick = (cells: string[]): string[] => columns.map((i) => cells[i]!);
    const widths = pick(head).map((h, i) => Math.max(h.length, ...rows.map((row) => pick(row)[i]!.length)));
    const line = (cells: string[]): string => `  ${pick(cells).map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
    if (columns[1] !== 1) out.push('');
    out.push(line(head));
    for (const row of rows) out.push(line(row));
  }
  for (const r of report.rows) if (r.cost) out.push(`  ${r.name}: ${costLine(r)}`);
  if (report.schedule === 'random' || report.schedule === 'pct') {
    out.push('', `  ${report.schedule} schedules to the first finding, per run, and what replaying each saved schedule said:`);
    for (const r of report.rows) if (r.kind !== 'cost') out.push(`  ${scheduleLine(r)}`);
  }
  out.push('');
  for (const r of report.rows) if (r.slowBecause && r.medianS !== null && r.medianS >= 1) out.push(`  slower than 1 s: ${r.name}: ${r.slowBecause}`);
  for (const r of report.rows) {
    const missed = r.runs.filter((run) => !run.detected);
    if (missed.length > 0) out.push(`  MISSED ${r.name}: seeds ${missed.map((m) => m.seed).join(', ')}`);
    const properties = r.reference.properties.length > 0 ? ` (${r.reference.properties.join(', ')})` : '';
    for (const cmd of r.reference.commands) out.push(`  REFERENCE FINDING${properties} under ${r.name}'s workload: ${cmd}`);
    const errors = r.runs.flatMap((run) => run.internalErrors);
    if (errors.length > 0) out.push(`  internal errors in ${r.name}: ${errors[0]!.split('\n')[0]}`);
  }
  const firstRerun = report.rows.flatMap((r) => r.runs).find((run) => run.rerun)?.rerun;
  if (firstRerun) out.push(`  re-run one (example): ${firstRerun}`);
  for (const note of report.notes) out.push(`note: ${note}`);
  out.push('note: bounds are the rule of three: n runs without a miss (or without a reference finding) put its rate per run below 3/n at 95 % confidence.');
  out.push(`verdict: ${report.verdict.toUpperCase()}${report.interrupted ? ' [interrupted: partial campaign]' : ''} (exit ${report.exitCode}); reference findings ${report.referenceFindings}${env.loadAverage1m !== undefined ? `; load average at start ${env.loadAverage1m}` : ''}`);
  // Prose wrapped to 100 columns; the tables, the environment's JSON and commands kept whole.
  return fitLines(out, REPORT_WIDTH, (line) => line.startsWith('environment: ') || line.startsWith('gpc-lab ') || line.includes('npx gpc-lab'));
}

export function formatCampaignMarkdown(report: CampaignReport): string[] {
  const out: string[] = [];
  out.push(`### gpc-lab campaign: protocol ${report.protocol}, ${report.runs} runs per bug, budget ${report.budgetS} s, shard ${report.shard}, seed ${report.seed}`);
  out.push('');
  out.push('| bug | history | kind | detected | median | max | caught first by (runs) | runs/s | vmentries/s (thousands) | reference findings |');
  out.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of report.rows) {
    out.push(
      `| \`${r.name}\` | ${r.history} | ${r.kind} | ${detectionCell(r)} | ${sec(r.medianS)} | ${sec(r.maxS)} | ${r.kind === 'cost' ? '-' : caught(r)} | ${r.kind === 'cost' ? '-' : r.runsPerS.toFixed(2)} | ${r.kind === 'cost' ? '-' : (r.vmentriesPerS / 1000).toFixed(0)} | ${referenceCell(r, report.protocol)} |`,
    );
  }
  for (const r of report.rows) if (r.cost) out.push('', `\`${r.name}\`: ${costLine(r)}`);
  out.push('', `Verdict: **${report.verdict}**${report.interrupted ? ' (interrupted: partial campaign)' : ''}; reference findings ${report.referenceFindings}; ${report.wallS.toFixed(0)} s wall.`);
  return out;
}
