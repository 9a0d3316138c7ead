/**
 * `gpc-lab replay FILE --shrink` (issue 10): a smaller schedule with the same finding, and the
 * pair of adjacent steps whose order decides it. Every candidate is replayed *guided*
 * (src/sched/sched-chooser.ts REPLAY_GUIDED: a decision whose thread cannot run keeps the previous
 * thread, or the first runnable) and kept if its first finding has the same signature (property,
 * thread, the two racing steps); what the guided replay ran is the new schedule, so the result
 * replays strictly. Three phases, each bounded by the trial count and the time budget:
 *
 *   1. threads and workload: drop a cache user from --workload, set a paced thread's rate to 0
 *      (memslot updates, juggling, event sends, invalidations), or drop the last vCPU (its
 *      decisions become "keep the previous thread"); kept when the finding stays
 *   2. context switches: delta debugging (ddmin) over the switches of the run-length encoded
 *      decisions; a dropped switch gives that run's decisions to the thread of the run before it;
 *      kept when the schedule gets smaller: fewer switches and no more decisions, or fewer
 *      decisions and no more switches
 *   3. the critical pair (Hermit's question): for the preemptions nearest the stop (a thread that
 *      resumes after others ran), move its resuming step earlier into the gap; if the finding goes
 *      when the gap is closed, a binary search finds the two adjacent steps whose order decides it
 *      (the one schedule keeps the finding, its neighbour with the two steps swapped loses it)
 */
import { contextSwitches, encodeDecisions, findingSignature, sameSignature, type FindingSignature, type ScheduleFile } from '../sched/schedule-file.js';
import { resolveStressConfig, type StressConfig, type StressOptions } from '../stress/stress-config.js';
import { runStress, type RecordedSchedule } from '../stress/run-stress.js';
import type { StressReport } from '../stress/stress-report.js';
import { replayInputOf, stressOf } from './replay-config.js';
import { scheduleFileOf } from '../stress/schedule-record.js';
import { stepLogKind, stepLogWho } from '../sched/sched-layout.js';
import { pointName } from '../sched/point-names.js';
import { guestLayout } from '../kvm/guest-layout.js';

export interface ScheduleSize {
  readonly decisions: number;
  readonly contextSwitches: number;
  readonly interleavingEvents: number;
  /** Model threads in the schedule (main included when it takes part). */
  readonly threads: number;
}

/** One step of the critical pair: who took it and which scheduling point it was. */
export interface PairStep {
  readonly thread: string;
  readonly point: string;
}

export interface CriticalPair {
  /** The decision index of the switch at which the two steps meet (in the shrunk schedule). */
  readonly decision: number;
  /** The step that ran first in the failing schedule, and the one that ran after it (first in the passing neighbour). */
  readonly first: PairStep;
  readonly second: PairStep;
  /** What the passing neighbour (the two swapped) gave instead: "no finding" or another finding. */
  readonly neighbour: string;
}

export interface ShrinkResult {
  readonly file: ScheduleFile;
  readonly before: ScheduleSize;
  readonly after: ScheduleSize;
  readonly trials: number;
  readonly accepted: number;
  readonly seconds: number;
  /** Phase 1's kept reductions, in words ("--workload without xen", "--memslot-rate 0", "--vcpus 1"). */
  readonly reductions: readonly string[];
  /** Phase 3: the pair, or null with why not. */
  readonly criticalPair: CriticalPair | null;
  readonly criticalPairNote: string;
  /** The shrunk schedule's first finding (its interleaving is what a reader sees). */
  readonly report: StressReport;
}

