/**
 * The scheduling points of one model thread (issue 10), and under a controlled schedule the turn
 * gate: one thread runs at a time, and the running thread hands the turn over itself (no scheduler
 * thread, no spinning before the wait: Coyote's design; ~3 µs per handover for 2 threads here,
 * concurrency-anchors.md). Each participant waits on its own wake word (P_WAKE) and is woken with
 * `Atomics.notify(..., 1)`.
 *
 * Where the points are (the hooks read `schedOn`, one module-level boolean, like lockdepEnabled):
 *   every trace step (traceStep), every lock acquire and release (src/sync), every guest step
 *   (the guest's accesses through the vCPU's mappings), a lock a thread cannot take (it blocks on
 *   the lock word and hands the turn over: never an Atomics.wait on a model lock word while holding
 *   the turn), a wait for a vCPU to leave guest mode, a pacing sleep (model time: steps), a retry
 *   loop's cond_resched (a yield: PCT lowers the yielder's priority, so spin loops end).
 * Under `chaos` the same points inject seeded random delays on real threads instead.
 *
 * This module's state is per thread (each worker is its own isolate); the main thread takes part
 * through main-participant.ts, never through these synchronous hooks (`schedOn` stays false there).
 */
import { RC_STATE, RC_STATE_ARG, ThreadState } from '../harness/run-control.js';
import { Random } from '../util/random.js';
import { abortSchedule, chooseNext, type ChooserEnv } from './sched-chooser.js';
import { maybeStartPctEpoch } from './pct-epoch.js';
import {
  PS_BLOCKED,
  PS_DONE,
  PS_SLEEPING,
  P_BLOCKS,
  P_DEADLINE,
  P_EXPECTED,
  P_INDEX,
  P_PRIORITY,
  P_STATE,
  P_STEPS,
  P_TAG,
  P_WAKE,
  SC_ABORT,
  SC_DEPTH,
  SC_HANDOVERS,
  SC_HASH,
  SC_KIND,
  SC_LOW_PRIORITY,
  SC_STEP,
  SC_TURN,
  SC_YIELDS,
  SC_DECISIONS,
  SC_REPLAYING,
  REPLAY_DIRECTED,
  SC_DIRECT_CURSOR,
  SC_DIRECT_STALL,
  SC_DIRECT_SKIPPED,
  DIRECT_SKIP_AFTER,
  SC_STOP_STEP,
  changePointSlot,
  participantBase,
  stepLogEntry,
  type SchedView,
} from './sched-layout.js';
import { SCHED_PCT, STEP_US } from './schedule-kinds.js';
import { wordIndex, wordTag, type SchedWords } from './sched-words.js';

/** Point kinds besides trace steps (trace step ids are below 1000): they feed the determinism hash. */
export const POINT_LOCK = 1000;
export const POINT_UNLOCK = 1001;
export const POINT_BLOCK = 1002;
export const POINT_SLEEP = 1003;
export const POINT_YIELD = 1004;
export const POINT_GUEST_STEP = 1005;
export const POINT_EXIT = 1006;
/** The test-only injected race's points (src/kvm/test-race.ts). */
export const POINT_TEST_RACE = 1007;

/** True while this thread's scheduling points do something (a chaos or controlled schedule). Read by every hook. */
export let schedOn = false;
/** True while this thread runs under the turn gate (random, pct, replay): locks then never spin. */
export let schedGated = false;

let env: ChooserEnv | null = null;
let me = -1;
let myBase = 0;
/** Run control and this thread's slot there (its state while it waits for the turn). */
let rcSlotBase = 0;
let chaosRng: Random | null = null;
let chaosThreshold = 0;
const chaosSleeper = new Int32Array(new SharedArrayBuffer(4));

export interface GateAttachment {
  readonly sv: SchedView;
  readonly words: SchedWords;
  readonly control: Int32Array;
  readonly rcSlotBase: number;
  readonly findings: Int32Array;
  /** This thread's participant index (its model thread index). */
  readonly participant: number;
}

