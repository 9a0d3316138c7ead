/**
 * A timed job on threads, the part every long run (`gpc-lab stress`, `gpc-lab torture`) does the
 * same way:
 *
 *   const job = await runTimedJob(tasks, { control, label, durationMs, stallMs, ... });
 *   job.run        // the pool's ThreadsRun: per-thread outcomes, stop reason, threadsLeftRunning
 *   job.elapsedMs  // the measured window: from the start barrier to the first stop request
 *   job.stall      // the watchdog's report, or null
 *
 * Life of a job:
 *  1. The watchdog, the Ctrl-C handler (`handleSigint`) and the `stopSignal` listener are set up,
 *     then one thread per task starts on the pool (pool.ts).
 *  2. When every thread has passed the start barrier (`control.startBarrierPassed()`, polled
 *     every 5 ms) the window starts: `onWindowStart()`, the progress display and the duration
 *     timer, so thread start-up (~0.5-1 s on a busy machine) is not counted in the duration.
 *  3. The first stop request ends the window, whoever makes it: the duration (COMPLETED), Ctrl-C or
 *     `stopSignal` (INTERRUPTED: the caller prints a partial report), a crashed thread
 *     (THREAD_FAILED), the watchdog (STALLED), the caller's own oracle (e.g. FINDING, through
 *     `control.requestStop`).
 *  4. A stall: `onStall(report)` (the caller records it), a notice line, a STALLED stop, and 500 ms
 *     later the threads still running are terminated (pool killSignal). Threads that ignore any
 *     other stop are terminated `stallMs + 1 s` after it, by which time the watchdog has named them.
 *  5. Every timer, the watchdog, the progress display and the Ctrl-C handler are removed, also when
 *     the pool throws.
 *
 * Bounded time: a job ends within duration + stallMs + ~1.5 s whatever its threads do.
 * Cold path: runs on the main thread, once per job.
 */
import { runThreads, type RunThreadsOptions, type ThreadTask, type ThreadsRun } from './pool.js';
import { startProgress, type ProgressHandle, type ProgressMode } from './progress.js';
import { RunControl, StopReason, installSigintStop } from './run-control.js';
import { startWatchdog, type StallReport } from './watchdog.js';

export interface TimedJobOptions {
  /** Made for exactly `tasks.length` threads. */
  readonly control: RunControl;
  /** The measured window's planned length, timed from the start barrier. */
  readonly durationMs: number;
  /** A thread without progress for this long is a stall (the watchdog's bound). */
  readonly stallMs: number;
  /** Thread names by index, for the stall report. */
  readonly threadNames: readonly string[];
  /** Names of the job's custom ThreadState values, for the stall report. */
  readonly stateNames?: Readonly<Record<number, string>>;
  /** The job's shared state at a stall (lock words, vCPU modes...). */
  readonly dumpState: () => string[];
  /** Called once at a stall, before the notice and the STALLED stop (e.g. to record a finding). */
  readonly onStall?: (report: StallReport) => void;
  /** Progress display and its text (progress.ts); shown from the start barrier on. */
  readonly progress: ProgressMode;
  readonly progressLabel: string;
  readonly progressSample: () => string;
  /** Where the stall and Ctrl-C notices go. */
  readonly notice: (line: string) => void;
  /** Install the Ctrl-C handler (first press: INTERRUPTED stop and partial report; second: exit 130). */
  readonly handleSigint?: boolean;
  /** Aborting it stops the job as Ctrl-C does (StopReason.INTERRUPTED). */
  readonly stopSignal?: AbortSignal;
  /** Called once when every thread has passed the start barrier, before the duration timer starts. */
  readonly onWindowStart?: () => void;
  /** Node options and resource limits of the worker threads (pool.ts). */
  readonly execArgv?: readonly string[];
  readonly resourceLimits?: RunThreadsOptions['resourceLimits'];
}

export interface TimedJob<R> {
  readonly run: ThreadsRun<R>;
  /** performance.now() when every thread had passed the start barrier; 0 if they never did. */
  readonly windowStartedAt: number;
  /** From the start barrier to the first stop request, in ms (0 if the window never started). */
  readonly elapsedMs: number;
  /** The watchdog's report if a thread stalled, else null. */
  readonly stall: StallReport | null;
}

