/**
 * Findings that match a candidate upstream bug (docs/VERDICTS.md): what mainline's code allows,
 * not a model error. Each is recognised by a step only its interleaving has, and named in the
 * report's notes with the fix switch that turns the would-be fix on.
 */
import type { StressFinding } from './stress-report.js';

interface CandidateBug {
  readonly name: string;
  /** A step (name prefix) whose presence in a finding's interleaving shows the candidate's mechanism. */
  readonly marker: string;
  readonly mechanism: string;
  readonly fix: string;
}

const CANDIDATES: readonly CandidateBug[] = [
  {
    name: 'S1 hva-seq-miss',
    marker: 'refresh-install-after-invalidation-in-window',
    mechanism: 'follow a refresh that installed a page after an invalidation outside every memslot ended in its unlocked window with no seq moved',
    fix: 'hva-seq-miss',
  },
];

/**
 * The candidate upstream bug whose mechanism `finding`'s interleaving shows (its name and fix
 * switch), or null: how `gpc-lab verdicts` tells mainline's documented findings from new ones.
 */
export function candidateBugOf(finding: StressFinding): { readonly name: string; readonly fix: string } | null {
  const c = CANDIDATES.find((candidate) => finding.interleaving.some((e) => e.step.startsWith(candidate.marker)));
  return c === undefined ? null : { name: c.name, fix: c.fix };
}

/** One note per candidate upstream bug some of `findings` show. */
export function candidateBugNotes(findings: readonly StressFinding[]): string[] {
  const notes: string[] = [];
  for (const c of CANDIDATES) {
    const matching = findings.filter((f) => f.interleaving.some((e) => e.step.startsWith(c.marker)));
    if (matching.length === 0) continue;
    notes.push(
      `${matching.length} of the findings shown (${[...new Set(matching.map((f) => f.property))].join(', ')}) ${c.mechanism}: candidate upstream bug ${c.name} (docs/VERDICTS.md), what mainline's code allows, not a model error. Re-run with --fix ${c.fix} for the would-be fix.`,
    );
  }
  return notes;
}
