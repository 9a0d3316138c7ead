/**
 * A stress run's schedule (issue 10), on the main thread: for `random`/`pct` (and a replay) the
 * scheduler buffer, the workers' part of it, the main thread as a participant (the control plane),
 * the stop forwarding, and the report section with what the schedule did; for `chaos` only the
 * workers' seed and rate. `os` has none of it (prepareSchedule returns the empty plan).
 */
import { RunControl, StopReason, stopReasonName } from '../harness/run-control.js';
import type { ModelContext, VmBuffers } from '../kvm/model-context.js';
import { PS_BLOCKED, PS_DONE, PS_NOT_STARTED, PS_RUNNABLE, PS_SLEEPING } from '../sched/sched-layout.js';
import { setMainGate } from '../sched/main-participant.js';
import { wakeEveryone } from '../sched/turn-gate.js';
import { abortSchedule } from '../sched/sched-chooser.js';
import { schedWords, wordBufferName } from '../sched/sched-words.js';
import { isControlledSchedule, type ScheduleName } from '../sched/schedule-kinds.js';
import {
  changePoints,
  createSchedule,
  readScheduleOutcome,
  recordedDecisions,
  recordedSteps,
  requestScheduledStop,
  scheduleOver,
  startSchedule,
  type LiveSchedule,
  type ReplayInput,
  type ScheduleOutcome,
} from '../sched/schedule-setup.js';
import type { ScheduleConfig } from '../sched/schedule-config.js';
import type { ModelThreadSchedule } from './model-thread.js';
import type { ControlPlane } from './control-plane.js';

/** What the schedule does not bring under its control (said in every controlled report). */
export const CONTROLLED_SCHEDULE_GAPS: readonly string[] = [
  "the main thread's refresh-livelock watch is wall-clock: off under a controlled schedule (there a refresh retrying 2000 times is the livelock finding, and the memslot updater's wait is bounded in model time)",
  "the watchdog's stall detection is wall-clock (a deadlock is detected exactly: no runnable thread)",
  "the main thread's points are its waits and the swap's published stores only: its synchronous code between them runs as one step",
  'latency figures (refresh, eviction) are wall-clock and vary between replays; the counts do not',
];

const STATE_NAMES: Record<number, string> = { [PS_DONE]: 'done', [PS_RUNNABLE]: 'runnable', [PS_BLOCKED]: 'blocked', [PS_SLEEPING]: 'sleeping', [PS_NOT_STARTED]: 'not started' };

/** The report's schedule section. */
export interface ScheduleReport {
  kind: ScheduleName | 'replay';
  seed: number;
  /** replay --from-finding: how much of the order it was given the run followed. */
  directed?: { events: number; passed: number; skipped: number };
  pctDepth?: number;
  /** pct: the epoch length (--pct-epoch; absent: one epoch); changePoints are then the last epoch's. */
  pctEpoch?: number;
  changePoints?: number[];
  chaosRate?: number;
  /** random/pct: the step budget. */
  stepBudget?: number;
  steps?: number;
  decisions?: number;
  handovers?: number;
  yields?: number;
  timeJumps?: number;
  /** FNV-style hash of (thread, point kind) over every step: equal for two runs of the same schedule. */
  traceHash?: string;
  /** The step the scheduler stopped the run at, and why. */
  stopStep?: number;
  stopReason?: string;
  aborted?: boolean;
  /** A replay that could not follow its schedule: at which decision, whom it wanted, who was runnable. */
  diverged?: { decision: number; wanted: string; runnable: string[] };
  /** No runnable thread and not all done: who waits on what. */
  deadlock?: { step: number; waits: string[] };
  /** Per participant: steps run, times blocked. */
  participants?: { index: number; thread: string; steps: number; blocks: number; state: string }[];
  knownGaps?: readonly string[];
}

export interface ScheduledRun {
  readonly live: LiveSchedule | null;
  /** What each worker's task carries (undefined for os). */
  readonly workerSchedule: ModelThreadSchedule | undefined;
}

export interface PlannedParticipant {
  readonly thread: number;
  readonly name: string;
}

