/**
 * `gpc-lab verdicts --catalog`: each campaign catalog entry (src/bugs/catalog.ts) under each
 * variant. A switch the variant lists in inapplicableBugs (e.g. it reverts a fix the variant
 * replaces) is "not applicable" with the variant's why, and is not run; a cost entry (B18) has no
 * finding to look for and is listed as such; every other entry runs with its catalog workload under
 * the variant (its authors' strategy unless the entry names one) until its first finding or the
 * budget (in attempts of the entry's attemptS when only end-of-run oracles can see it), with the
 * candidate-bug fixes on as the campaign has them, so that a candidate upstream bug is never
 * credited to a switch. `--bug` chooses the entries (default: every one the campaign runs).
 * "found" says the run had a finding; a variant with findings of its own (its verdict row) would
 * have them here too, so read it beside the variant's row.
 */
import { FIX_SWITCHES } from '../kvm/fix-switches.js';
import type { ProtocolVariant } from '../kvm/protocols/protocol-variant.js';
import { resolveCampaignConfig } from '../campaign/campaign-config.js';
import type { BugEntry } from '../bugs/catalog.js';
import type { VerdictsConfig } from './verdicts-config.js';
import type { ApplicabilityRow } from './verdicts-report.js';
import { stressForVerdicts } from './stress-for-verdicts.js';

/** Shortest attempt worth starting (start-up costs ~0.5-1 s). */
const MIN_RUN_S = 0.2;

/** Why `entry` does not apply to `variant`, or undefined. */
export function inapplicableBecause(variant: ProtocolVariant, entry: BugEntry): string | undefined {
  // A detection entry whose workload names a protocol reverts that protocol's own step (B21: the
  // gmem RFC's 7/7): another variant has no such step, so the switch changes nothing there.
  const own = entry.stress.protocol;
  if (entry.kind !== 'cost' && own !== undefined && own !== variant.name) return `the switch reverts a step of ${own} (its catalog workload runs that protocol); ${variant.name} has no such step`;
  const why = variant.inapplicableBugs;
  if (why === undefined) return undefined;
  return (entry.switchName !== '' ? why[entry.switchName] : undefined) ?? why[entry.name];
}

/** "found: stale-generation after 0.41 s", "not applicable: <why>", "not found in 10.0 s". */
export function applicabilityText(row: ApplicabilityRow): string {
  if (row.outcome === 'found') {
    return `found: ${row.property} after ${row.atS!.toFixed(2)} s${row.expected === false ? " (not a property the catalog entry expects: perhaps the variant's own finding, see its verdict row)" : ''}`;
  }
  if (row.outcome === 'not found') return `not found in ${row.seconds.toFixed(1)} s`;
  return `${row.outcome}: ${row.why ?? ''}`;
}

async function underVariant(variant: ProtocolVariant, entry: BugEntry, config: VerdictsConfig, seed: number, stop: AbortSignal | undefined): Promise<ApplicabilityRow> {
  const identity = { variant: variant.name, bug: entry.name, history: entry.history };
  const why = inapplicableBecause(variant, entry);
  if (why !== undefined) return { ...identity, outcome: 'not applicable', why, seconds: 0 };
  if (entry.kind === 'cost') return { ...identity, outcome: 'cost', why: 'a cost entry: no finding to look for (gpc-lab campaign measures it)', seconds: 0 };
  let spent = 0;
  let attempts = 0;
  while (config.budgetS - spent >= MIN_RUN_S) {
    const report = await stressForVerdicts(
      {
        ...entry.stress,
        ...(variant.defaultStrategy !== undefined && entry.stress.strategy === undefined ? { strategy: variant.defaultStrategy } : {}),
        protocol: variant.name,
        protocolModules: config.protocolModules,
        fix: FIX_SWITCHES.map((f) => f.name),
        ...(entry.switchName !== '' ? { bug: entry.switchName } : {}),
        seed: (seed + attempts * 7919) >>> 0,
        duration: Math.min(entry.attemptS ?? config.budgetS, config.budgetS - spent),
        stopOnFinding: true,
      },
      stop,
    );
    attempts++;
    if (report.firstFinding !== null) {
      spent += report.firstFinding.atS;
      const property = report.firstFinding.property;
      return { ...identity, outcome: 'found', property, expected: entry.expect.includes(property), atS: spent, seconds: spent, rerun: report.findings[0]?.rerun ?? report.rerun };
    }
    spent += report.elapsedS;
    if (report.elapsedS <= 0) break;
  }
  return { ...identity, outcome: 'not found', seconds: spent };
}

export async function catalogApplicability(variants: readonly ProtocolVariant[], config: VerdictsConfig, notice: (line: string) => void, stop: AbortSignal | undefined): Promise<ApplicabilityRow[]> {
  const rows: ApplicabilityRow[] = [];
  // --bug chooses the catalog entries (checked as campaign checks them); default every one the campaign runs.
  const entries = resolveCampaignConfig(config.overrides.bug !== undefined ? { bug: config.overrides.bug } : {}).entries;
  for (const [v, variant] of variants.entries()) {
    for (const [e, entry] of entries.entries()) {
      const row = await underVariant(variant, entry, config, config.seed + 1000 * v + e, stop);
      rows.push(row);
      notice(`${variant.name} --bug ${entry.name}: ${applicabilityText(row)}`);
    }
  }
  return rows;
}
