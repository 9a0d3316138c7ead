/**
 * `gpc-lab stress` on the main thread: build the VM, start one thread per vCPU plus the notifier,
 * the evtchn sender and the juggler, run the control plane (memslot updates) here, watch for
 * stalls and livelocks, stop after the duration (timed from the start barrier), run the
 * end-of-run oracles, and build the report.
 *
 * Bounded time: a run ends within duration + stall timeout + ~2 s even if threads hang. A crashed
 * thread stops the run (the pool terminates the rest); Ctrl-C stops it with a partial report.
 */
import { createLockdepBuffer, readLockdepFindings } from '../sync/lockdep.js';
import { describeEnvironment } from '../harness/environment.js';
import { summarizeLatency, type LatencySnapshot } from '../harness/histogram.js';
import { runThreads, type ThreadTask } from '../harness/pool.js';
import { startProgress, type ProgressHandle, type ProgressMode } from '../harness/progress.js';
import { RC_READY_COUNT, RunControl, StopReason, installSigintStop } from '../harness/run-control.js';
import { formatStallReport, startWatchdog, type StallReport } from '../harness/watchdog.js';
import { G_CURRENT_RETRIES, gpcBase } from '../kvm/gpc-layout.js';
import { finding, flushCounters } from '../kvm/model-context.js';
import { MODEL_THREAD_STATE_NAMES } from '../kvm/thread-states.js';
import { INVAL_TARGET_NAMES, RETRY_MODE_NAMES, STRATEGY_NAMES, WORKLOAD_XEN } from '../kvm/vm-layout.js';
import { PROP_LIVELOCK } from '../oracle/properties/livelock.js';
import { END_LOCKDEP, PROP_LOCK_SANITY } from '../oracle/properties/lock-sanity.js';
import { PROP_STALL } from '../oracle/properties/stall.js';
import { FINDINGS_TOTAL, totalFindings } from '../trace/findings.js';
import { ST_PROP_CHECKS, ST_VMENTRIES, readStat } from '../kvm/thread-stats.js';
import { buildVm } from './build-vm.js';
import { ControlPlane } from './control-plane.js';
import { runEndOfRunOracles, type EndOfRunTotals } from './end-of-run.js';
import { isLockdepFailure, type ModelThreadData, type ModelThreadResult } from './model-thread.js';
import { buildStressReport } from './build-report.js';
import { dumpVmState } from './state-dump.js';
import { workloadMask, type StressConfig } from './stress-config.js';
import type { StressReport } from './stress-report.js';

/** Atomics.waitAsync (Node 16+; not in the ES2022 lib typings). */
type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const atomicsWaitAsync = (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number, t: number) => WaitAsyncResult }).waitAsync;

export interface StressRunOptions {
  /** Progress display (default: 'silent' with config.json, else 'auto'). */
  readonly progress?: ProgressMode;
  /** Where notices go (SIGINT, stall); default stderr unless json. */
  readonly notice?: (line: string) => void;
  /** Install the Ctrl-C handler (the CLI does; library callers usually do not). */
  readonly handleSigint?: boolean;
  /** Bound on thread start-up (default 60 s). */
  readonly startTimeoutMs?: number;
  /** Node options for the worker threads (e.g. --cpu-prof). */
  readonly execArgv?: readonly string[];
  /** Aborting it stops the run as Ctrl-C does (a partial report, stop reason 'interrupted'). */
  readonly stopSignal?: AbortSignal;
}

/** A planned thread: its role, name and model thread index. */
export interface PlannedModelThread {
  role: string;
  name: string;
  thread: number;
  rate: number;
}

function planThreads(config: StressConfig, layout: { vcpus: number; threadNotifier: number; threadEvtchn: number; threadJuggler: number }): PlannedModelThread[] {
  const plan: PlannedModelThread[] = [];
  for (let v = 0; v < config.vcpus; v++) plan.push({ role: 'vcpu', name: `vcpu-${v}`, thread: v, rate: 0 });
  plan.push({ role: 'notifier', name: 'notifier', thread: layout.threadNotifier, rate: config.invalRate });
  if (config.workload.includes('xen')) {
    plan.push({ role: 'evtchn', name: 'evtchn', thread: layout.threadEvtchn, rate: config.eventRate });
    plan.push({ role: 'juggler', name: 'juggler', thread: layout.threadJuggler, rate: config.juggleRate });
  }
  return plan;
}

/** Runs one stress and returns its report (never throws for findings, stalls or crashed threads). */
export async function runStress(config: StressConfig, options: StressRunOptions = {}): Promise<StressReport> {
  // Keeps the event loop alive for the whole run, including after runThreads returns (which has
  // its own keep-alive): abandoning the control plane may wait on Atomics.waitAsync, which holds
  // no handle, and a bare `await runStress(...)` script would then exit 13 (unsettled top-level
  // await) with the report lost.
  const keepAlive = setInterval(function keepEventLoopAlive() {}, 1000);
  try {
    return await runStressKeptAlive(config, options);
  } finally {
    clearInterval(keepAlive);
  }
}

