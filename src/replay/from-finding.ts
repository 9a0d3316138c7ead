/**
 * `gpc-lab replay REPORT --from-finding` (issue 10, best effort): a real-thread (os or chaos)
 * finding cannot be replayed, but its interleaving says in which order its threads took their
 * last steps. This runs the report's configuration under a controlled schedule that follows that
 * order where it can (sched-layout.ts REPLAY_DIRECTED: the next event's thread runs when it is
 * runnable, an event passes when that thread takes a step of its kind, and is skipped after
 * DIRECT_SKIP_AFTER steps without it), from the start of a fresh run: the recorder kept only the
 * last events of each thread, not the state they ran in, so whether the finding recurs is what
 * this finds out, not what it promises. A finding writes a schedule file (replayable like any
 * other) and is replayed once to confirm it.
 *
 *   exit 1   the same finding (property, thread, racing steps) recurred, and its schedule replays it
 *   exit 0   it did not (another finding, if any, is named and its schedule written too)
 *   exit 2   not a stress report with a finding
 */
import { readFileSync } from 'node:fs';
import { findingSignature, sameSignature, writeScheduleFile, type FindingSignature } from '../sched/schedule-file.js';
import { stressOptionsOf, resolveStressConfig, type StressConfig } from '../stress/stress-config.js';
import { runStress, type RecordedSchedule } from '../stress/run-stress.js';
import type { InterleavingEvent, StressReport } from '../stress/stress-report.js';
import { scheduleFileOf } from '../stress/schedule-record.js';
import { stepIdByName, STEP_FINDING } from '../trace/trace-steps.js';
import { guestLayout } from '../kvm/guest-layout.js';
import { stepLogEntry } from '../sched/sched-layout.js';
import { UsageError } from '../util/usage-error.js';
import type { JsonEnvelope } from '../util/json-envelope.js';
import { runReplay, type ReplayVerdict } from './run-replay.js';

export type FromFindingVerdict = 'recurred' | 'other-finding' | 'not-recurred';

export interface FromFindingResult {
  readonly verdict: FromFindingVerdict;
  readonly exitCode: number;
  readonly summary: string;
  /** The report's finding. */
  readonly source: FindingSignature;
  /** The order's events (its interleaving without the FINDING, folded repeats unfolded), how many the run passed and skipped, and events it could not map (an unknown thread or step). */
  readonly events: number;
  readonly passed: number;
  readonly skipped: number;
  readonly unmapped: number;
  readonly report: StressReport;
  /** A finding's schedule file, and its strict replay's verdict. */
  readonly scheduleFile?: string;
  readonly replayed?: ReplayVerdict;
}

/** `replay REPORT --from-finding --json`. */
export type FromFindingJson = JsonEnvelope<'replay'> & { readonly fromFinding: true } & FromFindingResult;

/** Folded repeats are unfolded up to this many. */
const MAX_REPEATS = 50;

/** The order to follow: (participant << 16) | step id per event, and how many events could not be mapped. */
export function directedOrder(events: readonly InterleavingEvent[], vcpus: number): { order: Int32Array; unmapped: number } {
  const threadNames = guestLayout(vcpus).threadNames;
  const order: number[] = [];
  let unmapped = 0;
  for (const e of events) {
    const step = stepIdByName(e.step);
    if (step === STEP_FINDING || e.step.startsWith('FINDING')) continue;
    const who = threadNames.indexOf(e.thread);
    if (step === undefined || who < 0) {
      unmapped++;
      continue;
    }
    for (let i = 0; i < Math.min(MAX_REPEATS, e.repeats ?? 1); i++) order.push(stepLogEntry(who, step));
  }
  return { order: Int32Array.from(order), unmapped };
}

function readReport(path: string): StressReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`--from-finding: ${path} is not a readable JSON file (${(e as Error).message})`);
  }
  const r = parsed as Partial<StressReport>;
  if (r.tool !== 'gpc-lab' || r.command !== 'stress' || typeof r.config !== 'object' || !Array.isArray(r.findings)) {
    throw new UsageError(`--from-finding: ${path} is not a gpc-lab stress report (write one with stress --json > FILE)`);
  }
  if (r.findings.length === 0 || !Array.isArray(r.findings[0]?.interleaving)) throw new UsageError(`--from-finding: ${path} has no finding to follow (its verdict: ${String(r.verdict)})`);
  return r as StressReport;
}

export interface FromFindingOptions {
  /** Where a finding's schedule file goes (default REPORT with .schedule.json). */
  readonly out?: string;
  readonly schedSeed?: number;
  readonly progress?: 'silent' | 'auto';
}

export async function runFromFinding(path: string, options: FromFindingOptions = {}): Promise<FromFindingResult> {
  const source = readReport(path);
  const first = source.findings[0]!;
  const target = findingSignature(first);
  const recordedConfig = source.config as unknown as StressConfig;
  const { order, unmapped } = directedOrder(first.interleaving, recordedConfig.vcpus);
  const config = resolveStressConfig({
    ...stressOptionsOf(recordedConfig),
    schedule: 'random',
    schedSeed: options.schedSeed ?? 1,
    duration: Math.max(60, recordedConfig.durationS),
    stopOnFinding: true,
    json: true,
  });
  let recorded: RecordedSchedule | undefined;
  const report = await runStress(config, { progress: options.progress ?? 'silent', notice: () => {}, directed: order, onScheduleRecorded: (r) => (recorded = r) });
  const found = report.findings[0];
  const directed = report.schedule.directed ?? { events: order.length, passed: 0, skipped: 0 };
  const verdict: FromFindingVerdict = found === undefined ? 'not-recurred' : sameSignature(findingSignature(found), target) ? 'recurred' : 'other-finding';
  let scheduleFile: string | undefined;
  let replayed: ReplayVerdict | undefined;
  if (found !== undefined && recorded !== undefined) {
    scheduleFile = options.out ?? path.replace(/(\.json)?$/, '.schedule.json');
    writeScheduleFile(scheduleFile, scheduleFileOf(config, report, recorded));
    replayed = (await runReplay(scheduleFile, { progress: 'silent' })).verdict;
  }
  const followed = `followed ${directed.passed - directed.skipped} of the ${directed.events} events of its interleaving in order (${directed.skipped} skipped${unmapped > 0 ? `, ${unmapped} not mapped` : ''})`;
  const summary =
    verdict === 'recurred'
      ? `the finding recurred: ${target.text}; ${followed}; its schedule ${scheduleFile} replays: ${String(replayed)}`
      : verdict === 'other-finding'
        ? `the finding did not recur (${target.text}); another did: ${findingSignature(found!).text}, schedule ${scheduleFile} (replays: ${String(replayed)}); ${followed}`
        : `the finding did not recur in ${report.schedule.steps ?? 0} steps (${target.text}); ${followed}. The recorder kept the last steps of each thread, not the state they ran in: try stress --schedule pct or chaos with the report's configuration`;
  return { verdict, exitCode: verdict === 'recurred' && replayed === 'reproduced' ? 1 : 0, summary, source: target, events: directed.events, passed: directed.passed, skipped: directed.skipped, unmapped, report, ...(scheduleFile !== undefined ? { scheduleFile } : {}), ...(replayed !== undefined ? { replayed } : {}) };
}
