/**
 * Mainline's findings against its documented candidate upstream bugs (docs/VERDICTS.md,
 * src/stress/candidate-bugs.ts: S1 hva-seq-miss): `gpc-lab verdicts` exits 1 only for a mainline
 * finding that is none of them. Judged per property, from the recorded findings (at most
 * DETAILS_PER_PROPERTY each, src/trace/findings.ts): a property is explained when every recorded
 * finding of it shows a candidate's mechanism (its unrecorded repeats are taken to be like them,
 * and the report says so), or is a data-loss follow-on of a candidate the same run shows.
 * Cold path (report building only).
 */
import { candidateBugOf } from '../stress/candidate-bugs.js';
import type { StressFinding, StressReport } from '../stress/stress-report.js';
import type { UnexplainedMainlineFinding } from './verdicts-report.js';

/**
 * Properties that judge data, not the cache: a page freed under a valid cache takes with it the
 * events or records written into it, so in a run whose recorded findings show a candidate's
 * use-after-free these come with it, with no marker in their own interleaving (an end-of-run
 * conservation count has none). Presumed follow-ons, named as such (the fix switch confirms it).
 */
const DATA_FOLLOW_ON = ['events', 'records', 'lost-write'];

/**
 * The candidate bug `finding` shows; or, in a run that shows `runCandidate`, its presumed data
 * follow-on, or (for a finding recorded with no interleaving: the report keeps one for the first
 * of each property only) the candidate its property's first finding shows; else null.
 */
export function mainlineCandidateOf(finding: StressFinding, runCandidate: string | null, propertyCandidate: string | null = null): string | null {
  const own = candidateBugOf(finding);
  if (own !== null) return own.name;
  if (finding.interleaving.length === 0 && propertyCandidate !== null) return `${propertyCandidate} (presumed: no interleaving recorded, like the first ${finding.property} finding, which shows it)`;
  if (runCandidate !== null && DATA_FOLLOW_ON.includes(finding.property)) return `${runCandidate} (presumed data follow-on in the same run)`;
  return null;
}

/** The candidate the recorded findings of `property` that have an interleaving show, if all of them show one (else null). */
export function propertyCandidateOf(findings: readonly StressFinding[], property: string): string | null {
  const traced = findings.filter((f) => f.property === property && f.interleaving.length > 0);
  if (traced.length === 0) return null;
  const names = traced.map((f) => candidateBugOf(f)?.name ?? null);
  return names.every((n) => n !== null && n === names[0]) ? names[0]! : null;
}

/** The first candidate bug any recorded finding of the run shows, or null. */
export function runCandidateOf(report: Pick<StressReport, 'findings'>): string | null {
  for (const f of report.findings) {
    const c = candidateBugOf(f);
    if (c !== null) return c.name;
  }
  return null;
}

/** Per property of a mainline run: its findings that no candidate bug explains. */
export function unexplainedMainlineFindings(report: Pick<StressReport, 'properties' | 'findings' | 'internalErrors' | 'rerun'>, workloads: readonly string[]): UnexplainedMainlineFinding[] {
  const runCandidate = runCandidateOf(report);
  const out: UnexplainedMainlineFinding[] = [];
  for (const p of report.properties) {
    if (p.findings === 0) continue;
    const recorded = report.findings.filter((f) => f.property === p.name);
    const propertyCandidate = propertyCandidateOf(report.findings, p.name);
    const stray = recorded.find((f) => mainlineCandidateOf(f, runCandidate, propertyCandidate) === null);
    if (recorded.length > 0 && stray === undefined) continue;
    out.push({
      workloads: [...workloads],
      property: p.name,
      findings: p.findings,
      message: stray?.message ?? 'no finding of this property was recorded in detail',
      rerun: stray?.rerun ?? report.rerun,
    });
  }
  // Internal errors and stalls are not findings of a property but still not mainline's documented behaviour.
  for (const e of report.internalErrors) out.push({ workloads: [...workloads], property: 'internal-error', findings: 1, message: e, rerun: report.rerun });
  return out;
}
