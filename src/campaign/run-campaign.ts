/**
 * `gpc-lab campaign`: for each chosen catalog entry, R stress runs with different seeds, each
 * until its first finding or the time budget (attempts of `attemptS` when only the end-of-run
 * oracles can see the bug), then the same workload on the reference protocol (or with the cure)
 * for the same measured time, which must stay clean. Cost entries (B18) run for a fixed time with
 * and without the switch and compare fast-path fallbacks and notifier hook time.
 *
 * Runs are in-process and one at a time (`runStress`): each is bounded (duration + stall timeout
 * + ~2 s) and returns only when all its worker threads have exited.
 */
import { jsonEnvelope } from '../util/json-envelope.js';
import { campaignProvenance } from './campaign-provenance.js';
import { EXIT_CLEAN, EXIT_FINDINGS, EXIT_INTERRUPTED } from '../util/exit-codes.js';
import { describeEnvironment } from '../harness/environment.js';
import { resolveStressConfig, type StressConfig, type StressOptions } from '../stress/stress-config.js';
import { FIX_SWITCHES } from '../kvm/fix-switches.js';
import { runStress, type RecordedSchedule } from '../stress/run-stress.js';
import { saveSchedule, scheduleFileOf } from '../stress/schedule-record.js';
import { runReplay } from '../replay/run-replay.js';
import { join } from 'node:path';
import type { StressReport } from '../stress/stress-report.js';
import { BUG_CATALOG, type BugEntry } from '../bugs/catalog.js';
import type { CampaignConfig } from './campaign-config.js';
import type { CampaignReport, CampaignRow, CampaignRun, CostFigures } from './campaign-report.js';

/** Longest single reference run (the reference time is split into runs of at most this). */
const REFERENCE_CHUNK_S = 10;
/** Shortest run worth starting (start-up costs ~0.5-1 s). */
const MIN_RUN_S = 0.2;

export interface CampaignRunOptions {
  /** One line per finished run (progress); default: nothing. */
  readonly notice?: (line: string) => void;
  /**
   * Aborting it (Ctrl-C) stops the stress run in progress and the campaign: the report then holds
   * the bugs whose runs all finished, marked interrupted.
   */
  readonly stop?: AbortSignal;
}

/** Thrown inside the campaign when `stop` aborts; caught by runCampaign. */
class CampaignInterrupted extends Error {}

let campaignStop: AbortSignal | undefined;
/** The campaign's --protocol, for runs whose catalog workload does not name one (set by runCampaign). */
let campaignProtocol = 'mainline';

/**
 * Every run (detection and reference) has the fixes of the candidate upstream bugs on
 * (docs/VERDICTS.md: S1 hva-seq-miss), unless its catalog entry names its own: the catalog measures
 * the historical bugs against mainline with those fixed, so that a reference run never reports a
 * candidate upstream bug and a detection run is never credited with one.
 */
const CAMPAIGN_FIXES = FIX_SWITCHES.filter((f) => f.variant === undefined).map((f) => f.name);

/** The campaign's --schedule options, added to every run (set by runCampaign). */
let campaignSchedule: Pick<StressOptions, 'schedule' | 'pctDepth' | 'pctEpoch' | 'steps'> = {};