/** Builds the run's schedule (nothing for os). `mainActive`: the control plane issues updates. */
export function prepareSchedule(
  schedule: ScheduleConfig,
  replay: ReplayInput | null,
  buffers: VmBuffers,
  main: ModelContext,
  control: RunControl,
  workers: readonly PlannedParticipant[],
  mainIndex: number,
  mainActive: boolean,
  directed: Int32Array | null = null,
): ScheduledRun {
  const kind = replay ? 'replay' : schedule.kind;
  if (!isControlledSchedule(kind)) {
    return { live: null, workerSchedule: kind === 'chaos' ? { seed: schedule.seed, chaosRate: schedule.chaosRate } : undefined };
  }
  const live = createSchedule(
    { kind: schedule.kind, seed: schedule.seed, pctDepth: schedule.pctDepth, pctEpoch: schedule.pctEpoch, steps: schedule.steps, workers: workers.map((w) => w.thread), mainIndex, mainActive, replay, ...(directed ? { directed } : {}) },
    schedWords(buffers),
    control.view,
    main.findings.mem,
  );
  control.stopForwarder = function forwardStopToScheduler(reason): boolean {
    if (scheduleOver(live)) return false;
    // A replay stops where its recording did (a finding seen by main changes nothing); a
    // wall-clock cap or Ctrl-C that comes first ends it early.
    if (replay !== null && reason === StopReason.FINDING) return true;
    if (replay === null && (reason === StopReason.COMPLETED || reason === StopReason.FINDING || reason === StopReason.INTERRUPTED)) {
      requestScheduledStop(live, reason);
      return true;
    }
    // A stall or a crash: the schedule ends now, every thread runs freely to its end.
    abortAndWake(live);
    return false;
  };
  return { live, workerSchedule: { buffer: live.buffer, seed: schedule.seed, chaosRate: 0 } };
}

function abortAndWake(live: LiveSchedule): void {
  abortSchedule(live.sv);
  wakeEveryone(live.sv);
}

/** At the start barrier: the main participant, then the first turn; returns the control plane's run (or null). */
export function startScheduledRun(run: ScheduledRun, controlPlane: ControlPlane, control: RunControl): Promise<void> | null {
  const live = run.live;
  if (!live) return null;
  setMainGate(live.main);
  startSchedule(live);
  return live.main ? controlPlane.runControlled(live.main, control.view) : null;
}

/** After the threads ended: main leaves the schedule; the outcome for the report, with thread names. */
export function finishScheduledRun(run: ScheduledRun, schedule: ScheduleConfig, replay: ReplayInput | null, names: ReadonlyMap<number, string>, control: RunControl): { report: ScheduleReport; outcome: ScheduleOutcome | null; decisions: Uint8Array | null; steps: Int32Array | null } {
  control.stopForwarder = null;
  const kind = replay ? 'replay' : schedule.kind;
  const base: ScheduleReport = { kind, seed: schedule.seed };
  if (kind === 'chaos') return { report: { ...base, chaosRate: schedule.chaosRate }, outcome: null, decisions: null, steps: null };
  const live = run.live;
  if (!live) return { report: base, outcome: null, decisions: null, steps: null };
  setMainGate(null);
  const outcome = readScheduleOutcome(live.sv);
  const nameOf = (t: number): string => names.get(t) ?? (t < 0 ? '(end of schedule)' : `thread ${t}`);
  const report: ScheduleReport = {
    ...base,
    ...(schedule.kind === 'pct' || replay?.kind === 'pct' ? { pctDepth: schedule.pctDepth, ...(schedule.pctEpoch > 0 ? { pctEpoch: schedule.pctEpoch } : {}), changePoints: changePoints(live.sv) } : {}),
    ...(live.sv.directed.length > 0 ? { directed: { events: live.sv.directed.length, passed: outcome.directedPassed, skipped: outcome.directedSkipped } } : {}),
    stepBudget: schedule.steps,
    steps: outcome.steps,
    decisions: outcome.decisions,
    handovers: outcome.handovers,
    yields: outcome.yields,
    timeJumps: outcome.timeJumps,
    traceHash: outcome.hash.toString(16).padStart(8, '0'),
    stopStep: outcome.stopStep,
    stopReason: outcome.stopReason === 0 ? 'none' : stopReasonName(outcome.stopReason),
    aborted: outcome.aborted,
    participants: outcome.participants.filter((p) => names.has(p.thread)).map((p) => ({ index: p.thread, thread: nameOf(p.thread), steps: p.steps, blocks: p.blocks, state: STATE_NAMES[p.state] ?? `state ${p.state}` })),
    knownGaps: CONTROLLED_SCHEDULE_GAPS,
  };
  if (outcome.divergedAt >= 0) {
    const runnable: string[] = [];
    for (let t = 0; t < 31; t++) if ((outcome.divergedRunnableMask & (1 << t)) !== 0) runnable.push(nameOf(t));
    report.diverged = { decision: outcome.divergedAt, wanted: nameOf(outcome.divergedWanted), runnable };
  }
  if (outcome.deadlockStep >= 0) {
    report.deadlock = {
      step: outcome.deadlockStep,
      waits: outcome.participants
        .filter((p) => p.state === PS_BLOCKED)
        .map((p) => `${nameOf(p.thread)} waits for ${wordBufferName(p.tag)}[${p.index}] to change from ${p.expected}`),
    };
  }
  const decisions = replay && replay.guided !== true ? null : recordedDecisions(live.sv);
  return { report, outcome, decisions, steps: decisions ? recordedSteps(live.sv, decisions.length) : null };
}
