/**
 * The controlled scheduler's decision (issue 10), made by the turn holder at each scheduling point:
 * apply a pending stop, find the runnable participants, and pick the next one by the schedule's
 * rule. No scheduler thread: whoever holds the turn runs this, then hands the turn over (turn-gate.ts).
 *
 *   runnable   P_STATE RUNNABLE; BLOCKED whose word changed (mem(tag)[index] !== expected);
 *              SLEEPING whose deadline step came (or the run is stopping)
 *   nobody     if someone sleeps, model time jumps to the earliest deadline; if all are done, -1;
 *              else a deadlock: exact, recorded with its step (every participant's wait is in the
 *              buffer), and the schedule is aborted
 *   random     uniform over the runnable ones (the scheduler's own seeded state, SC_RNG)
 *   pct        the runnable one of highest priority (PCT); priorities change at the change points
 *              and when a participant yields (turn-gate.ts)
 *   directed   the next event's thread of a given order (replay --from-finding), where it can run
 *   replay     the logged decision; if that participant is not runnable, the replay diverged
 *              (recorded with what was runnable) and is aborted; past the recorded stop (the
 *              threads leaving) the schedule just ends
 *
 * Cold compared with the handover it precedes, but allocation-free: it runs at every step.
 */
import { RC_STOP_REASON, StopReason } from '../harness/run-control.js';
import { FINDINGS_TOTAL } from '../trace/findings.js';
import {
  PS_BLOCKED,
  PS_DONE,
  PS_RUNNABLE,
  PS_SLEEPING,
  P_DEADLINE,
  P_EXPECTED,
  P_INDEX,
  P_PRIORITY,
  P_STATE,
  P_TAG,
  SC_ABORT,
  SC_BUDGET,
  SC_DEADLOCK_STEP,
  SC_DECISIONS,
  SC_DIVERGED_RUNNABLE,
  SC_DIVERGED_STEP,
  SC_DIVERGED_WANTED,
  SC_KIND,
  SC_LOG_LENGTH,
  SC_REPLAYING,
  REPLAY_GUIDED,
  REPLAY_DIRECTED,
  SC_DIRECT_CURSOR,
  REPLAY_STRICT,
  SC_RNG,
  SC_STEP,
  SC_STOP_REASON,
  SC_STOP_STEP,
  SC_STOP_DECISION,
  SC_TIME_JUMPS,
  SC_WALL_STOP,
  MAX_PARTICIPANTS,
  participantBase,
  stepLogWho,
  type SchedView,
} from './sched-layout.js';
import { SCHED_PCT } from './schedule-kinds.js';
import type { SchedWords } from './sched-words.js';

/** What the turn holder needs to decide: the scheduler buffer, the VM's words, run control, the findings count. */
export interface ChooserEnv {
  readonly sv: SchedView;
  readonly words: SchedWords;
  readonly control: Int32Array;
  readonly findings: Int32Array;
}

/** One xorshift32 draw from the scheduler's shared state (random's picks, pct's epochs). */
export function nextRandom(mem: Int32Array): number {
  let x = Atomics.load(mem, SC_RNG);
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  Atomics.store(mem, SC_RNG, x);
  return x >>> 0;
}

/**
 * The runnable participants of the decision being made, in index order, and a flag per index:
 * filled once per decision (a blocked one's word is read once), then every rule picks from them.
 * Scratch of the turn holder's thread (one decision at a time per thread); allocation-free.
 */
const runnableList = new Int32Array(MAX_PARTICIPANTS);
const runnableFlag = new Uint8Array(MAX_PARTICIPANTS);

/** Guided and directed: `wanted` if it can run, else `previous` (keep the thread that ran), else the first runnable (from this decision's list). */
function wantedOrKeep(wanted: number, previous: number, n: number): number {
  if (wanted >= 0 && wanted < n && runnableFlag[wanted] === 1) return wanted;
  if (previous >= 0 && previous < n && runnableFlag[previous] === 1) return previous;
  return runnableList[0]!;
}

/** True if participant t may run at `step` (see the file comment). */
function isRunnable(env: ChooserEnv, t: number, step: number, stopping: boolean): boolean {
  const mem = env.sv.mem;
  const base = participantBase(t);
  const state = Atomics.load(mem, base + P_STATE);
  if (state === PS_RUNNABLE) return true;
  if (state === PS_BLOCKED) {
    const view = env.words.views[Atomics.load(mem, base + P_TAG)]!;
    return Atomics.load(view, Atomics.load(mem, base + P_INDEX)) !== Atomics.load(mem, base + P_EXPECTED);
  }
  if (state === PS_SLEEPING) return stopping || Atomics.load(mem, base + P_DEADLINE) <= step;
  return false;
}

/**
 * Applies a stop that is due at `step`: the budget (record: the step budget; replay: the step the
 * recorded run stopped at), a finding (record only: a schedule ends at its first finding), or a
 * stop asked for from outside the turn (record only). Stores it in run control, where every
 * thread's loop sees it at its next turn: the stop lands on a step, so a replay lands it on the same one.
 */
function applyDueStop(env: ChooserEnv, step: number): boolean {
  const mem = env.sv.mem;
  if (Atomics.load(mem, SC_STOP_STEP) >= 0) return true;
  let reason = 0;
  const strict = Atomics.load(mem, SC_REPLAYING) === REPLAY_STRICT;
  if (step >= Atomics.load(mem, SC_BUDGET)) reason = strict ? Atomics.load(mem, SC_STOP_REASON) : StopReason.COMPLETED;
  else if (!strict) {
    if (Atomics.load(env.findings, FINDINGS_TOTAL) > 0) reason = StopReason.FINDING;
    else reason = Atomics.load(mem, SC_WALL_STOP);
  }
  if (reason === 0) return false;
  Atomics.store(mem, SC_STOP_STEP, step);
  Atomics.store(mem, SC_STOP_DECISION, Atomics.load(mem, SC_DECISIONS));
  Atomics.store(mem, SC_STOP_REASON, reason);
  Atomics.compareExchange(env.control, RC_STOP_REASON, 0, reason);
  return true;
}