export interface ShrinkOptions {
  readonly maxTrials?: number;
  readonly budgetS?: number;
  /** Phase 3: replays to spend at most (default 60). */
  readonly maxPairTrials?: number;
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

function threadsOf(report: StressReport): number {
  return report.schedule.participants?.length ?? 0;
}

/**
 * A phase-1 candidate: other options, the thread they take out of the schedule (its runs are cut
 * from the decisions, so the others' runs keep their order and lengths), and how the remaining
 * threads' indices map onto the new layout.
 */
interface Reduction {
  readonly label: string;
  readonly options: StressOptions;
  readonly removes?: number;
  readonly remap?: (thread: number) => number;
}

/** The decisions without thread `removes`'s, the others renumbered by `remap`. */
function reducedDecisions(decisions: Uint8Array, reduction: Reduction): Uint8Array {
  const kept = reduction.removes === undefined ? decisions : decisions.filter((t) => t !== reduction.removes);
  return reduction.remap ? kept.map(reduction.remap) : kept;
}

/** Phase 3 looks at this many preemptions nearest the stop. */
const MAX_PREEMPTIONS = 40;

/** Thread names the finding's signature mentions (phase 1 never drops one of them). */
function signatureThreads(target: FindingSignature): Set<string> {
  return new Set([target.thread, ...target.racing.map((r) => r.split(' ')[0]!)]);
}

function reductionsOf(options: StressOptions, config: StressConfig, target: FindingSignature): Reduction[] {
  const out: Reduction[] = [];
  const layout = guestLayout(config.vcpus, config.pageSize);
  const n = config.vcpus;
  if (config.workload.length > 1) {
    for (const user of config.workload) out.push({ label: `--workload without ${user}`, options: { ...options, workload: config.workload.filter((w) => w !== user) } });
  }
  const needed = signatureThreads(target);
  if (config.memslotRate > 0) out.push({ label: '--memslot-rate 0', options: { ...options, memslotRate: 0 }, removes: layout.threadMain });
  if (config.workload.includes('xen')) {
    if (config.juggleRate > 0 && !needed.has('juggler')) out.push({ label: '--juggle-rate 0', options: { ...options, juggleRate: 0 }, removes: layout.threadJuggler });
    if (config.eventRate > 0 && !needed.has('evtchn')) out.push({ label: '--event-rate 0', options: { ...options, eventRate: 0 }, removes: layout.threadEvtchn });
  }
  if (config.invalRate > 0 && !needed.has('notifier')) out.push({ label: '--inval-rate 0', options: { ...options, invalRate: 0 }, removes: layout.threadNotifier });
  // Without the last vCPU every thread after it moves down one index.
  const last = n - 1;
  if (last >= 1 && !needed.has(`vcpu-${last}`)) out.push({ label: `--vcpus ${last}`, options: { ...options, vcpus: last }, removes: last, remap: (t) => (t < last ? t : t - 1) });
  return out;
}

/** A probe's outcome: null if the candidate did not run as asked, else whether the finding stayed. */
type Probe = { same: boolean; text: string } | null;

/**
 * Binary search between `lose` (a position whose candidate loses the finding; `loseText` says
 * what it gave instead) and `keep` (one that keeps it), either way round, for two adjacent
 * positions: the last of each. Null if a candidate did not run as asked or the budget ran out.
 */
async function bisectBoundary(lose: number, keep: number, loseText: string, probe: (at: number) => Promise<Probe>, budgetLeft: () => boolean): Promise<{ lose: number; keep: number; text: string } | null> {
  let text = loseText;
  while (Math.abs(keep - lose) > 1 && budgetLeft()) {
    const mid = Math.floor((lose + keep) / 2);
    const result = await probe(mid);
    if (result === null) return null;
    if (result.same) keep = mid;
    else {
      lose = mid;
      text = result.text;
    }
  }
  return Math.abs(keep - lose) === 1 ? { lose, keep, text } : null;
}

export async function shrinkSchedule(file: ScheduleFile, decisions: Uint8Array, target: FindingSignature, first: StressReport, options: ShrinkOptions = {}): Promise<ShrinkResult> {
  const startedAt = performance.now();
  const maxTrials = options.maxTrials ?? 60;
  const maxPairTrials = options.maxPairTrials ?? 60;
  const budgetMs = (options.budgetS ?? 300) * 1000;
  let stressOptions: StressOptions = stressOf(file);
  let config: StressConfig = resolveStressConfig(stressOptions);
  let best = decisions;
  let bestReport = first;
  let bestRecorded: RecordedSchedule | null = null;
  let trials = 0;
  let accepted = 0;
  const reductions: string[] = [];
  const timeLeft = (): boolean => trials < maxTrials && performance.now() - startedAt < budgetMs;

  /** One guided replay of `candidate` under `cfg`: its report and what ran, and whether the finding stayed. */
  async function replayGuided(cfg: StressConfig, candidate: Uint8Array): Promise<{ report: StressReport; recorded: RecordedSchedule | undefined; same: boolean }> {
    trials++;
    let recorded: RecordedSchedule | undefined;
    const report = await runStress(cfg, {
      progress: 'silent',
      notice: () => {},
      replay: replayInputOf(file, candidate, true),
      onScheduleRecorded: (r) => (recorded = r),
    });
    const f = report.findings[0];
    return { report, recorded, same: f !== undefined && recorded !== undefined && sameSignature(findingSignature(f), target) };
  }

  function keep(report: StressReport, recorded: RecordedSchedule): void {
    best = recorded.decisions;
    bestRecorded = recorded;
    bestReport = report;
    accepted++;
  }

  // Phase 1: fewer threads and less workload, while the finding stays.
  for (let changed = true; changed && timeLeft(); ) {
    changed = false;
    for (const reduction of reductionsOf(stressOptions, config, target)) {
      if (!timeLeft()) break;
      const candidateConfig = resolveStressConfig(reduction.options);
      const candidate = reducedDecisions(best, reduction);
      const { report, recorded, same } = await replayGuided(candidateConfig, candidate);
      if (!same || !recorded) continue;
      stressOptions = reduction.options;
      config = candidateConfig;
      keep(report, recorded);
      reductions.push(reduction.label);
      changed = true;
      break;
    }
  }

  // Phase 2: ddmin over the context switches: drop chunks of them, halving the chunk size when none goes.
  let chunks = 2;
  while (timeLeft()) {
    const runs = encodeDecisions(best);
    const switches = runs.length - 1;
    if (switches <= 0) break;
    chunks = Math.min(chunks, switches);
    const size = Math.ceil(switches / chunks);
    let progressed = false;
    for (let c = 0; c < chunks && timeLeft(); c++) {
      const drop = new Set<number>();
      for (let i = 1 + c * size; i <= Math.min(switches, (c + 1) * size); i++) drop.add(i);
      const { report, recorded, same } = await replayGuided(config, withoutSwitches(runs, drop));
      if (!same || !recorded) continue;
      const s = contextSwitches(recorded.decisions);
      const bestSwitches = contextSwitches(best);
      const smaller = (s < bestSwitches && recorded.decisions.length <= best.length) || (s <= bestSwitches && recorded.decisions.length < best.length);
      if (!smaller) continue;
      keep(report, recorded);
      progressed = true;
      chunks = Math.max(2, chunks - 1);
      break;
    }
    if (!progressed) {
      if (size === 1) break;
      chunks = Math.min(switches, chunks * 2);
    }
  }

  // The schedule the pair search works on needs its step log: replay the best once more if phase 1-2 kept nothing.
  let pairBase: RecordedSchedule | null = bestRecorded;
  if (pairBase === null && performance.now() - startedAt < budgetMs) {
    const again = await replayGuided(config, best);
    if (again.same && again.recorded) pairBase = again.recorded;
  }

  // Phase 3: the critical pair, nearest the stop first. A thread A that resumes at decision e
  // after a gap (it last ran at `previous`, others ran in between) and then runs r steps was
  // preempted there. candidate(p, m) puts m of A's r steps before the other thread's step chosen
  // at p (previous < p < e), the rest right after it, and the others' steps between p and e after
  // those. candidate(previous+1, r) closes the gap; if the finding then goes, the gap matters: a
  // binary search over p (whole run moved) finds the other thread's step b that A's run must
  // follow, and one over m the step a of A's run that must follow b. candidate(p, m-1) keeps the
  // finding and candidate(p, m) loses it; they differ only in the order of the adjacent b and a:
  // the critical pair, and the passing neighbour.
  let criticalPair: CriticalPair | null = null;
  let criticalPairNote = 'not searched (the trial or time budget ran out first)';
  if (pairBase !== null) {
    const base: RecordedSchedule = pairBase;
    const d = base.decisions;
    const nameOf = (t: number): string => bestReport.schedule.participants?.find((p) => p.index === t)?.thread ?? `thread ${t}`;
    const stepOf = (entry: number): PairStep => ({ thread: nameOf(stepLogWho(entry)), point: pointName(stepLogKind(entry)) });
    const stopAt = base.outcome.stopDecision >= 0 ? Math.min(base.outcome.stopDecision, d.length - 1) : d.length - 1;
    let tried = 0;
    let unrealizable = 0;
    let gapsTried = 0;
    const budgetLeft = (): boolean => tried < maxPairTrials && performance.now() - startedAt < budgetMs;
    // The preemptions nearest the stop (a thread resuming after others ran), the finding's own
    // threads (its thread and the two racing steps') first.
    const needed = signatureThreads(target);
    const preemptions: { e: number; previous: number; r: number }[] = [];
    for (let e = stopAt; e >= 1 && preemptions.length < MAX_PREEMPTIONS; e--) {
      const a = d[e]!;
      if (a === d[e - 1]) continue;
      let previous = e - 1;
      while (previous >= 0 && d[previous] !== a) previous--;
      let r = 1;
      while (e + r <= stopAt && d[e + r] === a) r++;
      if (previous >= 0 && e + r + 1 <= base.steps.length) preemptions.push({ e, previous, r });
    }
    const ordered = [...preemptions.filter((x) => needed.has(nameOf(d[x.e]!))), ...preemptions.filter((x) => !needed.has(nameOf(d[x.e]!)))];
    for (const { e, previous, r } of ordered) {
      if (!budgetLeft() || criticalPair !== null) break;
      const a = d[e]!;
      gapsTried++;
      /**
       * candidate(p, m) replayed: null if it did not run as asked, else whether the finding stayed.
       * "As asked": A's run starts at p (moving the whole run, m = r: A may block inside it and
       * others run), or, splitting it around b (m < r), exactly m steps of A and then b.
       */
      const attempt = async (p: number, m: number): Promise<Probe> => {
        const candidate = new Uint8Array(d.length);
        candidate.set(d.subarray(0, p));
        candidate.fill(a, p, p + m);
        candidate[p + m] = d[p]!;
        candidate.fill(a, p + m + 1, p + r + 1);
        candidate.set(d.subarray(p + 1, e), p + r + 1);
        candidate.set(d.subarray(e + r), e + r);
        tried++;
        const { report, recorded, same } = await replayGuided(config, candidate);
        const asAsked = recorded !== undefined && (m === r ? recorded.decisions[p] === a : recorded.decisions[p + m] === d[p] && (m === 0 || recorded.decisions[p + m - 1] === a));
        if (!asAsked) {
          unrealizable++;
          return null;
        }
        const f = report.findings[0];
        return { same, text: f ? `another finding: ${findingSignature(f).text}` : 'no finding' };
      };
      // The earliest p at which A's run can go (A may have been blocked, not preempted, for part
      // of the gap): a binary search between p = previous+1 and e (the schedule itself).
      let earliest = previous + 1;
      let closed = await attempt(earliest, r);
      if (closed === null) {
        let no = earliest;
        let yes = e;
        let yesResult: { same: boolean; text: string } | null = null;
        while (yes - no > 1 && budgetLeft()) {
          const mid = (no + yes) >> 1;
          const result = await attempt(mid, r);
          if (result === null) no = mid;
          else {
            yes = mid;
            yesResult = result;
          }
        }
        if (yesResult === null) continue;
        earliest = yes;
        closed = yesResult;
      }
      if (closed.same) continue;
      // Over p: A's whole run put before d[p] loses the finding at `earliest`, keeps it at e (the schedule itself).
      const overP = await bisectBoundary(earliest, e, closed.text, (p) => attempt(p, r), budgetLeft);
      if (overP === null) continue;
      const loseP = overP.lose;
      // b is the step chosen at loseP: A's run after it keeps the finding, before it loses it.
      // Over m: m of A's steps before b (m = r loses, m = 0 keeps: A's run right after b).
      const overM = await bisectBoundary(r, 0, overP.text, (m) => attempt(loseP, m), budgetLeft);
      if (overM === null) continue;
      const loseM = overM.lose;
      const loseText = overM.text;
      criticalPair = {
        decision: loseP,
        // b (chosen at loseP) ran before A's loseM-th step (chosen at e + loseM - 1) in the failing order.
        first: stepOf(base.steps[loseP + 1]!),
        second: stepOf(base.steps[e + loseM]!),
        neighbour: loseText,
      };
    }
    criticalPairNote =
      criticalPair !== null
        ? `found in ${tried} replays (${gapsTried} preemptions tried)`
        : `none in ${tried} replays over the ${gapsTried} preemptions nearest the stop (${unrealizable} could not run as asked)`;
  }

  const shrunk: ScheduleFile =
    bestRecorded === null
      ? file
      : { ...scheduleFileOf(config, bestReport, bestRecorded), scheduler: file.scheduler, shrunkFrom: { file: '', decisions: decisions.length, contextSwitches: contextSwitches(decisions) } };
  return {
    file: shrunk,
    before: { decisions: decisions.length, contextSwitches: contextSwitches(decisions), interleavingEvents: eventsOf(first), threads: threadsOf(first) },
    after: { decisions: best.length, contextSwitches: contextSwitches(best), interleavingEvents: eventsOf(bestReport), threads: threadsOf(bestReport) },
    trials,
    accepted,
    seconds: (performance.now() - startedAt) / 1000,
    reductions,
    criticalPair,
    criticalPairNote,
    report: bestReport,
  };
}
