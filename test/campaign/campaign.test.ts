/** A short campaign end to end (the CI one), the table's shapes, and how the matrix splits into shards. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/util/usage-error.js';
import { BUG_CATALOG } from '../../src/bugs/catalog.js';
import { campaignEntries, resolveCampaignConfig } from '../../src/campaign/campaign-config.js';
import { runCampaign } from '../../src/campaign/run-campaign.js';
import { formatCampaignMarkdown, formatCampaignText } from '../../src/campaign/format-campaign.js';
import type { CampaignReport, CampaignRow } from '../../src/campaign/campaign-report.js';

describe('a short campaign', () => {
  it('two switches x two runs, 10 s budget: both caught in every run, the reference clean for the same time, and the table says so', async () => {
    const report = await runCampaign(resolveCampaignConfig({ bug: 'refresh-skips-retry,check-ignores-generation', runs: 2, budget: 10, seed: 7 }));
    expect(report.rows.map((r) => r.name)).toEqual(['refresh-skips-retry', 'check-ignores-generation']);
    for (const row of report.rows) {
      expect(row.detected, row.name).toBe(2);
      expect(row.runs.map((r) => r.seed)).toHaveLength(2);
      expect(new Set(row.runs.map((r) => r.seed)).size).toBe(2);
      expect(row.medianS).not.toBeNull();
      expect(row.maxS!).toBeGreaterThanOrEqual(row.medianS!);
      expect(row.reference.findings).toBe(0);
    }
    expect(report.referenceFindings).toBe(0);
    expect(report.exitCode).toBe(0);
    const text = formatCampaignText(report).join('\n');
    expect(text).toContain('refresh-skips-retry (B1)');
    expect(text).toMatch(/check-ignores-generation \(seed\)\s+safety\s+2\/2/);
    expect(text).toContain('verdict: OK');
    const markdown = formatCampaignMarkdown(report).join('\n');
    expect(markdown).toContain('| `refresh-skips-retry` | B1 | safety | 2/2 (miss < 100%) |');
  });

  it('--schedule pct: schedules to the first finding per run, every saved schedule replayed, the reference with both checks for as many schedules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpc-campaign-pct-'));
    const report = await runCampaign(resolveCampaignConfig({ bug: 'check-ignores-generation', runs: 2, budget: 30, seed: 7, schedule: 'pct', scheduleDir: dir }));
    const row = report.rows[0]!;
    expect(row.detected).toBe(2);
    const schedules = row.runs.reduce((s, r) => s + r.attempts, 0);
    for (const run of row.runs) {
      expect(run.attempts).toBeGreaterThanOrEqual(1);
      expect(run.replayed).toBe('reproduced');
      expect(existsSync(run.scheduleFile!)).toBe(true);
      expect(run.rerun).toContain('--schedule pct');
    }
    expect(row.reference.strategies).toEqual(['locked', 'generation']);
    expect(row.reference.runs).toBe(2 * schedules);
    expect(row.reference.findings).toBe(0);
    expect(report.exitCode).toBe(0);
    // The text wraps long lines: compare with the whitespace folded.
    const text = formatCampaignText(report).join('\n').replace(/\s+/g, ' ');
    expect(text).toContain(`check-ignores-generation: schedules ${row.runs.map((r) => r.attempts).sort((a, b) => a - b).join(',')}`);
    expect(text).toContain('replay reproduced 2/2');
    expect(text).toContain(`reference ${schedules} schedules x 2 checks (locked, generation), 0 findings`);
  }, 300_000);

  it('--protocol range-retry: the bug runs and the reference run on that variant, and the report says so', async () => {
    const report = await runCampaign(resolveCampaignConfig({ bug: 'check-ignores-generation', runs: 1, budget: 10, seed: 7, protocol: 'range-retry' }));
    expect(report.protocol).toBe('range-retry');
    const row = report.rows[0]!;
    expect(row.detected).toBe(1);
    expect(row.runs[0]!.protocol).toBe('range-retry');
    expect(row.runs[0]!.rerun).toContain('--protocol range-retry');
    expect(row.reference.protocol).toBe('range-retry');
    expect(row.reference.findings).toBe(0);
    expect(formatCampaignText(report)[0]).toContain('gpc-lab campaign: protocol range-retry,');
  });

  it('B20 on the default protocol: its runs are mainline (the livelock is caught), its reference is the cure, range-retry', async () => {
    const report = await runCampaign(resolveCampaignConfig({ bug: 'unrelated-invalidation-livelock', runs: 1, budget: 10, seed: 7 }));
    expect(report.protocol).toBe('mainline');
    const row = report.rows[0]!;
    expect(row.runs[0]!.protocol).toBe('mainline');
    expect(row.runs[0]!.property).toBe('livelock');
    expect(row.reference.protocol).toBe('range-retry');
    expect(row.reference.findings).toBe(0);
    expect(formatCampaignText(report).join('\n')).toMatch(/0 in \d+\.\d s, rate < \d+% per run \(range-retry\)/);
  });
});

describe('the campaign table', () => {
  it('a reference finding is listed with the properties that fired and the command that re-runs it', () => {
    const row: CampaignRow = {
      name: 'refresh-leaks-lock-on-error', switchName: 'refresh-leaks-lock-on-error', history: 'B15', source: '-', kind: 'liveness', expect: ['stall'],
      runs: [], detected: 0, medianS: null, maxS: null, caughtBy: {}, runsPerS: 0, vmentriesPerS: 0,
      reference: { seconds: 0.7, runs: 1, findings: 1, properties: ['stall'], commands: ['gpc-lab stress --seed 13501 --stop-on-finding'], protocol: 'mainline' },
      ok: false, wallS: 1,
    };
    const report: CampaignReport = {
      tool: 'gpc-lab', command: 'campaign', version: '0.0.0', schema: 'schemas/campaign.schema.json', runs: 0, budgetS: 30, shard: '1/1', shardsCovered: [1], shardCount: 1, selected: [row.name],
      provenance: { toolVersion: '0.0.0', gitCommit: null, modelHash: 'm', configHash: 'c', hosts: [] },
      seed: 1, protocol: 'mainline', environment: {}, rows: [row],
      referenceFindings: 1, wallS: 1, verdict: 'missed', exitCode: 1, interrupted: false, notes: [],
    };
    // Prose is wrapped at 100 columns: compare with line breaks and indents as single spaces.
    const text = formatCampaignText(report).join('\n').replace(/\s+/g, ' ');
    expect(text).toContain("REFERENCE FINDING (stall) under refresh-leaks-lock-on-error's workload: gpc-lab stress --seed 13501 --stop-on-finding");
    expect(text).toContain('verdict: MISSED (exit 1); reference findings 1');
  });
});

describe('the cost row (B18)', () => {
  function costReport(bugHook: [number, number], refHook: [number, number]): CampaignReport {
    const side = (hook: [number, number], fails: number) => ({
      seconds: 6, runs: 3, fastPathTrylockFailsPerS: fails, fastPathTrylockFailsPerSRange: [fails, fails] as [number, number],
      hookUsPerInvalidation: (hook[0] + hook[1]) / 2, hookUsPerInvalidationRange: hook, invalidationsPerS: 2000, findings: 0,
    });
    const row: CampaignRow = {
      name: 'invalidate-no-read-precheck', switchName: 'invalidate-no-read-precheck', history: 'B18', source: '-', kind: 'cost', expect: [],
      runs: [], detected: 0, medianS: null, maxS: null, caughtBy: {}, runsPerS: 0, vmentriesPerS: 0,
      reference: { seconds: 6, runs: 3, findings: 0, properties: [], commands: [], protocol: 'b17-trylock' },
      cost: { bug: side(bugHook, 38), reference: side(refHook, 0) },
      ok: true, wallS: 12,
    };
    return {
      tool: 'gpc-lab', command: 'campaign', version: '0.0.0', schema: 'schemas/campaign.schema.json', runs: 3, budgetS: 30, shard: '1/1', shardsCovered: [1], shardCount: 1, selected: [row.name],
      provenance: { toolVersion: '0.0.0', gitCommit: null, modelHash: 'm', configHash: 'c', hosts: [] },
      seed: 1, protocol: 'mainline', environment: {}, rows: [row], referenceFindings: 0, wallS: 12, verdict: 'ok', exitCode: 0, interrupted: false, notes: [],
    };
  }

  it('says "no difference measured" when the runs of the two sides overlap, however far apart their means', () => {
    const text = formatCampaignText(costReport([2.1, 12.3], [2.0, 3.1])).join('\n').replace(/\s+/g, ' ');
    expect(text).toMatch(/notifier hook µs per invalidation 7\.2 \[2\.1\.\.12\.3\] vs reference 2\.5 \[2\.0\.\.3\.1\] \(the run ranges overlap: no difference measured\)/);
    expect(text).toMatch(/fast-path read_trylock failures\/s 38 \[38\.\.38\] vs reference 0 \[0\.\.0\] \(the run ranges are apart\)/);
  });

  it('says the ranges are apart when they are', () => {
    expect(formatCampaignText(costReport([7.0, 7.5], [2.0, 3.1])).join('\n').replace(/\s+/g, ' ')).toMatch(/per invalidation 7\.3 \[7\.0\.\.7\.5\] vs reference 2\.5 \[2\.0\.\.3\.1\] \(the run ranges are apart\)/);
  });
});

describe('campaign options', () => {
  it('shards split the catalog without overlap and together cover it', () => {
    const all = campaignEntries().map((e) => e.name);
    const shards = [1, 2, 3].map((i) => resolveCampaignConfig({ shard: `${i}/3` }).entries.map((e) => e.name));
    expect(shards.flat().sort()).toEqual([...all].sort());
    expect(new Set(shards.flat()).size).toBe(all.length);
  });

  it('every catalog entry is run by the campaign: B5 (DELETE/CREATE) and B11 (vcpu_info moved within its page) are reached by stress now', () => {
    expect(BUG_CATALOG.filter((e) => e.notInCampaign !== undefined).map((e) => e.name)).toEqual([]);
    expect(campaignEntries().map((e) => e.name)).toEqual(BUG_CATALOG.map((e) => e.name));
    expect(resolveCampaignConfig({ bug: 'khva-keeps-old-offset,refresh-error-puts-old-page' }).entries.map((e) => e.history)).toEqual(['B11', 'B5']);
  });

  it('an old switch name (alias) selects its catalog entry', () => {
    expect(resolveCampaignConfig({ bug: 'refresh-ignores-active' }).entries.map((e) => e.name)).toEqual(['check-refresh-ignore-active']);
  });

  it.each([
    [{ shard: '3/2' }, '--shard must be i/n'],
    [{ budget: '30x' }, "--budget must be a number of seconds > 0 and <= 3600, or a duration with a unit (500ms, 30s, 2m, 1h), got '30x'"],
    [{ runs: 0 }, '--runs must be an integer from 1 to 1000'],
    [{ bug: 'nope' }, "--bug must be one of"],
  ])('bad input %j is a UsageError naming the value', (options, message) => {
    expect(() => resolveCampaignConfig(options)).toThrow(UsageError);
    expect(() => resolveCampaignConfig(options)).toThrow(message);
  });

  it('"30s" and "30" are the same budget', () => {
    expect(resolveCampaignConfig({ budget: '30s' }).budgetS).toBe(30);
    expect(resolveCampaignConfig({ budget: 30 }).budgetS).toBe(30);
  });
});