/** Joins the turn gate (random/pct/replay); the thread then waits for its first turn (`enterGate`). Cold path. */
export function attachGate(a: GateAttachment): void {
  env = { sv: a.sv, words: a.words, control: a.control, findings: a.findings };
  me = a.participant;
  myBase = participantBase(me);
  rcSlotBase = a.rcSlotBase;
  schedGated = true;
  schedOn = true;
}

/** Turns chaos on for this thread: a delay at a point with probability `rate`, from (seed, thread)'s own stream. */
export function attachChaos(seed: number, participant: number, rate: number): void {
  chaosRng = new Random(seed >>> 0, 0x5c4ed + participant);
  chaosThreshold = Math.floor(Math.max(0, Math.min(1, rate)) * 4294967296);
  schedOn = true;
  schedGated = false;
}

/** Leaves the schedule (the thread's hooks do nothing from now on). Cold path. */
export function detachSchedule(): void {
  schedOn = false;
  schedGated = false;
  env = null;
  chaosRng = null;
  me = -1;
}

/** A chaos point: now and then a short sleep (the OS runs someone else) or a busy delay of up to ~50 µs. */
function chaosPoint(): void {
  const rng = chaosRng;
  if (rng === null || rng.nextUint32() >= chaosThreshold) return;
  const r = rng.nextUint32();
  if ((r & 1) === 0) Atomics.wait(chaosSleeper, 0, 0, 0.02 + (r >>> 1) % 50 / 1000);
  else {
    const until = performance.now() + ((r >>> 1) % 50) / 1000;
    while (performance.now() < until);
  }
}

/** Waits (sleeping on this thread's wake word) until it holds the turn or the schedule aborted. */
function waitForTurn(mem: Int32Array, control: Int32Array): void {
  const wake = myBase + P_WAKE;
  if (Atomics.load(mem, SC_TURN) === me) return;
  const state = Atomics.load(control, rcSlotBase + RC_STATE);
  const arg = Atomics.load(control, rcSlotBase + RC_STATE_ARG);
  Atomics.store(control, rcSlotBase + RC_STATE, ThreadState.WAITING_TURN);
  for (;;) {
    const w = Atomics.load(mem, wake);
    if (Atomics.load(mem, SC_TURN) === me || Atomics.load(mem, SC_ABORT) !== 0) break;
    Atomics.wait(mem, wake, w, 1000);
  }
  Atomics.store(control, rcSlotBase + RC_STATE, state);
  Atomics.store(control, rcSlotBase + RC_STATE_ARG, arg);
}

/** Gives the turn to `next` (which may be waiting on its wake word). */
export function handTurnTo(sv: SchedView, next: number): void {
  const mem = sv.mem;
  Atomics.store(mem, SC_TURN, next);
  if (next < 0) return;
  Atomics.add(mem, SC_HANDOVERS, 1);
  const wake = participantBase(next) + P_WAKE;
  Atomics.add(mem, wake, 1);
  Atomics.notify(mem, wake, 1);
}

/** Wakes every participant (after an abort: each then runs freely to its end). */
export function wakeEveryone(sv: SchedView): void {
  for (let t = 0; t < sv.threads; t++) {
    const wake = participantBase(t) + P_WAKE;
    Atomics.add(sv.mem, wake, 1);
    Atomics.notify(sv.mem, wake);
  }
}

/**
 * Counts one step by participant `who` of kind `kind` (the hash, its step count, PCT's change
 * points and yields) and returns the next participant (chooseNext). Shared by the workers' gate
 * and the main participant. Allocation-free.
 */
