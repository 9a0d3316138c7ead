/**
 * The controlled scheduler's shared buffer (issue 10): the turn token, the global step counter
 * (model time), the scheduler's own random state, each participant's scheduling state, and the
 * decision log. One thread runs at a time: whoever holds the turn (SC_TURN) is the only thread
 * that reads or writes any slot below except where a slot says otherwise, so plain loads and
 * stores would do; every access is an Atomics operation anyway (the handover's store/notify and
 * the waiter's load/wait order them), and these are cold compared with the handover itself.
 *
 *   lines 0-1   global slots (SC_*)
 *   line 2      PCT change points (up to MAX_CHANGE_POINTS step numbers)
 *   line 3 + t  participant t (model thread index t: vcpu v = v, notifier n, evtchn n+1,
 *               juggler n+2, main n+3): P_* slots
 *   after       the decision log: one byte per decision, the participant chosen (the log's length)
 *   after that  the step log, one int per decision: the step taken just before it, (participant << 16) | point
 *               kind (a trace step id or POINT_*), -1 where none was (the first decision without main)
 *
 * Guard of every slot: the turn (only the turn holder writes), except SC_TURN and P_WAKE (the
 * handover: written by the holder that gives the turn away, read by the waiter), SC_ABORT and
 * SC_WALL_STOP (written by any thread or main at any time, first writer wins; read at every point).
 */
import { CACHE_LINE_INTS } from '../mem/shared-buffer.js';

/** The participant holding the turn; -1 before the first decision and after the last thread is done. */
export const SC_TURN = 0;
/** Scheduling points taken, plus time jumps when everyone slept (model time: STEP_US each). */
export const SC_STEP = 1;
/** The schedule kind (SCHED_* in schedule-kinds.ts). */
export const SC_KIND = 2;
/** 1 once aborted (a crash, a stall, a deadlock, Ctrl-C): every gate opens and threads run freely to their end. */
export const SC_ABORT = 3;
/** The scheduler's xorshift32 state (never 0). */
export const SC_RNG = 4;
/** Participants (the model's thread count, main included). */
export const SC_THREADS = 5;
/** Step budget: the chooser stops the run at this step. */
export const SC_BUDGET = 6;
/** The step at which the chooser stopped the run (-1: not yet), and why (RunControl StopReason). */
export const SC_STOP_STEP = 7;
export const SC_STOP_REASON = 8;
/** A stop asked for from outside the turn (main: the wall-clock cap, Ctrl-C): the chooser applies it at its next point. */
export const SC_WALL_STOP = 9;
/** Rolling hash of (participant, point kind) over every step up to the stop: the determinism check compares it. */
export const SC_HASH = 10;
/** Replay: the step at which the schedule could not be followed (-1: never), the participant it wanted, and a bit mask of the runnable ones. */
export const SC_DIVERGED_STEP = 11;
export const SC_DIVERGED_WANTED = 12;
export const SC_DIVERGED_RUNNABLE = 13;
/** The step at which no participant was runnable and not all were done (-1: never). */
export const SC_DEADLOCK_STEP = 14;
/** PCT: the next priority a yielder gets (goes down: below every other). */
export const SC_LOW_PRIORITY = 15;
/** PCT depth d (change points = d - 1). */
export const SC_DEPTH = 16;
/** Handovers (turn given to another participant), yields, time jumps (everyone asleep). */
export const SC_HANDOVERS = 17;
export const SC_YIELDS = 18;
export const SC_TIME_JUMPS = 19;
/** Replay: decisions the log holds (record: the log's capacity). */
export const SC_LOG_LENGTH = 20;
/**
 * Which rule: 0 = record; 1 = strict replay (a decision that cannot be followed diverges);
 * 2 = guided (--shrink: follow the log where the thread can run, else keep the previous thread,
 * else the first runnable; the log is overwritten with what ran, stops as in a recording).
 */
export const SC_REPLAYING = 21;
export const REPLAY_STRICT = 1;
export const REPLAY_GUIDED = 2;
/**
 * 3 = directed (replay --from-finding): a recording whose chooser runs the thread of the next
 * event of a given order (a real-thread finding's interleaving) when it can, else keeps the
 * previous thread, else the first runnable; an event is passed when its thread takes a step of
 * its kind, or skipped after DIRECT_SKIP_AFTER steps without it.
 */
export const REPLAY_DIRECTED = 3;
/** Directed: the next event of the order, the events in it, steps since the cursor last moved, events skipped. */
export const SC_DIRECT_CURSOR = 27;
export const SC_DIRECT_LENGTH = 28;
export const SC_DIRECT_STALL = 29;
export const SC_DIRECT_SKIPPED = 30;
export const DIRECT_SKIP_AFTER = 2000;
/** Decisions made (the next index in the log). */
export const SC_DECISIONS = 22;
/** PCT: restart every this many steps (0: never); the step the current epoch began at. */
export const SC_EPOCH = 23;
export const SC_EPOCH_START = 24;
/** Entries of the decision log and of the step log. */
export const SC_LOG_CAPACITY = 25;
/** The decision at which the chooser stopped the run (-1: not yet): --shrink's last pair to swap. */
export const SC_STOP_DECISION = 26;
/** Global slots: two cache lines. */
export const SC_GLOBAL_INTS = 32;