async function runStressKeptAlive(config: StressConfig, options: StressRunOptions): Promise<StressReport> {
  const environment = describeEnvironment();
  const notice = options.notice ?? (config.json ? () => {} : (line: string) => void process.stderr.write(`${line}\n`));
  const workload = workloadMask(config.workload);
  const built = buildVm({
    vcpus: config.vcpus,
    pageSize: config.pageSize,
    strategy: STRATEGY_NAMES.indexOf(config.strategy),
    bugMask: config.bugMask,
    seed: config.seed,
    oracles: config.oracles,
    traceDepth: config.traceDepth,
    workload,
    guestSteps: config.guestSteps,
    eventPermille: (workload & WORKLOAD_XEN) !== 0 ? 50 : 0,
    stealPermille: 50,
    postPermille: 100,
    retryMode: RETRY_MODE_NAMES.indexOf(config.retry),
    invalTargets: INVAL_TARGET_NAMES.indexOf(config.invalidate),
  });
  const { main, layout } = built;
  const plan = planThreads(config, layout);
  const control = RunControl.create(plan.length);
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const lockdep = config.lockdep ? createLockdepBuffer() : undefined;
  const tasks: ThreadTask<ModelThreadData>[] = plan.map((p) => ({
    role: p.role,
    name: p.name,
    data: {
      buffers: built.buffers,
      thread: p.thread,
      rate: p.rate,
      inflight: config.inflight,
      startTimeoutMs,
      crashAfter: p.thread === 0 && p.role === 'vcpu' ? config.crashAfter : -1,
      ...(lockdep ? { lockdep } : {}),
    },
  }));

  const controlPlane = new ControlPlane(main, config.memslotRate);
  let windowStartedAt = 0;
  let windowEndedAt = 0;
  let durationTimer: NodeJS.Timeout | undefined;
  const readyPoll = setInterval(function waitForStartBarrier() {
    if (Atomics.load(control.view, RC_READY_COUNT) < plan.length) return;
    clearInterval(readyPoll);
    windowStartedAt = performance.now();
    controlPlane.start();
    startRunProgress();
    durationTimer = setTimeout(() => control.requestStop(StopReason.COMPLETED), config.durationS * 1000);
  }, 5);
  // Time to first finding: the first finder notifies FINDINGS_TOTAL; measured from the start
  // barrier (thread start-up, ~0.5-1 s, is not counted). --stop-on-finding stops the run there.
  let firstFindingAt = 0;
  function onFirstFinding(): void {
    if (firstFindingAt !== 0 || totalFindings(main.findings) === 0 || control.stopped) return;
    firstFindingAt = performance.now();
    if (config.stopOnFinding) control.requestStop(StopReason.FINDING);
  }
  const firstFindingWait = atomicsWaitAsync(main.findings.mem, FINDINGS_TOTAL, 0, Infinity);
  if (firstFindingWait.async) void firstFindingWait.value.then(onFirstFinding);
  else onFirstFinding();
  control.onStop(function markWindowEnd() {
    windowEndedAt = performance.now();
    clearInterval(readyPoll);
    if (durationTimer) clearTimeout(durationTimer);
    controlPlane.stop();
  });

  // Livelock watch and peak memory, sampled on the main thread.
  // A refresh is livelocked when it keeps retrying (its retry count only grows) for longer than
  // the livelock timeout; the count drops to 0 when a refresh completes.
  let peakRss = process.memoryUsage.rss();
  // RSS once a second from the start barrier, to show it stays flat over long runs.
  const rssSamplesMiB: number[] = [];
  let lastRssSampleAt = 0;
  const livelocked = new Set<number>();
  const retrySeen = new Int32Array(layout.gpcs);
  const retryingSince = new Float64Array(layout.gpcs);
  const monitor = setInterval(function monitorRun() {
    const rss = process.memoryUsage.rss();
    peakRss = Math.max(peakRss, rss);
    const now = performance.now();
    if (windowStartedAt > 0 && !control.stopped && now - lastRssSampleAt >= 1000) {
      lastRssSampleAt = now;
      rssSamplesMiB.push(Math.round(rss / 1048576));
    }
    if (!config.oracles) return;
    // Each poll observes every thread's progress (the watchdog judges it) and every refresh.
    main.counters[ST_PROP_CHECKS + PROP_STALL]! += plan.length;
    main.counters[ST_PROP_CHECKS + PROP_LIVELOCK]! += layout.gpcs;
    for (let g = 0; g < layout.gpcs; g++) {
      const retries = Atomics.load(main.gpcs, gpcBase(g) + G_CURRENT_RETRIES);
      if (retries === 0 || retries < retrySeen[g]!) retryingSince[g] = now;
      retrySeen[g] = retries;
      if (retries > 0 && now - retryingSince[g]! > config.livelockTimeoutS * 1000 && !livelocked.has(g)) {
        livelocked.add(g);
        finding(main, PROP_LIVELOCK, g, -1, -1, retries, Math.round(now - retryingSince[g]!), 0);
      }
    }
  }, 100);

  const kill = new AbortController();
  let killTimer: NodeJS.Timeout | undefined;
  let stall: StallReport | null = null;
  const watchdog = startWatchdog({
    control,
    stallMs: config.stallTimeoutS * 1000,
    threadNames: plan.map((p) => p.name),
    stateNames: MODEL_THREAD_STATE_NAMES,
    dumpState: () => dumpVmState(main, 6),
    onStall(report) {
      stall = report;
      finding(main, PROP_STALL, -1, -1, -1, report.stalled.length, report.stallMs, 0);
      notice(`stall: ${report.stalled.join(', ')} made no progress for ${report.stallMs} ms; stopping`);
      control.requestStop(StopReason.STALLED);
      killTimer = setTimeout(() => kill.abort(), 500);
    },
  });
  let progress: ProgressHandle | undefined;
  function startRunProgress(): void {
    progress = startProgress({
      mode: options.progress ?? (config.json ? 'silent' : 'auto'),
      label: `stress ${config.strategy} ${config.vcpus} vCPUs`,
      totalMs: config.durationS * 1000,
      sample: () => {
        let entries = 0;
        for (let v = 0; v < config.vcpus; v++) entries += readStat(main.statsShared, v, ST_VMENTRIES);
        return `${entries} vmentries, ${totalFindings(main.findings)} findings`;
      },
    });
  }
  const uninstallSigint = options.handleSigint ? installSigintStop(control, notice) : undefined;
  function stopOnSignal(): void {
    control.requestStop(StopReason.INTERRUPTED);
  }
  if (options.stopSignal?.aborted) stopOnSignal();
  else options.stopSignal?.addEventListener('abort', stopOnSignal, { once: true });

  let run;
  try {
    run = await runThreads<ModelThreadData, ModelThreadResult>(tasks, {
      control,
      stopGraceMs: config.stallTimeoutS * 1000 + 1000,
      killSignal: kill.signal,
      // The model threads allocate nothing in their loops: a small young generation keeps 64+
      // isolates' resident memory down (each worker is a V8 isolate of its own).
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 256 },
      ...(options.execArgv ? { execArgv: options.execArgv } : {}),
    });
  } finally {
    options.stopSignal?.removeEventListener('abort', stopOnSignal);
    clearInterval(readyPoll);
    clearInterval(monitor);
    if (durationTimer) clearTimeout(durationTimer);
    if (killTimer) clearTimeout(killTimer);
    watchdog.stop();
    progress?.stop();
    uninstallSigint?.();
    // Releases the first-finding waiter if nothing was found.
    Atomics.notify(main.findings.mem, FINDINGS_TOTAL);
  }
  await controlPlane.abandon();
  peakRss = Math.max(peakRss, process.memoryUsage.rss());

  // lockdep-lite: order inversions it recorded, and LockdepErrors threads threw (recursion,
  // unlock of a lock not held, a mutex under a spinlock) are lock findings, not tool failures.
  const lockdepMessages: string[] = [];
  if (lockdep) for (const f of readLockdepFindings(lockdep)) lockdepMessages.push(f.message);
  // A model thread returns its LockdepError as data (lockdepError); a thrown one that still got
  // here (cloned across threads: its name is 'Error', its stack starts with 'LockdepError:') too.
  for (const t of run.threads) {
    if (t.status === 'done' && t.value.lockdepError !== undefined) lockdepMessages.push(`${t.name}: ${t.value.lockdepError}`);
    else if (t.status === 'failed' && isLockdepFailure(t.error)) lockdepMessages.push(`${t.name}: ${t.error.message}`);
  }
  lockdepMessages.forEach((_, i) => finding(main, PROP_LOCK_SANITY, -1, -1, -1, i, 0, END_LOCKDEP));

  // A thread that ended on a LockdepError left its operation half done: its counters are incomplete.
  const allDone = run.threads.every((t) => t.status === 'done' && t.value.lockdepError === undefined);
  const endTotals: EndOfRunTotals = runEndOfRunOracles(main, allDone);
  flushCounters(main);
  const refresh: LatencySnapshot[] = [];
  const eviction: LatencySnapshot[] = [];
  for (const t of run.threads) {
    if (t.status !== 'done') continue;
    refresh.push(t.value.refreshLatencyUs);
    eviction.push(t.value.evictionLatencyUs);
  }
  refresh.push(main.refreshLatency.snapshot());
  const stallLines = stall ? formatStallReport(stall) : undefined;
  return buildStressReport({
    config,
    environment: environment as unknown as Record<string, unknown>,
    built,
    plan,
    run,
    control,
    controlPlane,
    endTotals,
    elapsedS: windowStartedAt > 0 ? Math.max(0, (windowEndedAt || performance.now()) - windowStartedAt) / 1000 : 0,
    refreshLatency: summarizeLatency(refresh),
    evictionLatency: summarizeLatency(eviction),
    peakRssMiB: peakRss / 1048576,
    rssSamplesMiB,
    stallLines,
    countsComplete: allDone,
    lockdepMessages,
    firstFindingAtS: firstFindingAt > 0 && windowStartedAt > 0 ? Math.max(0, firstFindingAt - windowStartedAt) / 1000 : null,
  });
}
