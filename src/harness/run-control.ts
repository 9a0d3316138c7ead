/**
 * Run control: the small shared buffer through which the main thread stops a run and watches every
 * thread (stop flag, start barrier, per-thread progress counter and "what am I doing" state).
 *
 * Layout (Int32 slots; line = 16 slots = 64 bytes, so one thread's counter never shares a cache
 * line with another thread's):
 *
 *   line 0        STOP_REASON | THREAD_COUNT | READY_COUNT | (padding)
 *   line 1 + i    thread i: PROGRESS | STATE | STATE_ARG | THREAD_ID | (padding)
 *
 * Guard of every slot: none (lock-free); each slot has one writer, or is only Atomics.add-ed, as
 * said where it is declared. Counters only go up, so a reader that sees a changed value knows
 * something happened, even across a missed wake-up.
 *
 * Hot-path functions below take (control view, slot index) and numbers, and allocate nothing.
 * The main-side `RunControl` class (cold path) owns the buffer, the stop listeners and SIGINT.
 */
import { CACHE_LINE_INTS, allocateSharedInts, int32View } from '../mem/shared-buffer.js';

/**
 * Why a run stopped (the value of STOP_REASON; 0 = keep running).
 * Guard: lock-free, first writer wins (compareExchange 0 -> reason) | Writers: main thread only |
 * Readers: every thread, once per loop iteration (`shouldStop`), and the start barrier.
 */
export const StopReason = {
  RUNNING: 0,
  /** The planned duration (or iteration count) ran out. */
  COMPLETED: 1,
  /** The user pressed Ctrl-C (first SIGINT). */
  INTERRUPTED: 2,
  /** A thread's task threw or the thread died: the tool failed. */
  THREAD_FAILED: 3,
  /** The watchdog saw a thread make no progress for too long. */
  STALLED: 4,
  /** The run's own oracle asked to stop (e.g. a finding with stop-on-first-finding). */
  FINDING: 5,
} as const;
export type StopReasonCode = (typeof StopReason)[keyof typeof StopReason];

const stopReasonNames: Record<number, string> = {
  0: 'running',
  1: 'completed',
  2: 'interrupted',
  3: 'thread-failed',
  4: 'stalled',
  5: 'finding',
};

/** The report name of a stop reason. */
export function stopReasonName(reason: number): string {
  return stopReasonNames[reason] ?? `reason#${reason}`;
}

/**
 * What a thread is doing right now (its STATE slot). Values below 32 are the harness's own;
 * a subsystem may define more from `ThreadState.FIRST_CUSTOM` up and pass their names to the
 * watchdog (`stateNames`). STATE_ARG says which lock/cache/vCPU the state is about.
 */
export const ThreadState = {
  NOT_STARTED: 0,
  STARTING: 1,
  AT_START_BARRIER: 2,
  RUNNING: 3,
  WAITING_READ_LOCK: 4,
  WAITING_READ_LOCK_IRQ: 5,
  WAITING_WRITE_LOCK: 6,
  WAITING_MUTEX: 7,
  WAITING_SPINLOCK: 8,
  /** Holding a lock (STATE_ARG says which), inside the critical section. */
  IN_CRITICAL_SECTION: 9,
  /** Between operations (a random gap, a delay). */
  IDLE_GAP: 10,
  STOPPING: 11,
  DONE: 12,
  FAILED: 13,
  /** Under a controlled schedule (src/sched/): runnable or blocked, waiting for the scheduler to give it the turn. */
  WAITING_TURN: 14,
  FIRST_CUSTOM: 32,
} as const;

const threadStateNames: Record<number, string> = {
  0: 'not started',
  1: 'starting',
  2: 'at start barrier',
  3: 'running',
  4: 'waiting for read lock',
  5: 'waiting for read lock (irq)',
  6: 'waiting for write lock',
  7: 'waiting for mutex',
  8: 'waiting for spinlock',
  9: 'in critical section',
  10: 'in gap between operations',
  11: 'stopping',
  12: 'done',
  13: 'failed',
  14: 'waiting for its turn (controlled schedule)',
};

/** The report name of a thread state; `extra` names a subsystem's custom states. */
export function threadStateName(state: number, extra?: Readonly<Record<number, string>>): string {
  return extra?.[state] ?? threadStateNames[state] ?? `state#${state}`;
}

/** True for the states a thread never leaves (its task returned or threw). */
export function isFinalThreadState(state: number): boolean {
  return state === ThreadState.DONE || state === ThreadState.FAILED;
}

// ---- line 0: global slots ------------------------------------------------------------------

