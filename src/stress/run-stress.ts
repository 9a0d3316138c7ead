/**
 * `gpc-lab stress` on the main thread: build the VM, start one thread per vCPU plus the notifier,
 * the evtchn sender and the juggler, run the control plane (memslot updates) here, watch for
 * stalls and livelocks, stop after the duration (timed from the start barrier), run the
 * end-of-run oracles, and build the report.
 *
 * The threads, the start barrier, the duration, the watchdog, progress, Ctrl-C and clean-up are
 * the harness's timed job (src/harness/timed-job.ts); this file is the model's own part.
 *
 * Bounded time: a run ends within duration + stall timeout + ~2 s even if threads hang. A crashed
 * thread stops the run (the pool terminates the rest); Ctrl-C stops it with a partial report.
 */
import { createLockdepBuffer, readLockdepFindings } from '../sync/lockdep.js';
import { describeEnvironment } from '../harness/environment.js';
import { summarizeLatency, type LatencySnapshot } from '../harness/histogram.js';
import type { ThreadTask } from '../harness/pool.js';
import type { ProgressMode } from '../harness/progress.js';
import { RunControl, StopReason } from '../harness/run-control.js';
import { runTimedJob, type TimedJob } from '../harness/timed-job.js';
import { formatStallReport } from '../harness/watchdog.js';
import { G_CURRENT_RETRIES, gpcBase } from '../kvm/gpc-layout.js';
import { finding, flushCounters } from '../kvm/model-context.js';
import { MODEL_THREAD_STATE_NAMES } from './threads/thread-states.js';
import { INVAL_TARGET_NAMES, WORKLOAD_XEN } from '../kvm/vm-layout.js';
import { XEN_ATTACH_NAMES } from '../kvm/users/xen-attach.js';
import { parseStrategyOption, useStrategyModules } from '../kvm/strategies/registry.js';
import { describeProtocol } from '../kvm/protocols/protocol-variant.js';
import { parseProtocolOption, protocolId, useProtocolModules } from '../kvm/protocols/registry.js';
import { LIVELOCK_REFRESH_RETRYING, PROP_LIVELOCK } from '../oracle/properties/livelock.js';
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
import { finishScheduledRun, prepareSchedule, startScheduledRun } from './scheduled-run.js';
import type { ReplayInput, ScheduleOutcome } from '../sched/schedule-setup.js';

import { atomicsWaitAsync } from '../util/atomics-wait-async.js';

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
  /** `gpc-lab replay`: follow these decisions (the configuration is the schedule file's). */
  readonly replay?: ReplayInput;
  /** `gpc-lab replay --from-finding`: a random/pct recording that follows this order where it can (sched-layout.ts REPLAY_DIRECTED). */
  readonly directed?: Int32Array;
  /** random/pct: receives the recorded decisions and the scheduler's outcome once the run is over (the schedule file's content). */
  readonly onScheduleRecorded?: (recorded: RecordedSchedule) => void;
}

