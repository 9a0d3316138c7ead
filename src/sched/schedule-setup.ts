/**
 * Setting up one controlled schedule on the main thread (cold path): the scheduler buffer with
 * every participant's first state, PCT's priorities and change points, the scheduler's seed, and
 * for a replay the decisions to follow; then the first turn. And reading the outcome back.
 *
 * PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010): the n participants get distinct
 * random priorities d .. d+n-1; d-1 change points are drawn uniformly from the step budget k; at
 * change point i the running participant's priority drops to d-1-i. For a bug of depth d this finds
 * it with probability >= 1/(n k^(d-1)) per schedule. The model's threads loop until stopped, so
 * a yield (a vCPU's entry loop, a retry loop's cond_resched) also drops the yielder below every
 * other participant: without it the top thread would never let the others run.
 */
import { Random } from '../util/random.js';
import { chooseNext, type ChooserEnv } from './sched-chooser.js';
import {
  PS_RUNNABLE,
  P_BLOCKS,
  P_EXPECTED,
  P_INDEX,
  P_PRIORITY,
  P_STATE,
  P_STEPS,
  P_TAG,
  SC_ABORT,
  SC_BUDGET,
  SC_DEADLOCK_STEP,
  SC_DECISIONS,
  SC_DEPTH,
  SC_DIVERGED_RUNNABLE,
  SC_DIVERGED_STEP,
  SC_DIVERGED_WANTED,
  SC_HANDOVERS,
  SC_HASH,
  SC_KIND,
  SC_LOG_LENGTH,
  SC_REPLAYING,
  REPLAY_GUIDED,
  REPLAY_STRICT,
  SC_RNG,
  SC_STEP,
  SC_STOP_REASON,
  SC_STOP_STEP,
  SC_TIME_JUMPS,
  SC_TURN,
  SC_WALL_STOP,
  SC_YIELDS,
  SC_STOP_DECISION,
  SC_DIRECT_CURSOR,
  SC_DIRECT_SKIPPED,
  REPLAY_DIRECTED,
  SC_EPOCH,
  changePointSlot,
  createSchedBuffer,
  participantBase,
  schedView,
  type SchedView,
} from './sched-layout.js';
import { MainParticipant } from './main-participant.js';
import { handTurnTo } from './turn-gate.js';
import { SCHED_PCT, scheduleKindCode, type ScheduleName } from './schedule-kinds.js';
import type { SchedWords } from './sched-words.js';

/** What a replay follows (from a schedule file). */
export interface ReplayInput {
  readonly kind: ScheduleName;
  readonly decisions: Uint8Array;
  /** The step the recorded run's scheduler stopped it at, and why (-1, 0: it never did). */
  readonly stopStep: number;
  readonly stopReason: number;
  /** --shrink: guided, not strict (the decisions are suggestions; what ran is recorded). */
  readonly guided?: boolean;
}

export interface ScheduleSetup {
  readonly kind: ScheduleName;
  readonly seed: number;
  readonly pctDepth: number;
  /** pct: restart every this many steps (0: never; pct-epoch.ts). */
  readonly pctEpoch?: number;
  readonly steps: number;
  /** Model thread indices of the worker participants. */
  readonly workers: readonly number[];
  /** The main thread's index and whether it takes part (the control plane issues updates). */
  readonly mainIndex: number;
  readonly mainActive: boolean;
  readonly replay: ReplayInput | null;
  /** replay --from-finding: the order to follow, (participant << 16) | point kind per event (a recording otherwise). */
  readonly directed?: Int32Array;
}

export interface LiveSchedule {
  readonly buffer: SharedArrayBuffer;
  readonly sv: SchedView;
  readonly env: ChooserEnv;
  /** The main thread's participant (null when the control plane is idle: main then only starts the schedule). */
  readonly main: MainParticipant | null;
}

/** Decisions a recording keeps beyond the budget (the threads' way out after the stop). */
const LOG_TAIL = 200_000;