/** See `StopReason`. */
export const RC_STOP_REASON = 0;
/** Guard: written once by `RunControl.create`, before any thread starts | Writers: main | Readers: start barrier. */
export const RC_THREAD_COUNT = 1;
/**
 * Threads that reached the start barrier (only goes up).
 * Guard: lock-free, Atomics.add | Writers: each thread once | Readers: threads at the barrier, main.
 */
export const RC_READY_COUNT = 2;

// ---- line 1 + i: per-thread slots (offsets from `threadSlotBase(i)`) ---------------------------

/**
 * Operations completed (heartbeat; only goes up; wraps at 2^32, so compare with !==, never <).
 * Guard: lock-free, single writer | Writers: thread i (`reportProgress`) | Readers: main (progress, watchdog).
 */
export const RC_PROGRESS = 0;
/** ThreadState. Guard: lock-free, single writer | Writers: thread i | Readers: main (watchdog dumps, reports). */
export const RC_STATE = 1;
/** Detail of STATE (lock index, cache index...). Guard/Writers/Readers: as RC_STATE. */
export const RC_STATE_ARG = 2;
/** Node threadId of the thread running task i. Guard: written once at task start | Writers: thread i | Readers: main (profile tid -> role). */
export const RC_THREAD_ID = 3;

/** First slot of thread i's line. */
export function threadSlotBase(threadIndex: number): number {
  return (threadIndex + 1) * CACHE_LINE_INTS;
}

/** Int32 slots a run-control buffer for `threadCount` threads needs. */
export function runControlInts(threadCount: number): number {
  return (threadCount + 1) * CACHE_LINE_INTS;
}

// ---- worker-side hot path (numbers in, nothing allocated) -------------------------------------

/** True once the main thread asked every thread to stop. One Atomics.load. */
export function shouldStop(control: Int32Array): boolean {
  return Atomics.load(control, RC_STOP_REASON) !== 0;
}

/** Publishes the thread's operation count (its own local counter; only goes up). */
export function reportProgress(control: Int32Array, slotBase: number, count: number): void {
  Atomics.store(control, slotBase + RC_PROGRESS, count);
}

/** Says what the thread is doing now (ThreadState) and about what (arg). */
export function setThreadState(control: Int32Array, slotBase: number, state: number, arg: number): void {
  Atomics.store(control, slotBase + RC_STATE, state);
  Atomics.store(control, slotBase + RC_STATE_ARG, arg);
}

/**
 * Start barrier: every thread calls it once, and all leave together, so the measured window starts
 * with every thread running (jcstress-style aligned start). Returns false if the run was stopped
 * or `timeoutMs` passed before all arrived (the caller then ends its task without running).
 * Waits in 50 ms slices so it notices a stop even without a notify.
 */
export function awaitStartBarrier(control: Int32Array, slotBase: number, timeoutMs: number): boolean {
  setThreadState(control, slotBase, ThreadState.AT_START_BARRIER, 0);
  const total = Atomics.load(control, RC_THREAD_COUNT);
  let arrived = Atomics.add(control, RC_READY_COUNT, 1) + 1;
  if (arrived >= total) {
    Atomics.notify(control, RC_READY_COUNT);
  }
  const deadline = performance.now() + timeoutMs;
  while (arrived < total) {
    if (shouldStop(control)) return false;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    Atomics.wait(control, RC_READY_COUNT, arrived, Math.min(50, left));
    arrived = Atomics.load(control, RC_READY_COUNT);
  }
  setThreadState(control, slotBase, ThreadState.RUNNING, 0);
  return !shouldStop(control);
}

/**
 * After `awaitStartBarrier` returned false: true if the thread gave up because not every thread
 * arrived within its timeout (a tool failure), false if the run was stopped first (the thread
 * arrived and counts as started; it just has nothing left to run).
 */
export function startBarrierTimedOut(control: Int32Array): boolean {
  return !shouldStop(control) && Atomics.load(control, RC_READY_COUNT) < Atomics.load(control, RC_THREAD_COUNT);
}

// ---- main side (cold path) --------------------------------------------------------------------

/** One thread's row, as the main thread sees it. */
export interface ThreadSnapshot {
  threadIndex: number;
  progress: number;
  state: number;
  stateArg: number;
  threadId: number;
}

type StopListener = (reason: StopReasonCode) => void;

/**
 * The main thread's handle on a run-control buffer. Pass `buffer` to the threads (the pool does it
 * in every task envelope).
 */
export class RunControl {
  readonly view: Int32Array;
  private readonly listeners: StopListener[] = [];

  private constructor(
    readonly buffer: SharedArrayBuffer,
    readonly threadCount: number,
  ) {
    this.view = int32View(buffer);
  }

