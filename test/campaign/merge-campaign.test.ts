import { describe, expect, it } from 'vitest';
import { BUG_CATALOG } from '../../src/bugs/catalog.js';
import { asCampaignReport, mergeCampaignReports, type CampaignShardFile } from '../../src/campaign/merge-campaign.js';
import type { CampaignReport, CampaignRow } from '../../src/campaign/campaign-report.js';
import { formatCampaignText } from '../../src/campaign/format-campaign.js';
import { UsageError } from '../../src/util/usage-error.js';

const SHARDS = 3;
/** Five catalog entries, so that each of the 3 shards holds at least one. */
const NAMES = BUG_CATALOG.slice(0, 5).map((e) => e.name);

function row(name: string, detected: number): CampaignRow {
  const k = BUG_CATALOG.findIndex((e) => e.name === name);
  return {
    name,
    switchName: name,
    history: 'B0',
    source: 's',
    kind: 'safety',
    expect: [],
    runs: [0, 1].map((r) => ({ seed: 1 + 1000 * k + r, detected: r < detected, timeS: 0.1, property: 'p', attempts: 1, findings: 1, vmentries: 10, rerun: null, protocol: 'mainline', internalErrors: [] })),
    detected,
    medianS: 0.1,
    maxS: 0.1,
    caughtBy: { p: detected },
    runsPerS: 1,
    vmentriesPerS: 1000,
    reference: { seconds: 1, runs: 2, findings: 0, properties: [], commands: [], protocol: 'mainline' },
    ok: detected === 2,
    wallS: 1,
  };
}

/** The report `campaign --shard index/SHARDS` would write: the rows of the entries the shard rule gives it. */
function shard(index: number, detected = 2, overrides: Partial<CampaignReport['provenance']> = {}): CampaignShardFile {
  const rows = NAMES.filter((n) => BUG_CATALOG.findIndex((e) => e.name === n) % SHARDS === index - 1).map((n) => row(n, detected));
  const report: CampaignReport = {
    tool: 'gpc-lab',
    command: 'campaign',
    version: '0.1.0',
    schema: 'schemas/campaign.schema.json',
    runs: 2,
    budgetS: 10,
    shard: `${index}/${SHARDS}`,
    shardsCovered: [index],
    shardCount: SHARDS,
    provenance: { toolVersion: '0.1.0', gitCommit: 'a'.repeat(40), modelHash: 'm1', configHash: 'c1', hosts: [{ hostname: `ci-${index}`, platform: 'linux', arch: 'x64', cpus: 2, node: 'v20' }], ...overrides },
    selected: [...NAMES],
    seed: 1,
    protocol: 'mainline',
    environment: {},
    rows,
    referenceFindings: 0,
    wallS: 10 * index,
    verdict: rows.every((r) => r.ok) ? 'ok' : 'missed',
    exitCode: rows.every((r) => r.ok) ? 0 : 1,
    interrupted: false,
    notes: ['Time to first finding ...'],
  };
  return { file: `shard-${index}.json`, report };
}

const table = (r: CampaignReport): string[] => formatCampaignText(r).filter((l) => l.startsWith('  '));

describe('campaign merge', () => {
  it('merges every shard into the rows of the whole campaign, in catalog order, whatever the order of the files', () => {
    const a = mergeCampaignReports([shard(1), shard(2), shard(3)]);
    const b = mergeCampaignReports([shard(3), shard(1), shard(2)]);
    expect(a.rows.map((r) => r.name)).toEqual(NAMES);
    expect(a).toEqual(b);
    expect(a.verdict).toBe('ok');
    expect(a.exitCode).toBe(0);
    expect(a.shard).toBe('1,2,3/3');
    expect(a.provenance.hosts.map((h) => h.hostname)).toEqual(['ci-1', 'ci-2', 'ci-3']);
    expect(a.wallS).toBe(30); // side by side: the longest shard
  });

  it('is idempotent: a merge merged again with one of its own shards is the same merge', () => {
    const whole = mergeCampaignReports([shard(1), shard(2), shard(3)]);
    const again = mergeCampaignReports([{ file: 'merged.json', report: whole }, shard(2)]);
    expect(again).toEqual(whole);
    expect(mergeCampaignReports([{ file: 'merged.json', report: whole }])).toEqual(whole);
  });

  it('a missing shard makes it partial (exit 1) and says which', () => {
    const merged = mergeCampaignReports([shard(1), shard(3)]);
    expect(merged.verdict).toBe('partial');
    expect(merged.exitCode).toBe(1);
    expect(merged.notes.join('\n')).toContain('PARTIAL: missing shards 2 of 3');
    expect(table(merged).join('\n')).not.toContain(NAMES[1]);
  });

  it('a shard given twice with different results makes it partial; given twice identical, it is counted once', () => {
    const differing = mergeCampaignReports([shard(1), shard(2), shard(2, 1), shard(3)]);
    expect(differing.verdict).toBe('partial');
    expect(differing.notes.join('\n')).toMatch(/shard 2\/3 was given 2 times with different results/);
    expect(differing.rows.filter((r) => r.name === NAMES[1])).toHaveLength(1);
    const identical = mergeCampaignReports([shard(1), shard(2), shard(2), shard(3)]);
    expect(identical.verdict).toBe('ok');
    expect(identical.rows).toHaveLength(NAMES.length);
  });

  it('a missed bug in any shard makes the merge missed (exit 1), not partial', () => {
    const merged = mergeCampaignReports([shard(1), shard(2, 1), shard(3)]);
    expect(merged.verdict).toBe('missed');
    expect(merged.exitCode).toBe(1);
  });

  it.each([
    [{ toolVersion: '0.2.0' }, /shard-2.json is not a shard of the same campaign as shard-1.json: its tool version is 0.2.0, not 0.1.0/],
    [{ modelHash: 'm2' }, /its model hash is m2, not m1/],
    [{ configHash: 'c2' }, /its configuration hash is c2, not c1/],
  ])('refuses shards of another campaign (%j): a usage error naming the file and the field', (overrides, message) => {
    let error: unknown;
    try {
      mergeCampaignReports([shard(1), shard(2, 2, overrides)]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a file that is not a campaign report with shard provenance', () => {
    expect(() => asCampaignReport('x.json', { tool: 'gpc-lab', command: 'stress' })).toThrow(/x.json is not a gpc-lab campaign JSON report/);
    expect(() => asCampaignReport('old.json', { tool: 'gpc-lab', command: 'campaign', rows: [] })).toThrow(/without shard provenance/);
  });
});