export function createSchedule(setup: ScheduleSetup, words: SchedWords, control: Int32Array, findings: Int32Array): LiveSchedule {
  const threads = setup.mainIndex + 1;
  const logBytes = setup.replay && setup.replay.guided !== true ? setup.replay.decisions.length : Math.max(setup.replay?.decisions.length ?? 0, setup.steps + LOG_TAIL);
  const buffer = createSchedBuffer(threads, logBytes, setup.directed?.length ?? 0);
  const sv = schedView(buffer);
  const mem = sv.mem;
  const rng = new Random(setup.seed >>> 0, 0x5c4ed);
  const kind = setup.replay ? setup.replay.kind : setup.kind;
  mem[SC_KIND] = scheduleKindCode(kind);
  mem[SC_RNG] = (rng.nextUint32() | 1);
  mem[SC_DEPTH] = setup.pctDepth;
  const participants = setup.mainActive ? [...setup.workers, setup.mainIndex] : [...setup.workers];
  for (const t of participants) mem[participantBase(t) + P_STATE] = PS_RUNNABLE;
  // Distinct random priorities d .. d+n-1 (a shuffle), and d-1 change points in [1, steps].
  const order = [...participants];
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  order.forEach((t, rank) => (mem[participantBase(t) + P_PRIORITY] = setup.pctDepth + rank));
  // With --pct-epoch K the first epoch's change points are in [1, K] (pct-epoch.ts draws the next ones).
  const epoch = setup.pctEpoch ?? 0;
  mem[SC_EPOCH] = epoch;
  if (mem[SC_KIND] === SCHED_PCT) for (let i = 0; i < setup.pctDepth - 1; i++) mem[changePointSlot(i)] = 1 + rng.below(epoch > 0 ? Math.min(epoch, setup.steps) : setup.steps);
  if (setup.replay?.guided === true) {
    sv.log.set(setup.replay.decisions);
    mem[SC_LOG_LENGTH] = setup.replay.decisions.length;
    mem[SC_REPLAYING] = REPLAY_GUIDED;
    mem[SC_BUDGET] = setup.steps;
  } else if (setup.replay) {
    sv.log.set(setup.replay.decisions);
    mem[SC_LOG_LENGTH] = setup.replay.decisions.length;
    mem[SC_REPLAYING] = REPLAY_STRICT;
    mem[SC_BUDGET] = setup.replay.stopStep >= 0 ? setup.replay.stopStep : 0x7fffffff;
    mem[SC_STOP_REASON] = setup.replay.stopReason;
  } else {
    mem[SC_BUDGET] = setup.steps;
    if (setup.directed) {
      sv.directed.set(setup.directed);
      mem[SC_REPLAYING] = REPLAY_DIRECTED;
    }
  }
  const env: ChooserEnv = { sv, words, control, findings };
  return { buffer, sv, env, main: setup.mainActive ? new MainParticipant(env, setup.mainIndex) : null };
}

/** The PCT change points of a schedule (for its file). */
export function changePoints(sv: SchedView): number[] {
  const points: number[] = [];
  for (let i = 0; i < Atomics.load(sv.mem, SC_DEPTH) - 1; i++) points.push(Math.abs(Atomics.load(sv.mem, changePointSlot(i))));
  return points;
}

/**
 * The first turn: to main (its control plane then runs first and goes to sleep) or, when main does
 * not take part, to the scheduler's first choice.
 */
export function startSchedule(live: LiveSchedule): void {
  if (live.main) {
    Atomics.store(live.sv.mem, SC_TURN, live.main.participant);
    return;
  }
  handTurnTo(live.sv, chooseNext(live.env));
}

/** A stop asked for outside the turn (the wall-clock cap, a finding seen by main, Ctrl-C): the scheduler applies it at its next step. */
export function requestScheduledStop(live: LiveSchedule, reason: number): void {
  Atomics.compareExchange(live.sv.mem, SC_WALL_STOP, 0, reason);
}

/** True once the schedule is over: aborted, or every participant done. */
export function scheduleOver(live: LiveSchedule): boolean {
  return Atomics.load(live.sv.mem, SC_ABORT) !== 0 || (Atomics.load(live.sv.mem, SC_TURN) === -1 && Atomics.load(live.sv.mem, SC_DECISIONS) > 0);
}