/** What a random/pct run's scheduler did, for its schedule file. */
export interface RecordedSchedule {
  readonly decisions: Uint8Array;
  /** Per decision, the step taken just before it: (participant << 16) | point kind (sched-layout.ts). */
  readonly steps: Int32Array;
  readonly outcome: ScheduleOutcome;
  readonly changePoints: readonly number[];
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
  // The run's protocol modules, loaded here and (in the same order) in every model thread, so the
  // protocol id means the same variant everywhere.
  await useProtocolModules(config.protocolModules);
  const protocol = parseProtocolOption('--protocol', config.protocol);
  // Likewise the entry-strategy modules (--strategy-module).
  await useStrategyModules(config.strategyModules);
  const strategy = parseStrategyOption('--strategy', config.strategy);
  const built = buildVm({
    vcpus: config.vcpus,
    pageSize: config.pageSize,
    strategy,
    bugMask: config.bugMask,
    seed: config.seed,
    oracles: config.oracles,
    traceDepth: config.traceDepth,
    workload,
    guestSteps: config.guestSteps,
    eventPermille: (workload & WORKLOAD_XEN) !== 0 ? 50 : 0,
    stealPermille: 50,
    postPermille: 100,
    protocol: protocolId(protocol.name),
    invalTargets: INVAL_TARGET_NAMES.indexOf(config.invalidate),
    xenAttach: XEN_ATTACH_NAMES.indexOf(config.xenAttach),
    fixMask: config.fixMask,
  });
  const { main, layout } = built;
  const plan = planThreads(config, layout);
  const control = RunControl.create(plan.length);
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const lockdep = config.lockdep ? createLockdepBuffer() : undefined;
  const controlPlaneActive = config.memslotRate > 0 && config.memslotOps.length > 0;
  const scheduled = prepareSchedule(config.schedule, options.replay ?? null, built.buffers, main, control, plan, layout.threadMain, controlPlaneActive, options.directed ?? null);
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
      protocolModules: config.protocolModules,
      strategyModules: config.strategyModules,
      ...(lockdep ? { lockdep } : {}),
      ...(scheduled.workerSchedule ? { sched: scheduled.workerSchedule } : {}),
    },
  }));

  const controlPlane = new ControlPlane(main, config.memslotRate, config.memslotOps, config.updaterTimeoutS * 1000);
  let windowStarted = false;
  control.onStop(function stopControlPlane() {
    controlPlane.stop();
  });
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

  // Livelock watch and peak memory, sampled on the main thread.
  // A refresh is livelocked when it keeps retrying (its retry count only grows) for longer than
  // the livelock timeout; the count drops to 0 when a refresh completes.
  let peakRss = process.memoryUsage.rss();
  // RSS once a second from the start barrier, to show it stays flat over long runs: each sample is
  // the largest RSS the monitor saw in its second, so the peak the report gives is the max of them.
  const rssSamplesMiB: number[] = [];
  let lastRssSampleAt = 0;
  let rssThisSecond = 0;
  const livelocked = new Set<number>();
  const retrySeen = new Int32Array(layout.gpcs);
  const retryingSince = new Float64Array(layout.gpcs);
  const monitor = setInterval(function monitorRun() {
    // A controlled schedule's scheduler sets the stop word itself: run the stop listeners.
    control.pollStop();
    const rss = process.memoryUsage.rss();
    peakRss = Math.max(peakRss, rss);
    const now = performance.now();
    if (windowStarted && !control.stopped) {
      rssThisSecond = Math.max(rssThisSecond, rss);
      if (now - lastRssSampleAt >= 1000) {
        lastRssSampleAt = now;
        rssSamplesMiB.push(Math.round(rssThisSecond / 1048576));
        rssThisSecond = 0;
      }
    }
    // Wall-clock: not under a controlled schedule (a known gap the report lists).
    if (!config.oracles || scheduled.live) return;
    // Each poll observes every thread's progress (the watchdog judges it) and every refresh.
    main.counters[ST_PROP_CHECKS + PROP_STALL]! += plan.length;
    main.counters[ST_PROP_CHECKS + PROP_LIVELOCK]! += layout.gpcs;
    for (let g = 0; g < layout.gpcs; g++) {
      const retries = Atomics.load(main.gpcs, gpcBase(g) + G_CURRENT_RETRIES);
      if (retries === 0 || retries < retrySeen[g]!) retryingSince[g] = now;
      retrySeen[g] = retries;
      if (retries > 0 && now - retryingSince[g]! > config.livelockTimeoutS * 1000 && !livelocked.has(g)) {
        livelocked.add(g);
        finding(main, PROP_LIVELOCK, g, -1, -1, retries, Math.round(now - retryingSince[g]!), LIVELOCK_REFRESH_RETRYING);
      }
    }
  }, 100);

  let job: TimedJob<ModelThreadResult>;
  /** Under a controlled schedule: the control plane's participant loop (it ends when main leaves the schedule). */
  let controlledPlane: Promise<void> | null = null;
  try {
    job = await runTimedJob<ModelThreadData, ModelThreadResult>(tasks, {
      control,
      durationMs: config.durationS * 1000,
      stallMs: config.stallTimeoutS * 1000,
      threadNames: plan.map((p) => p.name),
      stateNames: MODEL_THREAD_STATE_NAMES,
      dumpState: () => dumpVmState(main, 6),
      onStall(report) {
        finding(main, PROP_STALL, -1, -1, -1, report.stalled.length, report.stallMs, 0);
        // Found while the threads ran: the STALLED stop follows at once, before the asynchronous
        // first-finding waiter could see the run still going, so the time is taken here.
        if (firstFindingAt === 0) firstFindingAt = performance.now();
      },
      progress: options.progress ?? (config.json ? 'silent' : 'auto'),
      progressLabel: `stress ${config.strategy} ${config.vcpus} vCPUs`,
      progressSample: () => {
        let entries = 0;
        for (let v = 0; v < config.vcpus; v++) entries += readStat(main.statsShared, v, ST_VMENTRIES);
        return `${entries} vmentries, ${totalFindings(main.findings)} findings`;
      },
      notice,
      onWindowStart() {
        windowStarted = true;
        if (scheduled.live) controlledPlane = startScheduledRun(scheduled, controlPlane, control);
        else controlPlane.start();
      },
      ...(options.handleSigint ? { handleSigint: true } : {}),
      ...(options.stopSignal ? { stopSignal: options.stopSignal } : {}),
      // The model threads allocate nothing in their loops: a small young generation keeps 64+
      // isolates' resident memory down (each worker is a V8 isolate of its own).
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 256 },
      ...(options.execArgv ? { execArgv: options.execArgv } : {}),
    });
  } finally {
    clearInterval(monitor);
    // Releases the first-finding waiter if nothing was found.
    Atomics.notify(main.findings.mem, FINDINGS_TOTAL);
  }
  const { run, stall, windowStartedAt } = job;
  // Abandoning first lets an update still waiting (a killed thread's invalidation never ends) give up.
  const abandoned = controlPlane.abandon();
  if (controlledPlane) await controlledPlane;
  await abandoned;
  const names = new Map(plan.map((p) => [p.thread, p.name] as const));
  if (controlPlaneActive) names.set(layout.threadMain, 'main');
  const scheduleEnd = finishScheduledRun(scheduled, config.schedule, options.replay ?? null, names, control);
  if (scheduleEnd.report.deadlock) finding(main, PROP_STALL, -1, -1, -1, scheduleEnd.report.deadlock.waits.length, 0, 1);
  if (scheduleEnd.outcome && scheduleEnd.decisions && scheduled.live) {
    options.onScheduleRecorded?.({ decisions: scheduleEnd.decisions, steps: scheduleEnd.steps ?? new Int32Array(0), outcome: scheduleEnd.outcome, changePoints: scheduleEnd.report.changePoints ?? [] });
  }
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  // The last, partial second; then the peak is that of the measured window, the max of the samples
  // (a run shorter than the first sample keeps the peak of every poll).
  if (rssThisSecond > 0) rssSamplesMiB.push(Math.round(rssThisSecond / 1048576));
  const peakRssMiB = rssSamplesMiB.length > 0 ? Math.max(...rssSamplesMiB) : peakRss / 1048576;

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
  const endTotals: EndOfRunTotals = runEndOfRunOracles(main, allDone, controlPlane.replacedSlots);
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
    protocol: describeProtocol(protocol),
    environment: environment as unknown as Record<string, unknown>,
    built,
    plan,
    run,
    control,
    controlPlane,
    endTotals,
    elapsedS: job.elapsedMs / 1000,
    refreshLatency: summarizeLatency(refresh),
    evictionLatency: summarizeLatency(eviction),
    peakRssMiB,
    rssSamplesMiB,
    stallLines,
    countsComplete: allDone,
    lockdepMessages,
    schedule: scheduleEnd.report,
    firstFindingAtS: firstFindingAt > 0 && windowStartedAt > 0 ? Math.max(0, firstFindingAt - windowStartedAt) / 1000 : null,
  });
}
