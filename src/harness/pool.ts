/**
 * Runs N long-lived tasks at once, one per thread, on a piscina pool, and never leaves a thread
 * running.
 *
 *   const control = RunControl.create(tasks.length);
 *   const run = await runThreads(tasks, { control });      // tasks: { role, name, data }[]
 *   run.threads[i].status  // 'done' (value) | 'failed' (error) | 'killed' (did not end in time)
 *
 * Life of a run:
 *  1. A pool of exactly N threads (minThreads = maxThreads = N, concurrentTasksPerWorker = 1,
 *     idleTimeout = Infinity), so every task gets its own thread at once and none queues behind
 *     a long-running one.
 *  2. Each task runs `workers/<role>.js` with a `ThreadTaskEnvelope` (thread-task.ts).
 *  3. Someone stops the run by `control.requestStop(reason)`: the caller (duration elapsed), the
 *     SIGINT handler, a watchdog, or this module when a task rejects (a thread crashed:
 *     StopReason.THREAD_FAILED) so the other threads end too.
 *  4. From the stop request, threads have `stopGraceMs` to end (or until `killSignal` aborts).
 *     Then the pool is destroyed: piscina
 *     terminates the workers, also those blocked in Atomics.wait (a lost wake-up), and their tasks
 *     are reported as 'killed'. When every task has settled the pool is destroyed at once.
 *  5. The result says, per thread, what it returned or threw, and counts the worker threads that
 *     were created and that exited (`threadsLeftRunning` is 0 unless Node failed to stop one).
 */
import { Piscina } from 'piscina';
import type { Worker } from 'node:worker_threads';
import { workerFile } from './worker-file.js';
import { profilerExecArgv } from './thread-roles.js';
import { RunControl, StopReason, stopReasonName } from './run-control.js';
import {
  type ThreadStartedMessage,
  type ThreadTaskEnvelope,
  isThreadStartedMessage,
} from './thread-task.js';

/** One task: which worker entry runs it, the thread's name, and its data. */
export interface ThreadTask<D> {
  /** `workers/<role>.worker.ts` (built to dist/workers/<role>.js). */
  readonly role: string;
  /** Name in reports and profiles; defaults to `<role>-<index>`. 1-64 of [A-Za-z0-9_.-]. */
  readonly name?: string;
  readonly data: D;
}

export interface RunThreadsOptions {
  /** Made for exactly `tasks.length` threads. */
  readonly control: RunControl;
  /** Time threads get to end after a stop request, before they are terminated (default 2000 ms). */
  readonly stopGraceMs?: number;
  /**
   * Node options for the workers (default: none). When this process itself runs with --cpu-prof
   * (`gpc-lab profile`), the profiler's flags are added (thread-roles.ts profilerExecArgv).
   */
  readonly execArgv?: readonly string[];
  readonly resourceLimits?: {
    maxOldGenerationSizeMb?: number;
    maxYoungGenerationSizeMb?: number;
    stackSizeMb?: number;
  };
  /**
   * Aborting it ends the run at once: threads still running are terminated and reported 'killed'
   * (e.g. a watchdog saw a stall and waiting out the grace period would only add time).
   */
  readonly killSignal?: AbortSignal;
  /** Called on the main thread when a thread starts its task (maps threadId -> name/role). */
  readonly onThreadStarted?: (info: ThreadStartedMessage) => void;
}

export type ThreadOutcome<R> =
  | { status: 'done'; threadIndex: number; role: string; name: string; threadId: number; value: R }
  | { status: 'failed'; threadIndex: number; role: string; name: string; threadId: number; error: Error }
  | { status: 'killed'; threadIndex: number; role: string; name: string; threadId: number };

export interface ThreadsRun<R> {
  readonly threads: ThreadOutcome<R>[];
  /** StopReason of the first stop request (COMPLETED if the tasks all ended by themselves). */
  readonly stopReason: number;
  readonly stopReasonName: string;
  /** Some task threw or its thread died. */
  readonly anyFailed: boolean;
  /** Tasks that did not end within stopGraceMs of the stop request and were terminated. */
  readonly killed: number;
  /** Worker threads piscina created (N, plus replacements of crashed ones). */
  readonly threadsCreated: number;
  /** Worker threads whose 'exit' event fired. */
  readonly threadsExited: number;
  /** threadsCreated - threadsExited after the pool was destroyed: 0 means no thread is left. */
  readonly threadsLeftRunning: number;
  /** Errors the pool itself reported (not tied to a task). */
  readonly poolErrors: Error[];
}

const DEFAULT_STOP_GRACE_MS = 2000;

/**
 * The workers' Node options: the caller's, plus the profiler's flags when this process runs under
 * `gpc-lab profile` (an explicit execArgv stops workers from inheriting --cpu-prof).
 */
function workerExecArgv(requested: readonly string[]): string[] {
  const flags = [...requested];
  for (const flag of profilerExecArgv()) if (!flags.includes(flag)) flags.push(flag);
  return flags;
}

/** Runs `tasks`, one per thread, until they all end or the run is stopped (see the file comment). */
export async function runThreads<D, R>(
  tasks: readonly ThreadTask<D>[],
  options: RunThreadsOptions,
): Promise<ThreadsRun<R>> {
  // Keeps the event loop alive for the whole run: while the pool is torn down after a kill, there
  // can be a moment with no handle at all, and a caller's top-level `await` would then end the
  // process (exit 13, unsettled top-level await) with its report lost.
  const keepAlive = setInterval(function keepEventLoopAlive() {}, 1000);
  try {
    return await runThreadsKeptAlive<D, R>(tasks, options);
  } finally {
    clearInterval(keepAlive);
  }
}