/** Participant states (P_STATE). */
export const PS_DONE = 0;
export const PS_RUNNABLE = 1;
/** Waits until mem(tag)[P_INDEX] !== P_EXPECTED (a futex wait: a lock, a vCPU's mode, a wake word). */
export const PS_BLOCKED = 2;
/** Sleeps until step P_DEADLINE (pacing). */
export const PS_SLEEPING = 3;
/** Planned but not yet arrived at its first turn. */
export const PS_NOT_STARTED = 4;

export const P_STATE = 0;
export const P_TAG = 1;
export const P_INDEX = 2;
export const P_EXPECTED = 3;
export const P_DEADLINE = 4;
export const P_PRIORITY = 5;
/** The participant's wait word: bumped and notified when the turn is given to it. */
export const P_WAKE = 6;
/** Steps it ran, times it blocked. */
export const P_STEPS = 7;
export const P_BLOCKS = 8;

export const MAX_CHANGE_POINTS = CACHE_LINE_INTS;
export const MAX_PARTICIPANTS = 255;

export interface SchedView {
  readonly mem: Int32Array;
  /** One byte per decision: the participant it chose. */
  readonly log: Uint8Array;
  /** One int per decision: the step taken just before it, (participant << 16) | kind; -1: none. */
  readonly stepLog: Int32Array;
  /** Directed: the order to follow, (participant << 16) | kind per event (empty otherwise). */
  readonly directed: Int32Array;
  readonly threads: number;
}

function intsFor(threads: number): number {
  return SC_GLOBAL_INTS + CACHE_LINE_INTS + threads * CACHE_LINE_INTS;
}

/** A fresh scheduler buffer for `threads` participants and a log of `logBytes` decisions. Cold path. */
export function createSchedBuffer(threads: number, logBytes: number, directedEvents = 0): SharedArrayBuffer {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_PARTICIPANTS) throw new RangeError(`createSchedBuffer: threads must be 1..${MAX_PARTICIPANTS}, got ${threads}`);
  const ints = intsFor(threads);
  const buffer = new SharedArrayBuffer(ints * 4 + stepLogOffset(logBytes) + logBytes * 4 + directedEvents * 4);
  const mem = new Int32Array(buffer, 0, ints);
  mem[SC_THREADS] = threads;
  mem[SC_LOG_CAPACITY] = logBytes;
  mem[SC_DIRECT_LENGTH] = directedEvents;
  new Int32Array(buffer, ints * 4 + stepLogOffset(logBytes), logBytes).fill(-1);
  mem[SC_TURN] = -1;
  mem[SC_STOP_STEP] = -1;
  mem[SC_STOP_DECISION] = -1;
  mem[SC_DIVERGED_STEP] = -1;
  mem[SC_DEADLOCK_STEP] = -1;
  return buffer;
}

export function schedView(buffer: SharedArrayBuffer): SchedView {
  const head = new Int32Array(buffer, 0, SC_GLOBAL_INTS);
  const threads = head[SC_THREADS]!;
  const ints = intsFor(threads);
  const capacity = head[SC_LOG_CAPACITY]!;
  const stepLogAt = ints * 4 + stepLogOffset(capacity);
  return {
    mem: new Int32Array(buffer, 0, ints),
    log: new Uint8Array(buffer, ints * 4, capacity),
    stepLog: new Int32Array(buffer, stepLogAt, capacity),
    directed: new Int32Array(buffer, stepLogAt + capacity * 4, head[SC_DIRECT_LENGTH]!),
    threads,
  };
}

/** Bytes from the decision log's start to the step log's (the decision log rounded up to an int). */
function stepLogOffset(logBytes: number): number {
  return (logBytes + 3) & ~3;
}

/** A step log (or directed order) entry: participant `who` took a step of point kind `kind`. */
export function stepLogEntry(who: number, kind: number): number {
  return (who << 16) | (kind & 0xffff);
}

/** A step log entry's parts. */
export function stepLogWho(entry: number): number {
  return entry >> 16;
}
export function stepLogKind(entry: number): number {
  return entry & 0xffff;
}

/** First slot of participant t's line. */
export function participantBase(t: number): number {
  return SC_GLOBAL_INTS + CACHE_LINE_INTS + t * CACHE_LINE_INTS;
}

/** Index of change point i (line 1). */
export function changePointSlot(i: number): number {
  return SC_GLOBAL_INTS + i;
}
