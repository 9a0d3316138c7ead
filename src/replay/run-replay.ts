/**
 * `gpc-lab replay FILE` (issue 10): re-runs a schedule file's configuration under its recorded
 * decisions, strictly (a decision that cannot be followed is a divergence, reported with whom it
 * wanted and who was runnable), and compares the first finding's signature with the recorded one.
 * `--check-determinism` replays twice more and compares the trace hashes.
 */
import { EXIT_CLEAN, EXIT_FINDINGS, EXIT_INTERNAL } from '../util/exit-codes.js';
import { jsonEnvelope, type JsonEnvelope } from '../util/json-envelope.js';
import { readScheduleFile, findingSignature, sameSignature, type FindingSignature, type ScheduleFile } from '../sched/schedule-file.js';
import { resolveStressConfig, type StressConfig } from '../stress/stress-config.js';
import { runStress, type StressRunOptions } from '../stress/run-stress.js';
import type { StressReport } from '../stress/stress-report.js';
import { replayInputOf, stressOf } from './replay-config.js';
import { shrinkSchedule, type ShrinkResult } from './shrink.js';
import { writeScheduleFile } from '../sched/schedule-file.js';
import { formatInterleaving } from '../stress/interleaving-text.js';

export type ReplayVerdict = 'reproduced' | 'not-reproduced' | 'diverged' | 'as-recorded-clean' | 'internal-error';

export interface ReplayRun {
  traceHash: string;
  steps: number;
  decisions: number;
  finding: FindingSignature | null;
  diverged?: { decision: number; wanted: string; runnable: string[] };
  elapsedS: number;
}

export interface ReplayReport extends JsonEnvelope<'replay'> {
  file: string;
  verdict: ReplayVerdict;
  exitCode: number;
  /** One line saying what happened. */
  summary: string;
  recorded: { finding: FindingSignature | null; traceHash: string; decisions: number; scheduler: ScheduleFile['scheduler'] };
  runs: ReplayRun[];
  /** --check-determinism: true if every replay had the same trace hash (and the recorded one). */
  deterministic?: boolean;
  /** The first replay's full stress report. */
  report: StressReport;
  /** --shrink: the smaller schedule, where it was written, and its own strict replay. */
  shrink?: {
    out: string;
    before: ShrinkResult['before'];
    after: ShrinkResult['after'];
    trials: number;
    accepted: number;
    seconds: number;
    /** Phase 1's kept reductions of threads and workload. */
    reductions: readonly string[];
    /** Phase 3: the adjacent steps whose order decides the finding, against a passing neighbour. */
    criticalPair: ShrinkResult['criticalPair'];
    criticalPairNote: string;
    /** The shrunk file replayed strictly: did it reproduce? */
    verified: ReplayVerdict;
    interleaving: string[];
  };
}

/** "vcpu-1 refresh-install(valid=1) before notifier invalidate-start (swapped: no finding)". */
export function pairText(pair: NonNullable<ShrinkResult['criticalPair']>): string {
  return `${pair.first.thread} ${pair.first.point} before ${pair.second.thread} ${pair.second.point} (decision ${pair.decision}; the other way round: ${pair.neighbour})`;
}

export interface ReplayOptions {
  readonly checkDeterminism?: boolean;
  /** Shrink a reproduced schedule and write the smaller one here. */
  readonly shrinkTo?: string;
  readonly shrinkTrials?: number;
  readonly progress?: StressRunOptions['progress'];
  readonly handleSigint?: boolean;
}

function replayRun(report: StressReport): ReplayRun {
  const s = report.schedule;
  const first = report.findings[0];
  return {
    traceHash: s.traceHash ?? '',
    steps: s.steps ?? 0,
    decisions: s.decisions ?? 0,
    finding: first ? findingSignature(first) : null,
    ...(s.diverged ? { diverged: s.diverged } : {}),
    elapsedS: report.elapsedS,
  };
}