async function runThreadsKeptAlive<D, R>(
  tasks: readonly ThreadTask<D>[],
  options: RunThreadsOptions,
): Promise<ThreadsRun<R>> {
  const { control } = options;
  const n = tasks.length;
  if (n < 1) throw new RangeError('runThreads: at least one task is needed');
  if (control.threadCount !== n) {
    throw new RangeError(`runThreads: control is for ${control.threadCount} threads, got ${n} tasks`);
  }
  const stopGraceMs = options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
  // Resolve every entry file before starting a thread: a missing build fails fast, nothing runs.
  const filenames = tasks.map((task) => workerFile(task.role));
  const names = tasks.map((task, i) => task.name ?? `${task.role}-${i}`);

  const pool = new Piscina({
    minThreads: n,
    maxThreads: n,
    idleTimeout: Number.POSITIVE_INFINITY,
    concurrentTasksPerWorker: 1,
    // 'disabled': an idle pooled worker waits for its next task in its event loop, not in a
    // blocking Atomics.wait loop ('sync', the default). Our tasks are long-running and each thread
    // runs one task per run, so the 'sync' fast hand-off buys nothing; and a worker parked in
    // piscina's atomicsWaitLoop cannot run timers or inspector commands, and shows its idle time
    // as CPU self time in --cpu-prof profiles (blocked time looks like CPU time), which `profile`
    // would misread as lock contention. In its event loop, idle time shows as (idle).
    atomics: 'disabled',
    execArgv: workerExecArgv(options.execArgv ?? []),
    ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    // We destroy the pool ourselves; never let close() wait 30 s.
    closeTimeout: stopGraceMs,
  });

  const poolErrors: Error[] = [];
  let threadsCreated = 0;
  let threadsExited = 0;
  const watched = new Set<Worker>();
  function watchNewWorkers(): void {
    for (const worker of pool.threads) {
      if (watched.has(worker)) continue;
      watched.add(worker);
      threadsCreated++;
      worker.once('exit', function onPooledWorkerExit() {
        threadsExited++;
      });
    }
  }
  pool.on('workerCreate', watchNewWorkers);
  watchNewWorkers();
  pool.on('error', function onPoolError(error: unknown) {
    poolErrors.push(error instanceof Error ? error : new Error(String(error)));
    control.requestStop(StopReason.THREAD_FAILED);
  });
  pool.on('message', function onPoolMessage(message: unknown) {
    if (isThreadStartedMessage(message)) options.onThreadStarted?.(message);
  });

  const outcomes: (ThreadOutcome<R> | undefined)[] = new Array(n).fill(undefined);
  /** Set just before pool.destroy(): rejections from then on are our own terminations. */
  let destroying = false;
  let settled = 0;
  let allSettled!: () => void;
  const allSettledPromise = new Promise<void>((resolve) => {
    allSettled = resolve;
  });

  function settle(index: number, outcome: ThreadOutcome<R>): void {
    if (outcomes[index] !== undefined) return;
    outcomes[index] = outcome;
    settled++;
    if (settled === n) allSettled();
  }

  tasks.forEach((task, index) => {
    const envelope: ThreadTaskEnvelope<D> = {
      role: task.role,
      name: names[index]!,
      threadIndex: index,
      control: control.buffer,
      data: task.data,
    };
    const identity = { threadIndex: index, role: task.role, name: names[index]! };
    pool.run(envelope, { filename: filenames[index]! }).then(
      (value: R) => settle(index, { status: 'done', ...identity, threadId: control.snapshot(index).threadId, value }),
      (reason: unknown) => {
        if (destroying) return; // terminated by us: reported as 'killed' below
        const error = reason instanceof Error ? reason : new Error(String(reason));
        settle(index, { status: 'failed', ...identity, threadId: control.snapshot(index).threadId, error });
        control.requestStop(StopReason.THREAD_FAILED);
      },
    );
  });

  // After the first stop request, threads get stopGraceMs to end.
  let graceTimer: NodeJS.Timeout | undefined;
  let runFinished = false;
  const graceExpired = new Promise<void>((resolve) => {
    control.onStop(function startStopGrace() {
      // The COMPLETED stop recorded after the pool is gone must not start a timer that would
      // keep the process alive for stopGraceMs.
      if (runFinished) return;
      graceTimer = setTimeout(resolve, stopGraceMs);
    });
  });

  const killed = new Promise<void>((resolve) => {
    const signal = options.killSignal;
    if (!signal) return;
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

  await Promise.race([allSettledPromise, graceExpired, killed]);
  runFinished = true;
  if (graceTimer) clearTimeout(graceTimer);
  destroying = true;
  await pool.destroy();
  // pool.destroy() awaits every worker's exit; listeners attached above have run by now.

  // Tasks still pending were terminated by destroy().
  tasks.forEach((task, index) => {
    if (outcomes[index] === undefined) {
      settle(index, {
        status: 'killed',
        threadIndex: index,
        role: task.role,
        name: names[index]!,
        threadId: control.snapshot(index).threadId,
      });
    }
  });
  // A run whose tasks all ended by themselves is "completed"; record it (no-op if stopped before).
  control.requestStop(StopReason.COMPLETED);

  const threads = outcomes as ThreadOutcome<R>[];
  return {
    threads,
    stopReason: control.stopReason,
    stopReasonName: stopReasonName(control.stopReason),
    anyFailed: threads.some((t) => t.status === 'failed') || poolErrors.length > 0,
    killed: threads.filter((t) => t.status === 'killed').length,
    threadsCreated,
    threadsExited,
    threadsLeftRunning: threadsCreated - threadsExited,
    poolErrors,
  };
}