export function takeStep(e: ChooserEnv, who: number, kind: number, yielding: boolean): number {
  const mem = e.sv.mem;
  const step = Atomics.load(mem, SC_STEP) + 1;
  Atomics.store(mem, SC_STEP, step);
  // The hash covers the steps up to the stop: after it the threads only leave, in whatever order
  // their loops see the stop (a recording and its replay agree on everything before it).
  if (Atomics.load(mem, SC_STOP_STEP) < 0) Atomics.store(mem, SC_HASH, Math.imul(Atomics.load(mem, SC_HASH) ^ ((who << 16) ^ kind), 16777619));
  const base = participantBase(who);
  Atomics.add(mem, base + P_STEPS, 1);
  // The step log: this step precedes the decision about to be made (what --shrink names).
  const decision = Atomics.load(mem, SC_DECISIONS);
  const entry = stepLogEntry(who, kind);
  if (decision < e.sv.stepLog.length) e.sv.stepLog[decision] = entry;
  if (Atomics.load(mem, SC_REPLAYING) === REPLAY_DIRECTED) followDirected(e.sv, entry);
  if (Atomics.load(mem, SC_KIND) === SCHED_PCT) {
    maybeStartPctEpoch(e.sv, step);
    // A change point, and a yield, drop the running participant below every other: PCT gives
    // change point i priority d-1-i, below every initial one (d..d+n-1); with yields also
    // dropping participants (to make loops end) the one rule that keeps "a change point
    // preempts" is "below the lowest priority so far" (SC_LOW_PRIORITY counts down from 0).
    // A change point fires at the first step at or after it (a time jump may pass over it), once:
    // its slot is then negated (changePoints() reports the absolute values).
    let drop = yielding;
    const changes = Atomics.load(mem, SC_DEPTH) - 1;
    for (let i = 0; i < changes; i++) {
      const cp = Atomics.load(mem, changePointSlot(i));
      if (cp > 0 && step >= cp) {
        Atomics.store(mem, changePointSlot(i), -cp);
        drop = true;
      }
    }
    if (drop) Atomics.store(mem, base + P_PRIORITY, Atomics.sub(mem, SC_LOW_PRIORITY, 1) - 1);
  }
  if (yielding) Atomics.add(mem, SC_YIELDS, 1);
  const next = chooseNext(e);
  if (Atomics.load(mem, SC_ABORT) !== 0) wakeEveryone(e.sv);
  return next;
}

/** Directed: the step passes the order's next event if it is that event, or skips it after DIRECT_SKIP_AFTER steps without it. */
function followDirected(sv: SchedView, step: number): void {
  const mem = sv.mem;
  const cursor = Atomics.load(mem, SC_DIRECT_CURSOR);
  if (cursor >= sv.directed.length) return;
  if (sv.directed[cursor] === step) {
    Atomics.store(mem, SC_DIRECT_CURSOR, cursor + 1);
    Atomics.store(mem, SC_DIRECT_STALL, 0);
  } else if (Atomics.add(mem, SC_DIRECT_STALL, 1) + 1 >= DIRECT_SKIP_AFTER) {
    Atomics.store(mem, SC_DIRECT_CURSOR, cursor + 1);
    Atomics.store(mem, SC_DIRECT_STALL, 0);
    Atomics.add(mem, SC_DIRECT_SKIPPED, 1);
  }
}

/** One gated scheduling point: count it, choose, and if someone else runs next hand over and wait. */
function gatedPoint(kind: number, yielding: boolean): void {
  const e = env!;
  const mem = e.sv.mem;
  if (Atomics.load(mem, SC_ABORT) !== 0) return;
  const next = takeStep(e, me, kind, yielding);
  if (next === me || Atomics.load(mem, SC_ABORT) !== 0) return;
  handTurnTo(e.sv, next);
  waitForTurn(mem, e.control);
}

/** A scheduling point of kind `kind` (a trace step id or POINT_*). Hot path: callers test `schedOn` first. */
export function schedPoint(kind: number): void {
  if (schedGated) gatedPoint(kind, false);
  else chaosPoint();
}

