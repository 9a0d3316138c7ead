/**
 * Stall detection on the main thread. Every `pollMs` it reads each thread's progress counter in
 * the run-control buffer; a thread whose counter has not changed for `stallMs` (and that has not
 * finished) is stalled. On the first stall it calls `onStall` once with every thread's state and
 * the caller's own dump (lock words, waiters, vCPU modes...), then stops watching.
 *
 * A stall is reported, never acted on here: the caller decides (a torture requests
 * StopReason.STALLED, which also makes the pool terminate threads that do not end).
 *
 * Threads still at the start barrier (or not started) are not judged: thread start-up on a loaded
 * machine can take long, and the start barrier has its own bound.
 */
import {
  RunControl,
  ThreadState,
  isFinalThreadState,
  threadStateName,
  type ThreadSnapshot,
} from './run-control.js';

export interface WatchdogOptions {
  readonly control: RunControl;
  /** No progress for this long is a stall. */
  readonly stallMs: number;
  /** How often to look (default: stallMs / 10, between 20 ms and 500 ms). */
  readonly pollMs?: number;
  /** Thread names by index, for the report (default `thread-<i>`). */
  readonly threadNames?: readonly string[];
  /** Names of custom ThreadState values (from ThreadState.FIRST_CUSTOM up). */
  readonly stateNames?: Readonly<Record<number, string>>;
  /** Extra lines describing shared state at the moment of the stall (lock words...). Cold path. */
  readonly dumpState?: () => string[];
  readonly onStall: (report: StallReport) => void;
}

export interface StalledThreadRow extends ThreadSnapshot {
  name: string;
  stateName: string;
  /** Time since this thread's progress counter last changed. */
  msWithoutProgress: number;
  stalled: boolean;
}

export interface StallReport {
  /** Time since the watchdog started. */
  readonly atMs: number;
  readonly stallMs: number;
  /** Every thread, stalled or not. */
  readonly threads: StalledThreadRow[];
  /** Names of the stalled threads. */
  readonly stalled: string[];
  /** The caller's dump. */
  readonly state: string[];
}

export interface WatchdogHandle {
  stop(): void;
  /** The report, once a stall was seen. */
  readonly report: StallReport | undefined;
}

function isJudged(state: number): boolean {
  return !(
    isFinalThreadState(state) ||
    state === ThreadState.NOT_STARTED ||
    state === ThreadState.STARTING ||
    state === ThreadState.AT_START_BARRIER ||
    // Under a controlled schedule only the turn holder can make progress; the scheduler itself
    // reports a deadlock exactly (src/sched/sched-chooser.ts).
    state === ThreadState.WAITING_TURN
  );
}

/** Starts watching; call `stop()` when the run ends. */
export function startWatchdog(options: WatchdogOptions): WatchdogHandle {
  const { control, stallMs } = options;
  if (!(stallMs > 0)) throw new RangeError(`startWatchdog: stallMs must be > 0, got ${stallMs}`);
  const n = control.threadCount;
  const pollMs = options.pollMs ?? Math.min(500, Math.max(20, Math.floor(stallMs / 10)));
  const startedAt = performance.now();
  const lastProgress = new Float64Array(n).fill(-1);
  const lastChangeAt = new Float64Array(n).fill(startedAt);
  let report: StallReport | undefined;
  let stopped = false;

  function nameOf(i: number): string {
    return options.threadNames?.[i] ?? `thread-${i}`;
  }

  const timer = setInterval(function watchdogPoll() {
    const now = performance.now();
    let anyStalled = false;
    for (let i = 0; i < n; i++) {
      const progress = control.progress(i);
      const state = control.state(i);
      if (progress !== lastProgress[i] || !isJudged(state)) {
        lastProgress[i] = progress;
        lastChangeAt[i] = now;
      } else if (now - lastChangeAt[i]! >= stallMs) {
        anyStalled = true;
      }
    }
    if (!anyStalled) return;
    const threads: StalledThreadRow[] = control.snapshots().map((row) => {
      const msWithoutProgress = Math.round(now - lastChangeAt[row.threadIndex]!);
      return {
        ...row,
        name: nameOf(row.threadIndex),
        stateName: threadStateName(row.state, options.stateNames),
        msWithoutProgress,
        stalled: isJudged(row.state) && msWithoutProgress >= stallMs,
      };
    });
    let state: string[];
    try {
      state = options.dumpState?.() ?? [];
    } catch (error) {
      state = [`(state dump failed: ${error instanceof Error ? error.message : String(error)})`];
    }
    report = {
      atMs: Math.round(now - startedAt),
      stallMs,
      threads,
      stalled: threads.filter((t) => t.stalled).map((t) => t.name),
      state,
    };
    handle.stop();
    options.onStall(report);
  }, pollMs);

  const handle: WatchdogHandle = {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
    },
    get report() {
      return report;
    },
  };
  return handle;
}

/** The stall as report lines (one per thread, then the caller's dump). */
export function formatStallReport(report: StallReport): string[] {
  const lines = [
    `stall: ${report.stalled.join(', ')} made no progress for ${report.stallMs} ms (seen at ${report.atMs} ms)`,
    'threads:',
  ];
  for (const t of report.threads) {
    lines.push(
      `  ${t.stalled ? '!' : ' '} ${t.name.padEnd(14)} ${t.stateName}${t.stateArg ? ` (${t.stateArg})` : ''}, ` +
        `${t.progress} ops, last progress ${t.msWithoutProgress} ms ago, tid ${t.threadId}`,
    );
  }
  if (report.state.length > 0) {
    lines.push('state:');
    for (const line of report.state) lines.push(`  ${line}`);
  }
  return lines;
}