/** Ends the schedule: every gate opens (turn-gate.ts wakes the waiters). */
export function abortSchedule(sv: SchedView): void {
  Atomics.store(sv.mem, SC_ABORT, 1);
}

/**
 * Ends the schedule and the run: a deadlock or a divergence leaves nothing to schedule, and the
 * threads, now running freely, must stop at their next loop (not run on until the wall-clock cap).
 */
function endRun(env: ChooserEnv, reason: number): void {
  abortSchedule(env.sv);
  Atomics.compareExchange(env.control, RC_STOP_REASON, 0, reason);
}

/**
 * The next participant to run (the turn holder calls this after counting its step), or -1 when
 * nobody can: all are done, or the schedule just aborted (deadlock, divergence). Marks the chosen
 * one RUNNABLE and logs the decision.
 */
export function chooseNext(env: ChooserEnv): number {
  const sv = env.sv;
  const mem = sv.mem;
  const n = sv.threads;
  let step = Atomics.load(mem, SC_STEP);
  const stopping = applyDueStop(env, step);
  let runnable = 0;
  let mask = 0;
  for (;;) {
    runnable = 0;
    mask = 0;
    let sleepers = 0;
    let earliest = 0x7fffffff;
    let alive = 0;
    for (let t = 0; t < n; t++) {
      runnableFlag[t] = 0;
      const state = Atomics.load(mem, participantBase(t) + P_STATE);
      if (state === PS_DONE) continue;
      alive++;
      if (isRunnable(env, t, step, stopping)) {
        runnableFlag[t] = 1;
        runnableList[runnable++] = t;
        if (t < 31) mask |= 1 << t;
      } else if (state === PS_SLEEPING) {
        sleepers++;
        earliest = Math.min(earliest, Atomics.load(mem, participantBase(t) + P_DEADLINE));
      }
    }
    if (runnable > 0) break;
    if (alive === 0) return -1;
    if (sleepers > 0) {
      // Everyone who can run is asleep: model time jumps to the first wake-up.
      step = earliest;
      Atomics.store(mem, SC_STEP, step);
      Atomics.add(mem, SC_TIME_JUMPS, 1);
      continue;
    }
    Atomics.store(mem, SC_DEADLOCK_STEP, step);
    endRun(env, StopReason.STALLED);
    return -1;
  }
  const decision = Atomics.load(mem, SC_DECISIONS);
  const kind = Atomics.load(mem, SC_KIND);
  let chosen = -1;
  const rule = Atomics.load(mem, SC_REPLAYING);
  if (rule === REPLAY_GUIDED) {
    // Follow the log where that thread can run; else keep the one that ran last; else the first runnable.
    chosen = wantedOrKeep(decision < Atomics.load(mem, SC_LOG_LENGTH) ? sv.log[decision]! : -1, decision > 0 ? sv.log[decision - 1]! : -1, n);
    if (decision < sv.log.length) sv.log[decision] = chosen;
  } else if (rule === REPLAY_DIRECTED) {
    // The next event's thread where it can run; else keep the one that ran last; else the first runnable.
    const cursor = Atomics.load(mem, SC_DIRECT_CURSOR);
    chosen = wantedOrKeep(cursor < sv.directed.length ? stepLogWho(sv.directed[cursor]!) : -1, decision > 0 ? sv.log[decision - 1]! : -1, n);
  } else if (rule === REPLAY_STRICT) {
    const wanted = decision < Atomics.load(mem, SC_LOG_LENGTH) ? sv.log[decision]! : -1;
    if (wanted >= 0 && wanted < n && runnableFlag[wanted] === 1) chosen = wanted;
    else if (Atomics.load(mem, SC_STOP_STEP) >= 0) {
      // Past the recorded stop the threads only leave (their order is not part of the schedule):
      // the schedule ends here, every thread leaves freely, and that is no divergence.
      endRun(env, Atomics.load(mem, SC_STOP_REASON));
      return -1;
    } else {
      Atomics.store(mem, SC_DIVERGED_STEP, decision);
      Atomics.store(mem, SC_DIVERGED_WANTED, wanted);
      Atomics.store(mem, SC_DIVERGED_RUNNABLE, mask);
      endRun(env, StopReason.COMPLETED);
      return -1;
    }
  } else if (kind === SCHED_PCT) {
    // The highest priority; on a tie the lower index (the list is in index order).
    let best = -0x7fffffff;
    for (let i = 0; i < runnable; i++) {
      const t = runnableList[i]!;
      const priority = Atomics.load(mem, participantBase(t) + P_PRIORITY);
      if (priority > best) {
        best = priority;
        chosen = t;
      }
    }
  } else {
    // SCHED_RANDOM (and anything else): uniform over the runnable ones.
    chosen = runnableList[runnable === 1 ? 0 : nextRandom(mem) % runnable]!;
  }
  if (rule === 0 || rule === REPLAY_DIRECTED) {
    if (decision < sv.log.length) sv.log[decision] = chosen;
    Atomics.store(mem, SC_LOG_LENGTH, Math.min(decision + 1, sv.log.length));
  }
  Atomics.store(mem, SC_DECISIONS, decision + 1);
  Atomics.store(mem, participantBase(chosen) + P_STATE, PS_RUNNABLE);
  return chosen;
}