/** cond_resched in a retry loop: under the gate a yield (PCT lowers this thread's priority); otherwise nothing here. */
export function schedYield(): void {
  if (schedGated) gatedPoint(POINT_YIELD, true);
  else chaosPoint();
}

/**
 * Under the gate: waits until mem[index] !== expected (a futex wait: the lock word, the wake
 * counter, the vCPU's mode) by handing the turn over. Returns at once if it already differs.
 * Callers re-check their condition after it returns, as after any futex wait. Only with schedGated.
 */
export function gateBlockOnWord(mem: Int32Array, index: number, expected: number): void {
  const e = env!;
  const smem = e.sv.mem;
  if (Atomics.load(smem, SC_ABORT) !== 0) {
    // The schedule is over: a real, bounded wait (the thread runs freely to its end).
    Atomics.wait(mem, index, expected, 20);
    return;
  }
  if (Atomics.load(mem, index) !== expected) return;
  markBlockedOnWord(e, myBase, mem, index, expected);
  gatedPoint(POINT_BLOCK, false);
}

/**
 * Participant `base` (the caller, holding the turn) waits until mem[index] !== expected: its
 * state and word, for the chooser. The worker's gate and the main participant both block this way.
 */
export function markBlockedOnWord(e: ChooserEnv, base: number, mem: Int32Array, index: number, expected: number): void {
  const smem = e.sv.mem;
  Atomics.store(smem, base + P_TAG, wordTag(e.words, mem));
  Atomics.store(smem, base + P_INDEX, wordIndex(mem, index));
  Atomics.store(smem, base + P_EXPECTED, expected);
  Atomics.store(smem, base + P_STATE, PS_BLOCKED);
  Atomics.add(smem, base + P_BLOCKS, 1);
}

/** Participant `base` (the caller, holding the turn) sleeps `ms` of model time (ms * 1000 / STEP_US steps, at least one). */
export function markSleepingMs(sv: SchedView, base: number, ms: number): void {
  const steps = Math.max(1, Math.ceil((ms * 1000) / STEP_US));
  Atomics.store(sv.mem, base + P_DEADLINE, Atomics.load(sv.mem, SC_STEP) + steps);
  Atomics.store(sv.mem, base + P_STATE, PS_SLEEPING);
}

/** Under the gate: sleeps `ms` of model time (ms * 1000 / STEP_US steps), letting others run. */
export function gateSleepMs(ms: number): void {
  const e = env!;
  const smem = e.sv.mem;
  if (Atomics.load(smem, SC_ABORT) !== 0) return;
  markSleepingMs(e.sv, myBase, ms);
  gatedPoint(POINT_SLEEP, false);
}

/** Model time in ms under the gate (steps * STEP_US); `performance.now()` otherwise. */
export function modelNowMs(): number {
  if (schedGated) return (Atomics.load(env!.sv.mem, SC_STEP) * STEP_US) / 1000;
  return performance.now();
}

/** The thread's first turn: waits until the scheduler (main's first decision) gives it the turn. */
export function enterGate(): void {
  const e = env!;
  waitForTurn(e.sv.mem, e.control);
}

/**
 * The thread is done (its loop ended): marks it so, and hands the turn to the next participant,
 * or, if it crashed (`failed`), aborts the schedule so no thread stays parked. Then leaves.
 */
export function leaveGate(failed: boolean): void {
  const e = env;
  if (e === null) return;
  const mem = e.sv.mem;
  if (failed) {
    abortSchedule(e.sv);
    wakeEveryone(e.sv);
  } else if (Atomics.load(mem, SC_ABORT) === 0) {
    Atomics.store(mem, myBase + P_STATE, PS_DONE);
    const next = takeStep(e, me, POINT_EXIT, false);
    if (Atomics.load(mem, SC_ABORT) === 0) handTurnTo(e.sv, next);
  }
  detachSchedule();
}
