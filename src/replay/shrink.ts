/**
 * `gpc-lab replay FILE --shrink` (issue 10): a smaller schedule with the same finding. The
 * decisions are run-length encoded; each run boundary is a context switch. Shrinking removes
 * context switches (delta debugging, ddmin-style, over the set of switches): a removed switch
 * gives that run's decisions to the thread of the run before it. Each candidate is replayed
 * guided (src/sched/sched-chooser.ts REPLAY_GUIDED: a decision whose thread cannot run keeps the
 * previous thread, or the first runnable), and kept if the first finding has the same signature;
 * what the guided replay ran is the new schedule (so it replays strictly), if it is smaller: fewer
 * switches and no more decisions, or fewer decisions and no more switches. Bounded by a number of
 * trials and a time budget. Not done (yet): dropping workload operations or threads, and the
 * search for the critical pair of adjacent steps.
 */
import { contextSwitches, encodeDecisions, findingSignature, sameSignature, type FindingSignature, type ScheduleFile } from '../sched/schedule-file.js';
import { resolveStressConfig, type StressConfig } from '../stress/stress-config.js';
import { runStress, type RecordedSchedule } from '../stress/run-stress.js';
import type { StressReport } from '../stress/stress-report.js';
import { replayInputOf, stressOf } from './replay-config.js';
import { scheduleFileOf } from '../stress/schedule-record.js';

export interface ShrinkResult {
  readonly file: ScheduleFile;
  readonly before: { decisions: number; contextSwitches: number; interleavingEvents: number };
  readonly after: { decisions: number; contextSwitches: number; interleavingEvents: number };
  readonly trials: number;
  readonly accepted: number;
  readonly seconds: number;
  /** The shrunk schedule's first finding (its interleaving is what a reader sees). */
  readonly report: StressReport;
}

export interface ShrinkOptions {
  readonly maxTrials?: number;
  readonly budgetS?: number;
}

/** Decisions with the switches at run indices `drop` removed (each such run takes the previous run's thread). */
function withoutSwitches(runs: readonly (readonly [number, number])[], drop: ReadonlySet<number>): Uint8Array {
  const total = runs.reduce((s, r) => s + r[1], 0);
  const out = new Uint8Array(total);
  let at = 0;
  let thread = runs[0]?.[0] ?? 0;
  runs.forEach(([who, n], i) => {
    if (i === 0 || !drop.has(i)) thread = who;
    out.fill(thread, at, at + n);
    at += n;
  });
  return out;
}

function eventsOf(report: StressReport): number {
  return report.findings[0]?.interleaving.length ?? 0;
}

export async function shrinkSchedule(file: ScheduleFile, decisions: Uint8Array, target: FindingSignature, first: StressReport, options: ShrinkOptions = {}): Promise<ShrinkResult> {
  const startedAt = performance.now();
  const maxTrials = options.maxTrials ?? 60;
  const budgetMs = (options.budgetS ?? 300) * 1000;
  const config: StressConfig = resolveStressConfig(stressOf(file));
  let best = decisions;
  let bestReport = first;
  let bestRecorded: RecordedSchedule | null = null;
  let trials = 0;
  let accepted = 0;

  async function tryDecisions(candidate: Uint8Array): Promise<boolean> {
    trials++;
    let recorded: RecordedSchedule | undefined;
    const report = await runStress(config, {
      progress: 'silent',
      notice: () => {},
      replay: replayInputOf(file, candidate, true),
      onScheduleRecorded: (r) => (recorded = r),
    });
    const f = report.findings[0];
    if (!f || !recorded || !sameSignature(findingSignature(f), target)) return false;
    // Smaller means fewer context switches without a longer schedule, or a shorter one without more switches.
    const switches = contextSwitches(recorded.decisions);
    const bestSwitches = contextSwitches(best);
    const smaller = (switches < bestSwitches && recorded.decisions.length <= best.length) || (switches <= bestSwitches && recorded.decisions.length < best.length);
    if (!smaller) return false;
    best = recorded.decisions;
    bestRecorded = recorded;
    bestReport = report;
    accepted++;
    return true;
  }

  // ddmin over the context switches: try dropping chunks of them, halving the chunk size when none goes.
  let chunks = 2;
  while (trials < maxTrials && performance.now() - startedAt < budgetMs) {
    const runs = encodeDecisions(best);
    const switches = runs.length - 1;
    if (switches <= 0) break;
    chunks = Math.min(chunks, switches);
    const size = Math.ceil(switches / chunks);
    let progressed = false;
    for (let c = 0; c < chunks && trials < maxTrials && performance.now() - startedAt < budgetMs; c++) {
      const drop = new Set<number>();
      for (let i = 1 + c * size; i <= Math.min(switches, (c + 1) * size); i++) drop.add(i);
      if (await tryDecisions(withoutSwitches(runs, drop))) {
        progressed = true;
        chunks = Math.max(2, chunks - 1);
        break;
      }
    }
    if (!progressed) {
      if (size === 1) break;
      chunks = Math.min(switches, chunks * 2);
    }
  }
  const shrunk: ScheduleFile =
    bestRecorded === null
      ? file
      : { ...scheduleFileOf(config, bestReport, bestRecorded), scheduler: file.scheduler, shrunkFrom: { file: '', decisions: decisions.length, contextSwitches: contextSwitches(decisions) } };
  return {
    file: shrunk,
    before: { decisions: decisions.length, contextSwitches: contextSwitches(decisions), interleavingEvents: eventsOf(first) },
    after: { decisions: best.length, contextSwitches: contextSwitches(best), interleavingEvents: eventsOf(bestReport) },
    trials,
    accepted,
    seconds: (performance.now() - startedAt) / 1000,
    report: bestReport,
  };
}
