/**
 * What every model thread (vcpu, notifier, evtchn, juggler) receives and returns, and the common
 * start of its task: load the run's protocol modules, open its model context, optionally turn
 * lockdep on, meet the others at the start barrier.
 */
import { LockdepError, lockdepEnable } from '../sync/lockdep.js';
import { awaitStartBarrier, setThreadState, startBarrierTimedOut, ThreadState } from '../harness/run-control.js';
import type { ModelWaitSink } from '../kvm/model-wait.js';
import { modelWaitThreadState } from './threads/thread-states.js';
import type { ThreadContext } from '../harness/thread-task.js';
import type { LatencySnapshot } from '../harness/histogram.js';
import { flushCounters, openModelContext, type ModelContext, type VmBuffers } from '../kvm/model-context.js';
import { useProtocolModules } from '../kvm/protocols/registry.js';
import { useStrategyModules } from '../kvm/strategies/registry.js';
import { attachChaos, attachGate, enterGate, leaveGate, schedGated } from '../sched/turn-gate.js';
import { schedView } from '../sched/sched-layout.js';
import { schedWords } from '../sched/sched-words.js';

export interface ModelThreadData {
  readonly buffers: VmBuffers;
  /** The thread's index in the model (vcpu v = v; notifier = n; evtchn = n+1; juggler = n+2). */
  readonly thread: number;
  /** Operations per second for rate-driven roles. */
  readonly rate: number;
  /** Invalidations in flight at once (notifier). */
  readonly inflight: number;
  readonly startTimeoutMs: number;
  /** Test hook: vcpu-0 throws after this many iterations (-1: never). */
  readonly crashAfter: number;
  /** Shared lockdep buffer, when lockdep is on. */
  readonly lockdep?: SharedArrayBuffer;
  /** The run's protocol modules (file URLs), loaded before the context opens, in the main thread's order. */
  readonly protocolModules?: readonly string[];
  /** The run's entry-strategy modules (file: URLs), loaded in this order before the context opens. */
  readonly strategyModules?: readonly string[];
  /** The run's schedule when it is not `os` (src/sched/): the turn gate's buffer, or chaos's seed and rate. */
  readonly sched?: ModelThreadSchedule;
}

export interface ModelThreadSchedule {
  /** random/pct/replay: the scheduler buffer (the thread joins the turn gate); absent for chaos. */
  readonly buffer?: SharedArrayBuffer;
  readonly seed: number;
  readonly chaosRate: number;
}

export interface ModelThreadResult {
  readonly started: boolean;
  readonly refreshLatencyUs: LatencySnapshot;
  readonly evictionLatencyUs: LatencySnapshot;
  /**
   * The LockdepError the thread's loop threw (recursion, unlock by a non-holder, ...), as text:
   * returned as data because an Error crossing threads is structured-cloned and loses its class
   * and name. The main thread counts it as a lock-sanity finding.
   */
  readonly lockdepError?: string;
}

/** A wait sink that shows the thread's model waits as its run-control state (for the watchdog's stall dump). */
export function threadStateWaitSink(control: Int32Array, slotBase: number): ModelWaitSink {
  return {
    begin: function reportModelWait(kind: number, arg: number): void {
      setThreadState(control, slotBase, modelWaitThreadState(kind), arg);
    },
    end: function reportModelWaitOver(): void {
      setThreadState(control, slotBase, ThreadState.RUNNING, 0);
    },
  };
}

/**
 * Loads the run's protocol modules, opens the context and waits at the start barrier; returns
 * null if the run ended before it started.
 */
export async function startModelThread(data: ModelThreadData, thread: ThreadContext): Promise<ModelContext | null> {
  await useProtocolModules(data.protocolModules ?? []);
  await useStrategyModules(data.strategyModules ?? []);
  const ctx = openModelContext(data.buffers, data.thread);
  ctx.waitSink = threadStateWaitSink(thread.control, thread.slotBase);
  if (data.lockdep) lockdepEnable(data.lockdep, data.thread, thread.name);
  const sched = data.sched;
  if (sched?.buffer) {
    attachGate({ sv: schedView(sched.buffer), words: schedWords(data.buffers), control: thread.control, rcSlotBase: thread.slotBase, findings: ctx.findings.mem, participant: data.thread });
  } else if (sched) {
    attachChaos(sched.seed, data.thread, sched.chaosRate);
  }
  if (!awaitStartBarrier(thread.control, thread.slotBase, data.startTimeoutMs)) {
    leaveGate(true);
    return null;
  }
  // Under the turn gate: the thread's first step waits for the scheduler's first decision.
  if (schedGated) enterGate();
  return ctx;
}

/**
 * Runs a model thread's loop, then leaves the schedule (src/sched/); a LockdepError it throws ends
 * the loop and is returned as text
 * (for `modelThreadResult`), any other error propagates (an internal error of the tool).
 */
export function runModelLoop(loop: () => void): string | undefined {
  try {
    loop();
    leaveGate(false);
    return undefined;
  } catch (error) {
    if (error instanceof LockdepError) {
      leaveGate(false);
      return `${error.name}: ${error.message}`;
    }
    // A crash never leaves the others parked at the turn gate: the schedule aborts, all wake.
    leaveGate(true);
    throw error;
  }
}

/**
 * True for a LockdepError that crossed a thread boundary as a thrown error: structured cloning
 * keeps the message and stack but not the class, so the name may read 'Error'.
 */
export function isLockdepFailure(error: Error): boolean {
  return error.name === 'LockdepError' || (error.stack ?? '').startsWith('LockdepError');
}

/**
 * The thread's result. `started` is false only when the thread timed out at the start barrier;
 * a thread that arrived but saw the run stopped first (e.g. a very short run with many threads)
 * started, with nothing to run.
 */
export function modelThreadResult(ctx: ModelContext | null, thread: ThreadContext, lockdepError?: string): ModelThreadResult {
  if (ctx) flushCounters(ctx);
  return {
    started: ctx !== null || !startBarrierTimedOut(thread.control),
    refreshLatencyUs: ctx ? ctx.refreshLatency.snapshot() : emptyLatency(),
    evictionLatencyUs: ctx ? ctx.evictionLatency.snapshot() : emptyLatency(),
    ...(lockdepError !== undefined ? { lockdepError } : {}),
  };
}

function emptyLatency(): LatencySnapshot {
  return { counts: new Float64Array(0), count: 0, sum: 0, min: 0, max: 0 };
}