/** Replays the schedule file `path` (a bad or mismatched file throws a UsageError: exit 2). */
export async function runReplay(path: string, options: ReplayOptions = {}): Promise<ReplayReport> {
  const { file, decisions } = readScheduleFile(path);
  const config: StressConfig = resolveStressConfig(stressOf(file));
  const replay = replayInputOf(file, decisions);
  const runOptions: StressRunOptions = { progress: options.progress ?? 'silent', notice: () => {}, replay, ...(options.handleSigint ? { handleSigint: true } : {}) };
  const reports: StressReport[] = [await runStress(config, runOptions)];
  if (options.checkDeterminism) {
    for (let i = 0; i < 2 && reports[0]!.schedule.diverged === undefined; i++) reports.push(await runStress(config, runOptions));
  }
  const runs = reports.map(replayRun);
  const first = runs[0]!;
  const report = reports[0]!;
  let verdict: ReplayVerdict;
  let summary: string;
  if (report.verdict === 'internal-error') {
    verdict = 'internal-error';
    summary = `internal error during the replay: ${report.internalErrors.join('; ')}`;
  } else if (first.diverged) {
    verdict = 'diverged';
    summary = `diverged at decision ${first.diverged.decision}: wanted ${first.diverged.wanted}, runnable = {${first.diverged.runnable.join(', ')}}`;
  } else if (file.finding === null) {
    verdict = first.finding === null ? 'as-recorded-clean' : 'not-reproduced';
    summary = first.finding === null ? 'no finding, as recorded' : `a finding the recording did not have: ${first.finding.text}`;
  } else if (first.finding !== null && sameSignature(first.finding, file.finding)) {
    verdict = 'reproduced';
    summary = `reproduced: ${first.finding.text}`;
  } else {
    verdict = 'not-reproduced';
    summary = first.finding === null ? `the finding did not recur (recorded: ${file.finding.text})` : `another finding: ${first.finding.text} (recorded: ${file.finding.text})`;
  }
  let deterministic: boolean | undefined;
  if (options.checkDeterminism) {
    deterministic = runs.length === 3 && runs.every((r) => r.traceHash === file.traceHash && r.diverged === undefined);
    summary += deterministic
      ? `; deterministic: ${runs.length} replays, trace hash ${file.traceHash} each time`
      : `; NOT deterministic: trace hashes ${runs.map((r) => r.traceHash).join(', ')} (recorded ${file.traceHash})`;
  }
  const exitCode =
    verdict === 'internal-error' || verdict === 'diverged' || deterministic === false ? EXIT_INTERNAL : verdict === 'reproduced' ? EXIT_FINDINGS : EXIT_CLEAN;
  let shrink: ReplayReport['shrink'];
  if (options.shrinkTo !== undefined && verdict === 'reproduced' && file.finding !== null) {
    const result = await shrinkSchedule(file, decisions, file.finding, report, { ...(options.shrinkTrials !== undefined ? { maxTrials: options.shrinkTrials } : {}) });
    writeScheduleFile(options.shrinkTo, { ...result.file, ...(result.file.shrunkFrom ? { shrunkFrom: { ...result.file.shrunkFrom, file: path } } : {}) });
    const check = await runReplay(options.shrinkTo, { progress: 'silent' });
    const first = check.report.findings[0];
    shrink = {
      out: options.shrinkTo,
      before: result.before,
      after: result.after,
      trials: result.trials,
      accepted: result.accepted,
      seconds: result.seconds,
      reductions: result.reductions,
      criticalPair: result.criticalPair,
      criticalPairNote: result.criticalPairNote,
      verified: check.verdict,
      interleaving: first ? formatInterleaving(first.interleaving) : [],
    };
    summary += `; shrunk: ${result.before.threads} -> ${result.after.threads} threads, ${result.before.contextSwitches} -> ${result.after.contextSwitches} context switches, ${result.before.decisions} -> ${result.after.decisions} decisions, interleaving ${result.before.interleavingEvents} -> ${result.after.interleavingEvents} events, in ${options.shrinkTo} (its replay: ${check.verdict})`;
    if (result.criticalPair) summary += `; critical pair: ${pairText(result.criticalPair)}`;
  }
  return {
    ...jsonEnvelope('replay'),
    file: path,
    verdict,
    exitCode,
    summary,
    recorded: { finding: file.finding, traceHash: file.traceHash, decisions: file.decisions.count, scheduler: file.scheduler },
    runs,
    ...(deterministic !== undefined ? { deterministic } : {}),
    report,
    ...(shrink ? { shrink } : {}),
  };
}