/** One participant's scheduling state at the end (for the report and a deadlock's "who waits on what"). */
export interface ParticipantOutcome {
  readonly thread: number;
  readonly state: number;
  readonly steps: number;
  readonly blocks: number;
  readonly priority: number;
  /** When blocked: the buffer tag, the word index and the value it waits to change. */
  readonly tag: number;
  readonly index: number;
  readonly expected: number;
}

export interface ScheduleOutcome {
  readonly steps: number;
  readonly decisions: number;
  readonly handovers: number;
  readonly yields: number;
  readonly timeJumps: number;
  readonly hash: number;
  readonly stopStep: number;
  /** The decision the stop was applied at (-1: none). */
  readonly stopDecision: number;
  readonly stopReason: number;
  readonly aborted: boolean;
  /** Directed: the events of the order passed (taken or skipped) and skipped. */
  readonly directedPassed: number;
  readonly directedSkipped: number;
  readonly divergedAt: number;
  readonly divergedWanted: number;
  readonly divergedRunnableMask: number;
  readonly deadlockStep: number;
  readonly logLength: number;
  readonly participants: readonly ParticipantOutcome[];
}

export function readScheduleOutcome(sv: SchedView): ScheduleOutcome {
  const mem = sv.mem;
  const participants: ParticipantOutcome[] = [];
  for (let t = 0; t < sv.threads; t++) {
    const b = participantBase(t);
    participants.push({
      thread: t,
      state: Atomics.load(mem, b + P_STATE),
      steps: Atomics.load(mem, b + P_STEPS),
      blocks: Atomics.load(mem, b + P_BLOCKS),
      priority: Atomics.load(mem, b + P_PRIORITY),
      tag: Atomics.load(mem, b + P_TAG),
      index: Atomics.load(mem, b + P_INDEX),
      expected: Atomics.load(mem, b + P_EXPECTED),
    });
  }
  return {
    steps: Atomics.load(mem, SC_STEP),
    decisions: Atomics.load(mem, SC_DECISIONS),
    handovers: Atomics.load(mem, SC_HANDOVERS),
    yields: Atomics.load(mem, SC_YIELDS),
    timeJumps: Atomics.load(mem, SC_TIME_JUMPS),
    hash: Atomics.load(mem, SC_HASH) >>> 0,
    stopStep: Atomics.load(mem, SC_STOP_STEP),
    stopDecision: Atomics.load(mem, SC_STOP_DECISION),
    directedPassed: Atomics.load(mem, SC_DIRECT_CURSOR),
    directedSkipped: Atomics.load(mem, SC_DIRECT_SKIPPED),
    stopReason: Atomics.load(mem, SC_STOP_REASON),
    aborted: Atomics.load(mem, SC_ABORT) !== 0,
    divergedAt: Atomics.load(mem, SC_DIVERGED_STEP),
    divergedWanted: Atomics.load(mem, SC_DIVERGED_WANTED),
    divergedRunnableMask: Atomics.load(mem, SC_DIVERGED_RUNNABLE),
    deadlockStep: Atomics.load(mem, SC_DEADLOCK_STEP),
    logLength: Atomics.load(mem, SC_LOG_LENGTH),
    participants,
  };
}

/** The decisions a recording (or a guided replay) made: a copy of the log's used part. */
/** The step log of what a recording (or a guided replay) ran: one entry per recorded decision. */
export function recordedSteps(sv: SchedView, decisions: number): Int32Array {
  return sv.stepLog.slice(0, Math.min(sv.stepLog.length, decisions));
}

export function recordedDecisions(sv: SchedView): Uint8Array {
  const guided = Atomics.load(sv.mem, SC_REPLAYING) === REPLAY_GUIDED;
  return sv.log.slice(0, Math.min(sv.log.length, guided ? Atomics.load(sv.mem, SC_DECISIONS) : Atomics.load(sv.mem, SC_LOG_LENGTH)));
}
