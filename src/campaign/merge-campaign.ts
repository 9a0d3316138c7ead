/**
 * `gpc-lab campaign merge`: the shards of one campaign (each a `campaign --shard i/n --out FILE`
 * JSON report, or an earlier merge) into one report with the same table as the unsharded run.
 *
 *  - Shards must come from the same campaign: the same tool version, the same built code (model
 *    hash) and the same shared configuration (configuration hash: selection, runs, budget, seeds,
 *    protocol, shard count). Anything else is refused (a UsageError naming the file and the field).
 *  - Missing shards, a shard given twice with different results, or an interrupted shard make the
 *    merge partial (verdict 'partial', exit 1, each problem in the notes). A shard given twice with
 *    identical results is counted once, so merging is idempotent (merge(A, merge(A, B)) =
 *    merge(A, B)); the result does not depend on the order of the files.
 */
import { jsonEnvelope } from '../util/json-envelope.js';
import { BUG_CATALOG } from '../bugs/catalog.js';
import { UsageError } from '../util/usage-error.js';
import { EXIT_CLEAN, EXIT_FINDINGS } from '../util/exit-codes.js';
import type { CampaignHost } from './campaign-provenance.js';
import type { CampaignReport, CampaignRow } from './campaign-report.js';

export interface CampaignShardFile {
  /** Where it came from (for messages). */
  readonly file: string;
  readonly report: CampaignReport;
}

/** The fields every shard must agree on, in the order they are checked. */
const MUST_MATCH = [
  ['tool version', (r: CampaignReport) => r.provenance.toolVersion],
  ['model hash', (r: CampaignReport) => r.provenance.modelHash],
  ['configuration hash', (r: CampaignReport) => r.provenance.configHash],
  ['shard count', (r: CampaignReport) => String(r.shardCount)],
] as const;

/** A parsed JSON file as a campaign report, or a UsageError saying why it is not one. */
export function asCampaignReport(file: string, value: unknown): CampaignReport {
  const r = value as Partial<CampaignReport> | null;
  if (r === null || typeof r !== 'object' || r.tool !== 'gpc-lab' || r.command !== 'campaign') throw new UsageError(`${file} is not a gpc-lab campaign JSON report (campaign --json or --out)`);
  if (!r.provenance || !Array.isArray(r.shardsCovered) || typeof r.shardCount !== 'number' || !Array.isArray(r.rows)) {
    throw new UsageError(`${file} is a campaign report without shard provenance (written by an older gpc-lab): re-run it with --out`);
  }
  return r as CampaignReport;
}

function catalogOrder(name: string): number {
  const i = BUG_CATALOG.findIndex((e) => e.name === name);
  return i < 0 ? BUG_CATALOG.length : i;
}

function byCatalogOrder(a: CampaignRow, b: CampaignRow): number {
  return catalogOrder(a.name) - catalogOrder(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** The rows a report holds for shard `index` (the catalog-index rule of `--shard`). */
function rowsOfShard(report: CampaignReport, index: number): CampaignRow[] {
  return report.rows.filter((row) => catalogOrder(row.name) % report.shardCount === index - 1);
}

function sameHost(a: CampaignHost, b: CampaignHost): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Merges the shards; throws a UsageError if they are not shards of one campaign. */
export function mergeCampaignReports(shards: readonly CampaignShardFile[]): CampaignReport {
  if (shards.length === 0) throw new UsageError('campaign merge needs at least one shard file');
  const first = shards[0]!;
  for (const s of shards) {
    for (const [what, get] of MUST_MATCH) {
      if (get(s.report) !== get(first.report)) {
        throw new UsageError(`${s.file} is not a shard of the same campaign as ${first.file}: its ${what} is ${get(s.report)}, not ${get(first.report)}`);
      }
    }
  }
  const count = first.report.shardCount;
  const problems: string[] = [];
  const rows: CampaignRow[] = [];
  const covered: number[] = [];
  for (let index = 1; index <= count; index++) {
    // Every file that holds shard `index`, each one's rows for it as JSON (to compare them).
    const holders = shards.filter((s) => s.report.shardsCovered.includes(index));
    if (holders.length === 0) continue;
    covered.push(index);
    const versions = [...new Set(holders.map((s) => JSON.stringify(rowsOfShard(s.report, index))))].sort();
    if (versions.length > 1) {
      problems.push(`shard ${index}/${count} was given ${holders.length} times with different results (${holders.map((s) => s.file).join(', ')}); one is kept: re-run it once`);
    }
    rows.push(...(JSON.parse(versions[0]!) as CampaignRow[]));
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !covered.includes(i));
  if (missing.length > 0) problems.push(`missing shards ${missing.join(', ')} of ${count}: their bugs are not in this table`);
  const interrupted = shards.filter((s) => s.report.interrupted);
  if (interrupted.length > 0) problems.push(`interrupted shards: ${interrupted.map((s) => `${s.file} (${s.report.shard})`).join(', ')}`);
  rows.sort(byCatalogOrder);

  const hosts: CampaignHost[] = [];
  for (const s of shards) for (const h of s.report.provenance.hosts) if (!hosts.some((k) => sameHost(k, h))) hosts.push(h);
  hosts.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  const commits = [...new Set(shards.map((s) => s.report.provenance.gitCommit ?? 'none'))].sort();
  const ok = rows.every((r) => r.ok);
  const partial = problems.length > 0;
  const base = first.report;
  return {
    ...jsonEnvelope('campaign'),
    runs: base.runs,
    budgetS: base.budgetS,
    shard: `${covered.join(',')}/${count}`,
    shardsCovered: covered,
    shardCount: count,
    provenance: { ...base.provenance, gitCommit: commits.length === 1 && commits[0] !== 'none' ? commits[0]! : null, hosts },
    selected: [...base.selected],
    seed: base.seed,
    protocol: base.protocol,
    ...(base.schedule !== undefined ? { schedule: base.schedule } : {}),
    environment: { mergedFrom: covered.length, hosts: hosts.length },
    rows,
    referenceFindings: rows.reduce((sum, r) => sum + r.reference.findings, 0),
    // The shards ran side by side: the merge took as long as its longest shard.
    wallS: Math.max(...shards.map((s) => s.report.wallS)),
    verdict: partial ? 'partial' : ok ? 'ok' : 'missed',
    exitCode: ok && !partial ? EXIT_CLEAN : EXIT_FINDINGS,
    interrupted: interrupted.length > 0,
    notes: [
      ...problems.map((p) => `PARTIAL: ${p}.`),
      `Merged from ${covered.length} of ${count} shards on ${hosts.length} host(s)${commits.length > 1 ? ` at commits ${commits.join(', ')} (same built code)` : ''}.`,
      // The shards' own notes, less those about one shard or an earlier merge (the same in every shard otherwise).
      ...base.notes.filter((n) => !n.startsWith('Interrupted') && !n.startsWith('PARTIAL:') && !n.startsWith('Merged from')),
    ],
  };
}
