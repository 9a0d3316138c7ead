/**
 * Every catalog bug that the stress workloads reach is caught by the general oracles within a
 * generous budget (20 s of measured time; most take well under a second), and the reference
 * protocol under the same workload stays clean for as long. Cost entries are checked apart.
 */
import { describe, expect, it } from 'vitest';
import { BUG_CATALOG } from '../../src/bugs/catalog.js';
import { resolveCampaignConfig } from '../../src/campaign/campaign-config.js';
import { runCampaign } from '../../src/campaign/run-campaign.js';

const DETECTABLE = BUG_CATALOG.filter((e) => e.kind !== 'cost' && e.notInCampaign === undefined);

describe('each injectable bug is caught by a general oracle', () => {
  for (const entry of DETECTABLE) {
    it(`${entry.name} (${entry.history}): a run stops at a finding of ${entry.expect.join(' | ')} within 20 s, and ${entry.cure ? 'the cure' : 'the reference protocol'} is clean for as long`, async () => {
      const report = await runCampaign(resolveCampaignConfig({ bug: entry.name, runs: 1, budget: 20, seed: 42 }));
      const row = report.rows[0]!;
      const run = row.runs[0]!;
      expect(run.internalErrors).toEqual([]);
      expect(run.detected, `nothing found in ${run.timeS.toFixed(1)} s`).toBe(true);
      expect(entry.expect).toContain(run.property);
      expect(run.rerun).toContain('--stop-on-finding');
      if (entry.switchName) expect(run.rerun).toContain(`--bug ${entry.switchName}`);
      expect(row.reference.findings, row.reference.commands.join('\n')).toBe(0);
      expect(row.reference.seconds).toBeGreaterThanOrEqual(Math.min(run.timeS, 1) * 0.9);
    });
  }
});

describe('a cost, not a finding (history B18)', () => {
  it('invalidate-no-read-precheck: unrelated invalidations make the event-channel fast path fall back and the notifier take write locks the pre-check avoids; no oracle fires on either side', async () => {
    const report = await runCampaign(resolveCampaignConfig({ bug: 'invalidate-no-read-precheck', runs: 1, costDuration: 2, seed: 3 }));
    const row = report.rows[0]!;
    expect(row.kind).toBe('cost');
    const cost = row.cost!;
    expect(cost.bug.findings).toBe(0);
    expect(cost.reference.findings).toBe(0);
    expect(cost.bug.invalidationsPerS).toBeGreaterThan(1000);
    // The fast path's fallbacks are the cost's mechanism (the write lock taken for unrelated pages
    // makes the irq-context read_trylock fail), so they are asserted; the hook's time per
    // invalidation is a timing figure that moves with the machine's load, so it is reported by the
    // campaign, not asserted here (it was seen inverted on a machine with load 7).
    expect(cost.bug.fastPathTrylockFailsPerS).toBeGreaterThan(cost.reference.fastPathTrylockFailsPerS);
    expect(cost.bug.hookUsPerInvalidation).toBeGreaterThan(0);
    expect(report.exitCode).toBe(0);
  });
});
