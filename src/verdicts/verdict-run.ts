/**
 * One stress run of the verdicts as its rows: per property checks, findings and time to first, and
 * each recorded finding with its racing steps, the variant step that allowed it and, on mainline,
 * the candidate upstream bug it shows. Cold path (report building only).
 */
import type { ProtocolVariant } from '../kvm/protocols/protocol-variant.js';
import type { StressReport } from '../stress/stress-report.js';
import { allowedByLine, allowingSteps } from './allowing-step.js';
import { mainlineCandidateOf, propertyCandidateOf, runCandidateOf } from './mainline-findings.js';
import { splitRacingSteps } from './racing-steps.js';
import type { FindingVerdict, PropertyVerdict, VerdictRun } from './verdicts-report.js';
import { candidateBugOf } from '../stress/candidate-bugs.js';

/** "1,234,567" */
export function grouped(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** The verdict words of one row: never "safe". */
export function propertyVerdictLine(checks: number, findings: number, seconds: number, firstAtS: number | null): string {
  if (findings === 0) return `no finding in ${grouped(checks)} checks over ${seconds.toFixed(1)} s`;
  return `${grouped(findings)} finding${findings === 1 ? '' : 's'} in ${grouped(checks)} checks${firstAtS !== null ? `, first after ${firstAtS.toFixed(2)} s` : ' (not the run\'s first: untimed)'}`;
}

export function verdictRun(report: StressReport, variant: ProtocolVariant, module: string, workloads: readonly string[], strategy: string): VerdictRun {
  const seconds = report.elapsedS;
  const t = report.totals;
  const first = report.firstFinding;
  const properties: PropertyVerdict[] = report.properties.map((p) => {
    const firstAtS = first !== null && first.property === p.name && p.findings > 0 ? first.atS : null;
    return { property: p.name, kind: p.kind, checks: p.checks, findings: p.findings, firstAtS, verdict: propertyVerdictLine(p.checks, p.findings, seconds, firstAtS) };
  });
  const isMainline = variant.name === 'mainline';
  const runCandidate = runCandidateOf(report);
  const findings: FindingVerdict[] = report.findings.map((f) => {
    const { racing, context } = splitRacingSteps(f);
    const candidateBug = isMainline ? mainlineCandidateOf(f, runCandidate, propertyCandidateOf(report.findings, f.property)) : (candidateBugOf(f)?.name ?? null);
    const steps = isMainline ? [] : allowingSteps(variant, module, racing);
    const untraced = f.interleaving.length === 0;
    return {
      property: f.property,
      thread: f.thread,
      ...(f.cache !== undefined ? { cache: f.cache } : {}),
      message: f.message,
      repeats: f.repeats ?? 1,
      racing,
      context,
      allowingSteps: steps,
      allowedBy: untraced && !isMainline ? `no interleaving recorded for this finding (the report keeps one for the first finding of each property): see the first ${f.property} finding` : allowedByLine(variant, steps, candidateBug, strategy),
      candidateBug,
      rerun: f.rerun,
    };
  });
  return {
    protocol: report.protocol.name,
    workloads: [...workloads],
    strategy,
    seed: report.seed,
    seconds,
    checks: report.properties.reduce((s, p) => s + p.checks, 0),
    findingsTotal: report.findingsTotal,
    firstFinding: first === null ? null : { property: first.property, atS: first.atS },
    properties,
    exercised: {
      vmentries: t.vmentries,
      refreshes: t.refreshes,
      refreshRetries: t.refreshRetries,
      invalidations: t.invalidations,
      invalidationsOutsideMemslots: t.invalidationsOutsideMemslots,
      memslotUpdates: t.memslotUpdates,
      juggles: t.juggles,
      eventsSent: t.eventsSent,
      eventsDeferred: t.eventsDeferred,
      fastPathTrylockFails: t.fastPathTrylockFails,
      refreshInvalidationsInWindow: t.refreshInvalidationsInWindow,
      refreshSeqlessInstalls: t.refreshSeqlessInstalls,
    },
    findings,
    stressVerdict: report.verdict,
    rerun: report.rerun,
    internalErrors: [...report.internalErrors],
  };
}