  /** A fresh buffer for `threadCount` threads (1..1024). */
  static create(threadCount: number): RunControl {
    if (!Number.isInteger(threadCount) || threadCount < 1 || threadCount > 1024) {
      throw new RangeError(`RunControl.create: threadCount must be an integer from 1 to 1024, got ${threadCount}`);
    }
    const control = new RunControl(allocateSharedInts(runControlInts(threadCount)), threadCount);
    Atomics.store(control.view, RC_THREAD_COUNT, threadCount);
    return control;
  }

  /** 0 while running, else the StopReason of the first stop request. */
  get stopReason(): number {
    return Atomics.load(this.view, RC_STOP_REASON);
  }

  get stopped(): boolean {
    return this.stopReason !== StopReason.RUNNING;
  }

  /**
   * Asks every thread to stop. The first request wins (its reason is kept); returns true if this
   * call was the first. Wakes threads waiting at the start barrier and runs the stop listeners.
   */
  requestStop(reason: Exclude<StopReasonCode, 0>): boolean {
    // Under a controlled schedule the scheduler lands the stop on a step (src/sched/): forwarded.
    if (this.stopForwarder?.(reason) === true) return false;
    const first = Atomics.compareExchange(this.view, RC_STOP_REASON, 0, reason) === 0;
    if (first) Atomics.notify(this.view, RC_READY_COUNT);
    this.runStopListeners();
    return first;
  }

  /**
   * Where stop requests go instead of the stop word while it returns true: a controlled schedule's
   * scheduler, which stores the stop word itself at a step. Null: every request is applied at once.
   */
  stopForwarder: ((reason: Exclude<StopReasonCode, 0>) => boolean) | null = null;

  /** Runs the stop listeners once the stop word is set, whoever set it (a thread's scheduler, or requestStop). */
  pollStop(): void {
    if (this.stopped) this.runStopListeners();
  }

  private runStopListeners(): void {
    const reason = this.stopReason;
    if (reason === 0) return;
    for (const listener of this.listeners.splice(0)) listener(reason as StopReasonCode);
  }

  /** Calls `listener` once when the run is asked to stop (at once if it already was). */
  onStop(listener: StopListener): void {
    const reason = this.stopReason;
    if (reason !== 0) listener(reason as StopReasonCode);
    else this.listeners.push(listener);
  }

  /**
   * True once every thread has arrived at the start barrier: they all leave it together now, so
   * the measured window starts here (time a run from this, not from starting the pool).
   */
  startBarrierPassed(): boolean {
    return Atomics.load(this.view, RC_READY_COUNT) >= this.threadCount;
  }

  progress(threadIndex: number): number {
    return Atomics.load(this.view, threadSlotBase(threadIndex) + RC_PROGRESS) >>> 0;
  }

  state(threadIndex: number): number {
    return Atomics.load(this.view, threadSlotBase(threadIndex) + RC_STATE);
  }

  /** Sum of every thread's progress counter (as unsigned 32-bit each). */
  totalProgress(): number {
    let total = 0;
    for (let i = 0; i < this.threadCount; i++) total += this.progress(i);
    return total;
  }

  snapshot(threadIndex: number): ThreadSnapshot {
    const base = threadSlotBase(threadIndex);
    return {
      threadIndex,
      progress: Atomics.load(this.view, base + RC_PROGRESS) >>> 0,
      state: Atomics.load(this.view, base + RC_STATE),
      stateArg: Atomics.load(this.view, base + RC_STATE_ARG),
      threadId: Atomics.load(this.view, base + RC_THREAD_ID),
    };
  }

  snapshots(): ThreadSnapshot[] {
    const rows: ThreadSnapshot[] = [];
    for (let i = 0; i < this.threadCount; i++) rows.push(this.snapshot(i));
    return rows;
  }
}

/**
 * Ctrl-C handling for a run on the main thread: the first SIGINT asks the run to stop
 * (StopReason.INTERRUPTED), so the command finishes and prints a partial report; a second SIGINT
 * exits at once with 130 (process.exit ends the worker threads too). Returns the uninstaller;
 * call it when the run is over so the process can exit.
 */
export function installSigintStop(control: RunControl, notice?: (message: string) => void): () => void {
  let presses = 0;
  function onSigint(): void {
    presses++;
    if (presses === 1) {
      control.requestStop(StopReason.INTERRUPTED);
      notice?.('interrupted: stopping the run (Ctrl-C again to abort without a report)');
    } else {
      process.exit(130);
    }
  }
  process.on('SIGINT', onSigint);
  return function uninstallSigintStop() {
    process.off('SIGINT', onSigint);
  };
}