function stressOnce(options: StressOptions, onRecorded?: (config: StressConfig, recorded: RecordedSchedule) => void): Promise<StressReport> {
  if (campaignStop?.aborted) throw new CampaignInterrupted();
  const protocol = options.protocol !== undefined || options.retry !== undefined ? {} : { protocol: campaignProtocol };
  const fixes = options.fix !== undefined ? {} : { fix: CAMPAIGN_FIXES };
  const config = resolveStressConfig({ ...campaignSchedule, ...options, ...protocol, ...fixes, json: true });
  return runStress(config, {
    progress: 'silent',
    notice: () => {},
    ...(campaignStop ? { stopSignal: campaignStop } : {}),
    ...(onRecorded ? { onScheduleRecorded: (recorded: RecordedSchedule) => onRecorded(config, recorded) } : {}),
  }).then(function checkInterrupted(report) {
    // A run cut short by Ctrl-C proves nothing either way: it is not counted.
    if (campaignStop?.aborted) throw new CampaignInterrupted();
    return report;
  });
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function detectionRun(entry: BugEntry, seed: number, budgetS: number, scheduleDir: string): Promise<{ run: CampaignRun; measuredS: number; attempts: number }> {
  let spent = 0;
  let attempts = 0;
  let vmentries = 0;
  let protocol = campaignProtocol;
  const internalErrors: string[] = [];
  const scheduled = campaignSchedule.schedule === 'random' || campaignSchedule.schedule === 'pct';
  while (budgetS - spent >= MIN_RUN_S) {
    // Under random/pct each attempt is one schedule (the workload seed stays, the scheduler's moves);
    // the wall-clock cap is what is left of the budget.
    const duration = scheduled ? budgetS - spent : Math.min(entry.attemptS ?? budgetS, budgetS - spent);
    let saved: { config: StressConfig; recorded: RecordedSchedule } | undefined;
    const report = await stressOnce(
      {
        ...entry.stress,
        ...(entry.switchName ? { bug: entry.switchName } : {}),
        seed: scheduled ? seed >>> 0 : (seed + attempts * 7919) >>> 0,
        ...(scheduled ? { schedSeed: (seed * 31 + attempts) >>> 0 } : {}),
        duration,
        stopOnFinding: true,
      },
      scheduled ? (config, recorded) => (saved = { config, recorded }) : undefined,
    );
    attempts++;
    protocol = report.protocol.name;
    vmentries += report.totals.vmentries;
    internalErrors.push(...report.internalErrors);
    if (report.firstFinding) {
      spent += report.firstFinding.atS;
      const replay = saved ? await saveAndReplay(entry, saved.config, report, saved.recorded, scheduleDir) : {};
      return {
        run: {
          seed: report.seed,
          detected: true,
          timeS: spent,
          property: report.firstFinding.property,
          attempts,
          findings: report.findingsTotal,
          vmentries,
          rerun: report.findings[0]?.rerun ?? report.rerun,
          protocol,
          internalErrors,
          ...replay,
        },
        measuredS: spent,
        attempts,
      };
    }
    spent += report.elapsedS;
    if (report.elapsedS <= 0) break; // the run never started: do not loop
  }
  return {
    run: { seed, detected: false, timeS: spent, property: null, attempts, findings: 0, vmentries, rerun: null, protocol, internalErrors },
    measuredS: spent,
    attempts,
  };
}

/**
 * Writes a finding's schedule file and replays it once (is the finding a reproducer?). Cold path.
 */
async function saveAndReplay(entry: BugEntry, config: StressConfig, report: StressReport, recorded: RecordedSchedule, scheduleDir: string): Promise<Pick<CampaignRun, 'scheduleFile' | 'replayed'>> {
  const path = join(scheduleDir, `${entry.name}-${config.schedule.kind}-seed${config.seed}-sched${config.schedule.seed}.json`);
  saveSchedule(path, scheduleFileOf(config, report, recorded));
  if (campaignStop?.aborted) throw new CampaignInterrupted();
  const replayed = await runReplay(path);
  return { scheduleFile: path, replayed: replayed.verdict };
}

/** The entry checks a controlled-schedule reference runs each schedule with. */
const SCHEDULED_REFERENCE_STRATEGIES = ['locked', 'generation'] as const;

async function referenceRuns(entry: BugEntry, seconds: number, seed: number, schedules: number): Promise<CampaignRow['reference']> {
  const total = Math.max(1, seconds);
  // Under random/pct the reference runs as many schedules as the detection did, each its full step budget.
  const scheduled = campaignSchedule.schedule === 'random' || campaignSchedule.schedule === 'pct';
  const count = scheduled ? Math.max(1, schedules) : Math.ceil(total / REFERENCE_CHUNK_S);
  const result: CampaignRow['reference'] = { seconds: 0, runs: 0, findings: 0, properties: [], commands: [], protocol: campaignProtocol };
  // Under random/pct each of those schedules runs with both reference entry checks (mainline's
  // locked check and the seed's generation check), unless the entry names its own.
  const base = entry.cure ?? entry.stress;
  const strategies: (string | undefined)[] = scheduled && base.strategy === undefined ? [...SCHEDULED_REFERENCE_STRATEGIES] : [undefined];
  if (scheduled) result.strategies = strategies.map((s) => s ?? String(base.strategy));
  for (let i = 0; i < count * strategies.length; i++) {
    const strategy = strategies[i % strategies.length];
    const schedule = Math.floor(i / strategies.length);
    const report = await stressOnce({
      ...base,
      ...(strategy !== undefined ? { strategy } : {}),
      seed: scheduled ? seed : seed + i,
      ...(scheduled ? { schedSeed: (seed * 31 + schedule) >>> 0 } : {}),
      duration: scheduled ? Math.max(60, total) : total / count,
      stopOnFinding: true,
    });
    result.seconds += report.elapsedS;
    result.runs++;
    result.protocol = report.protocol.name;
    result.findings += report.findingsTotal + report.internalErrors.length;
    for (const p of report.properties) if (p.findings > 0 && !result.properties.includes(p.name)) result.properties.push(p.name);
    if (report.findingsTotal > 0 || report.internalErrors.length > 0) result.commands.push(report.findings[0]?.rerun ?? report.rerun);
  }
  return result;
}

function costOf(reports: readonly StressReport[]): CostFigures {
  let seconds = 0;
  let fails = 0;
  let hookUs = 0;
  let invalidations = 0;
  let findings = 0;
  // Each run's own figure too: their range is the run-to-run spread the comparison is judged by.
  const hookPerRun: number[] = [];
  const failsPerRun: number[] = [];
  for (const r of reports) {
    seconds += r.elapsedS;
    fails += r.totals.fastPathTrylockFails;
    hookUs += r.totals.invalidationHookUs;
    invalidations += r.totals.invalidations;
    findings += r.findingsTotal + r.internalErrors.length;
    if (r.totals.invalidations > 0) hookPerRun.push(r.totals.invalidationHookUs / r.totals.invalidations);
    if (r.elapsedS > 0) failsPerRun.push(r.totals.fastPathTrylockFails / r.elapsedS);
  }
  const range = (xs: number[]): [number, number] => (xs.length === 0 ? [0, 0] : [Math.min(...xs), Math.max(...xs)]);
  return {
    seconds,
    runs: reports.length,
    fastPathTrylockFailsPerS: seconds > 0 ? fails / seconds : 0,
    fastPathTrylockFailsPerSRange: range(failsPerRun),
    hookUsPerInvalidation: invalidations > 0 ? hookUs / invalidations : 0,
    hookUsPerInvalidationRange: range(hookPerRun),
    invalidationsPerS: seconds > 0 ? invalidations / seconds : 0,
    findings,
  };
}

/** The catalog fields every campaign row repeats. */
function rowIdentity(entry: BugEntry): Pick<CampaignRow, 'name' | 'switchName' | 'history' | 'source' | 'kind' | 'expect'> {
  return { name: entry.name, switchName: entry.switchName, history: entry.history, source: entry.source, kind: entry.kind, expect: [...entry.expect] };
}

async function costRow(entry: BugEntry, config: CampaignConfig, seedBase: number, notice: (line: string) => void): Promise<CampaignRow> {
  const startedAt = performance.now();
  const runs = Math.min(config.runs, 3);
  const withBug: StressReport[] = [];
  const without: StressReport[] = [];
  for (let r = 0; r < runs; r++) {
    // Interleaved, so that load changes hit both sides alike.
    withBug.push(await stressOnce({ ...entry.stress, bug: entry.switchName, seed: seedBase + r, duration: config.costDurationS }));
    without.push(await stressOnce({ ...entry.stress, seed: seedBase + r, duration: config.costDurationS }));
  }
  const bug = costOf(withBug);
  const reference = costOf(without);
  notice(
    `${entry.name}: cost: fast-path trylock failures ${bug.fastPathTrylockFailsPerS.toFixed(0)}/s vs ${reference.fastPathTrylockFailsPerS.toFixed(0)}/s; hook ${bug.hookUsPerInvalidation.toFixed(1)} vs ${reference.hookUsPerInvalidation.toFixed(1)} µs/invalidation; findings ${bug.findings} / ${reference.findings}`,
  );
  return {
    ...rowIdentity(entry),
    runs: [],
    detected: 0,
    medianS: null,
    maxS: null,
    caughtBy: {},
    runsPerS: 0,
    vmentriesPerS: 0,
    reference: { seconds: reference.seconds, runs: without.length, findings: reference.findings, properties: [], commands: [], protocol: without[0]?.protocol.name ?? campaignProtocol },
    cost: { bug, reference },
    ok: bug.findings === 0 && reference.findings === 0,
    wallS: (performance.now() - startedAt) / 1000,
  };
}

async function detectionRow(entry: BugEntry, config: CampaignConfig, seedBase: number, notice: (line: string) => void): Promise<CampaignRow> {
  const startedAt = performance.now();
  const runs: CampaignRun[] = [];
  let measuredS = 0;
  let attempts = 0;
  for (let r = 0; r < config.runs; r++) {
    const result = await detectionRun(entry, seedBase + r, config.budgetS, config.scheduleDir);
    runs.push(result.run);
    measuredS += result.measuredS;
    attempts += result.attempts;
    const run = result.run;
    notice(`${entry.name}: run ${r + 1}/${config.runs} seed ${run.seed}: ${run.detected ? `${run.property} after ${(run.timeS * 1000).toFixed(0)} ms` : `nothing in ${run.timeS.toFixed(1)} s`}${run.attempts > 1 ? ` (${run.attempts} attempts)` : ''}`);
  }
  const detectedTimes = runs.filter((r) => r.detected).map((r) => r.timeS);
  const caughtBy: Record<string, number> = {};
  for (const r of runs) if (r.property) caughtBy[r.property] = (caughtBy[r.property] ?? 0) + 1;
  const wallDetection = (performance.now() - startedAt) / 1000;
  const reference = await referenceRuns(entry, measuredS, seedBase + 500, attempts);
  notice(`${entry.name}: reference${entry.cure ? ' (cure)' : ''} ${reference.seconds.toFixed(1)} s in ${reference.runs} runs: ${reference.findings} findings`);
  const vmentries = runs.reduce((s, r) => s + r.vmentries, 0);
  const detected = detectedTimes.length;
  return {
    ...rowIdentity(entry),
    runs,
    detected,
    medianS: median(detectedTimes),
    maxS: detectedTimes.length > 0 ? Math.max(...detectedTimes) : null,
    caughtBy,
    runsPerS: wallDetection > 0 ? attempts / wallDetection : 0,
    vmentriesPerS: measuredS > 0 ? vmentries / measuredS : 0,
    reference,
    ...(entry.slowBecause ? { slowBecause: entry.slowBecause } : {}),
    ok: detected === config.runs && reference.findings === 0 && runs.every((r) => r.internalErrors.length === 0),
    wallS: (performance.now() - startedAt) / 1000,
  };
}

/** Runs the campaign (every run bounded; no thread outlives its run). */
export async function runCampaign(config: CampaignConfig, options: CampaignRunOptions = {}): Promise<CampaignReport> {
  const notice = options.notice ?? (() => {});
  const environment = describeEnvironment() as unknown as Record<string, unknown>;
  const startedAt = performance.now();
  const rows: CampaignRow[] = [];
  let interrupted = false;
  campaignStop = options.stop;
  campaignProtocol = config.protocol;
  campaignSchedule = config.schedule === 'os' ? {} : { schedule: config.schedule, ...(config.schedule === 'pct' ? { pctDepth: config.pctDepth, ...(config.pctEpoch > 0 ? { pctEpoch: config.pctEpoch } : {}) } : {}), ...(config.schedule === 'random' || config.schedule === 'pct' ? { steps: config.steps } : {}) };
  try {
    for (const entry of config.entries) {
      const seedBase = config.seed + 1000 * BUG_CATALOG.indexOf(entry);
      rows.push(entry.kind === 'cost' ? await costRow(entry, config, seedBase, notice) : await detectionRow(entry, config, seedBase, notice));
    }
  } catch (error) {
    if (!(error instanceof CampaignInterrupted)) throw error;
    interrupted = true;
  } finally {
    campaignStop = undefined;
    campaignSchedule = {};
  }
  const referenceFindings = rows.reduce((s, r) => s + r.reference.findings, 0);
  const ok = rows.every((r) => r.ok);
  const notes = [
    ...(interrupted
      ? [`Interrupted (Ctrl-C): partial report, ${rows.length} of ${config.entries.length} bugs finished; the bug in progress is left out.`]
      : []),
    'Time to first finding is measured from the start barrier (all threads running), not from the command start: each stress run also spends ~0.5-1 s starting its worker threads, which runs/s includes.',
    `Every run has the fixes for the candidate upstream bugs on (docs/VERDICTS.md): --fix ${CAMPAIGN_FIXES.join(', --fix ')}.`,
    'Detection comes from the general oracles only; the catalog chooses each bug\'s workload (e.g. a juggler for activate bugs), never the property that must fire.',
  ];
  return {
    ...jsonEnvelope('campaign'),
    runs: config.runs,
    budgetS: config.budgetS,
    shard: `${config.shard.index}/${config.shard.count}`,
    shardsCovered: [config.shard.index],
    shardCount: config.shard.count,
    provenance: campaignProvenance(config),
    selected: [...config.selected],
    seed: config.seed,
    protocol: config.protocol,
    schedule: config.schedule,
    environment,
    rows,
    referenceFindings,
    wallS: (performance.now() - startedAt) / 1000,
    verdict: ok ? 'ok' : 'missed',
    // Ctrl-C: 130 after the partial table.
    exitCode: interrupted ? EXIT_INTERRUPTED : ok ? EXIT_CLEAN : EXIT_FINDINGS,
    interrupted,
    notes,
  };
}