/** Time the pool gives threads to end after a stop, beyond the stall bound. */
const STOP_GRACE_BEYOND_STALL_MS = 1000;
/** After a stall, how long threads get before they are terminated. */
const KILL_AFTER_STALL_MS = 500;
/** How often the main thread looks whether every thread has passed the start barrier. */
const START_BARRIER_POLL_MS = 5;

/** Runs `tasks`, one per thread, for `durationMs` from the start barrier (see the file comment). */
export async function runTimedJob<D, R>(tasks: readonly ThreadTask<D>[], options: TimedJobOptions): Promise<TimedJob<R>> {
  const { control } = options;

  // The measured window starts when every thread has passed the start barrier.
  let windowStartedAt = 0;
  let windowEndedAt = 0;
  let durationTimer: NodeJS.Timeout | undefined;
  let progress: ProgressHandle | undefined;
  const readyPoll = setInterval(function waitForStartBarrier() {
    if (!control.startBarrierPassed()) return;
    clearInterval(readyPoll);
    windowStartedAt = performance.now();
    options.onWindowStart?.();
    progress = startProgress({
      mode: options.progress,
      label: options.progressLabel,
      totalMs: options.durationMs,
      sample: options.progressSample,
    });
    durationTimer = setTimeout(function durationElapsed() {
      control.requestStop(StopReason.COMPLETED);
    }, options.durationMs);
  }, START_BARRIER_POLL_MS);
  control.onStop(function markWindowEnd() {
    windowEndedAt = performance.now();
    clearInterval(readyPoll);
    if (durationTimer) clearTimeout(durationTimer);
  });

  /** A stall or Ctrl-C notice: the progress display ends first (a bar's line is finished), so no redraw overwrites the notice. */
  function noticeAfterProgress(line: string): void {
    progress?.stop();
    options.notice(line);
  }

  const kill = new AbortController();
  let killTimer: NodeJS.Timeout | undefined;
  let stall: StallReport | null = null;
  const watchdog = startWatchdog({
    control,
    stallMs: options.stallMs,
    threadNames: options.threadNames,
    ...(options.stateNames ? { stateNames: options.stateNames } : {}),
    dumpState: options.dumpState,
    onStall(report) {
      stall = report;
      options.onStall?.(report);
      noticeAfterProgress(`stall: ${report.stalled.join(', ')} made no progress for ${report.stallMs} ms; stopping`);
      control.requestStop(StopReason.STALLED);
      killTimer = setTimeout(function killStalledThreads() {
        kill.abort();
      }, KILL_AFTER_STALL_MS);
    },
  });
  const uninstallSigint = options.handleSigint ? installSigintStop(control, noticeAfterProgress) : undefined;
  const stopSignal = options.stopSignal;
  function stopOnSignal(): void {
    control.requestStop(StopReason.INTERRUPTED);
  }
  if (stopSignal?.aborted) stopOnSignal();
  else stopSignal?.addEventListener('abort', stopOnSignal, { once: true });

  let run: ThreadsRun<R>;
  try {
    run = await runThreads<D, R>(tasks, {
      control,
      stopGraceMs: options.stallMs + STOP_GRACE_BEYOND_STALL_MS,
      killSignal: kill.signal,
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
      ...(options.execArgv ? { execArgv: options.execArgv } : {}),
    });
  } finally {
    stopSignal?.removeEventListener('abort', stopOnSignal);
    clearInterval(readyPoll);
    if (durationTimer) clearTimeout(durationTimer);
    if (killTimer) clearTimeout(killTimer);
    watchdog.stop();
    progress?.stop();
    uninstallSigint?.();
  }
  // runThreads records a COMPLETED stop before it returns if nobody stopped the run earlier, so
  // markWindowEnd has run: windowEndedAt is set.
  const elapsedMs = windowStartedAt > 0 ? Math.max(0, (windowEndedAt || performance.now()) - windowStartedAt) : 0;
  return { run, windowStartedAt, elapsedMs, stall };
}
