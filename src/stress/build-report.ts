/**
 * Assembles the StressReport from what the run left behind: per-thread counters (stats buffer),
 * per-property checks and findings, the recorded findings with their interleavings, totals,
 * rates, latency percentiles, and notes that explain the verdict for the strategy.
 */
import { jsonEnvelope } from '../util/json-envelope.js';
import { EXIT_CLEAN, EXIT_FINDINGS, EXIT_INTERNAL, EXIT_INTERRUPTED } from '../util/exit-codes.js';
import { strategyById, strategyId } from '../kvm/strategies/registry.js';
import type { LatencySummary } from '../harness/histogram.js';
import type { ThreadsRun } from '../harness/pool.js';
import type { RunControl } from '../harness/run-control.js';
import { findingCount, readFindingRecords, totalFindings } from '../trace/findings.js';
import { PROPERTIES } from '../oracle/properties.js';
import { PROP_LOST_WRITE } from '../oracle/properties/lost-write.js';
import { buildDataLossReport } from './data-loss-report.js';
import * as S from '../kvm/thread-stats.js';
import { ST_PROP_CHECKS, readStat } from '../kvm/thread-stats.js';
import type { ProtocolDescription } from '../kvm/protocols/protocol-variant.js';
import type { BuiltVm } from './build-vm.js';
import type { ControlPlane } from './control-plane.js';
import type { EndOfRunTotals } from './end-of-run.js';
import { cacheName, nameFinding, threadName } from './finding-text.js';
import { findingInterleaving } from './interleaving.js';
import { pathCoverage, pathsNotRun } from './path-coverage.js';
import { candidateBugNotes } from './candidate-bugs.js';
import { isLockdepFailure, type ModelThreadData, type ModelThreadResult } from './model-thread.js';
import type { PlannedModelThread } from './run-stress.js';
import { rerunCommand, type StressConfig } from './stress-config.js';
import type { ScheduleReport } from './scheduled-run.js';
import type { CacheRow, StressFinding, StressReport, StressThreadRow, StressTotals } from './stress-report.js';
import { G_INVALIDATED, G_MAX_RETRIES, G_REFRESHES, G_REFRESH_FAILS, G_RETRIES, gpcBase } from '../kvm/gpc-layout.js';

export interface ReportInputs {
  config: StressConfig;
  /** The run's protocol variant (`--protocol`). */
  protocol: ProtocolDescription;
  environment: Record<string, unknown>;
  built: BuiltVm;
  plan: PlannedModelThread[];
  run: ThreadsRun<ModelThreadResult>;
  control: RunControl;
  controlPlane: ControlPlane;
  endTotals: EndOfRunTotals;
  elapsedS: number;
  refreshLatency: LatencySummary;
  evictionLatency: LatencySummary;
  peakRssMiB: number;
  rssSamplesMiB: number[];
  stallLines: string[] | undefined;
  countsComplete: boolean;
  /** Messages of lockdep-lite findings (END_LOCKDEP findings index them). */
  lockdepMessages: string[];
  /** Seconds from the start barrier to the first finding seen while threads ran, or null. */
  /** What the run's schedule did (src/stress/scheduled-run.ts). */
  schedule: ScheduleReport;
  firstFindingAtS: number | null;
}

const EVENTS_PER_THREAD_IN_INTERLEAVING = 8;

function strategyNote(config: StressConfig, count: (p: number) => number, oldGenerationEntries: number): string[] {
  const strategy = strategyById(strategyId(config.strategy));
  return strategy.note({
    findings: (name) => {
      const property = PROPERTIES.find((p) => p.name === name);
      return property ? count(property.id) : 0;
    },
    oldGenerationEntries,
  });
}

export function buildStressReport(inputs: ReportInputs): StressReport {
  const { config, built, plan, run, endTotals } = inputs;
  const { main, layout } = built;
  const stats = main.statsShared;
  const threads = layout.threads;
  const sum = (i: number): number => {
    let s = 0;
    for (let t = 0; t < threads; t++) s += readStat(stats, t, i);
    return s;
  };

  const properties = PROPERTIES.map((p) => ({
    name: p.name,
    kind: p.kind,
    description: p.description,
    checks: sum(ST_PROP_CHECKS + p.id),
    findings: findingCount(main.findings, p.id),
  }));

  const rows: StressThreadRow[] = run.threads.map((outcome) => {
    const t = plan[outcome.threadIndex]!.thread;
    const r = (i: number): number => readStat(stats, t, i);
    return {
      name: outcome.name,
      role: outcome.role,
      status: outcome.status,
      ...(outcome.status === 'failed' ? { error: outcome.error.message } : {}),
      vmentries: r(S.ST_VMENTRIES),
      entryCancels: r(S.ST_ENTRY_CANCELS),
      guestSteps: r(S.ST_GUEST_STEPS),
      kickExits: r(S.ST_KICK_EXITS),
      refreshes: r(S.ST_REFRESHES),
      refreshRetries: r(S.ST_REFRESH_RETRIES),
      maxRetries: r(S.ST_MAX_RETRIES),
      refreshFailures: r(S.ST_REFRESH_FAILS),
      checksOk: r(S.ST_CHECKS_OK),
      checksFailed: r(S.ST_CHECKS_FAILED),
      invalidations: r(S.ST_INVALIDATIONS),
      evictions: r(S.ST_EVICTIONS),
      evictionWaits: r(S.ST_EVICTION_WAITS),
      eventsSent: r(S.ST_EVENTS_SENT),
      eventsDropped: r(S.ST_EVENTS_DROPPED),
      juggles: r(S.ST_JUGGLES),
    };
  });

  const totals: StressTotals = {
    vmentries: sum(S.ST_VMENTRIES),
    guestSteps: sum(S.ST_GUEST_STEPS),
    entryChecks: sum(S.ST_ENTRY_CHECKS),
    checks: sum(S.ST_CHECKS_OK) + sum(S.ST_CHECKS_FAILED) + sum(S.ST_ENTRY_CHECKS),
    refreshes: sum(S.ST_REFRESHES),
    refreshRetries: sum(S.ST_REFRESH_RETRIES),
    invalidations: sum(S.ST_INVALIDATIONS),
    invalidationsThatCleared: sum(S.ST_INVALIDATIONS_CLEARED),
    mmEvents: sum(S.ST_MM_EVENTS),
    pagesFreed: sum(S.ST_PAGES_FREED),
    windowUnmaps: sum(S.ST_WINDOW_UNMAPS),
    evictions: sum(S.ST_EVICTIONS),
    evictionWaits: sum(S.ST_EVICTION_WAITS),
    memslotUpdates: sum(S.ST_MEMSLOT_UPDATES),
    memslotMoves: inputs.controlPlane.counts.moves,
    memslotMovesSkipped: inputs.controlPlane.counts.skipped,
    memslotCreates: inputs.controlPlane.counts.creates,
    memslotDeletes: inputs.controlPlane.counts.deletes,
    memslotFlagsOnly: inputs.controlPlane.counts.flagsOnly,
    memslotRepointsIllegal: inputs.controlPlane.counts.repoints,
    memslotRejected: inputs.controlPlane.counts.rejected,
    memslotSwaps: inputs.controlPlane.swapStats.swaps,
    memslotCountWaits: inputs.controlPlane.swapStats.countWaits,
    memslotCountWaitMs: inputs.controlPlane.swapStats.countWaitMs,
    memslotCountWaitMaxMs: inputs.controlPlane.swapStats.countWaitMaxMs,
    memslotCountWaitsStarved: inputs.controlPlane.swapStats.starved,
    juggles: sum(S.ST_JUGGLES),
    eventsSent: endTotals.eventsSent,
    eventsDropped: sum(S.ST_EVENTS_DROPPED),
    eventsConsumed: endTotals.eventsConsumed,
    eventsPendingAtEnd: endTotals.eventsPending,
    slowPathSends: sum(S.ST_SLOW_PATH),
    eventsFromIrq: sum(S.ST_EVENTS_FROM_IRQ),
    eventsDeferred: sum(S.ST_EVENTS_DEFERRED),
    vcpuInfoFallbacks: sum(S.ST_VCPU_INFO_FALLBACKS),
    vcpuInfoMoves: sum(S.ST_VCPU_INFO_MOVES),
    vcpuInfoLateCarries: sum(S.ST_VCPU_INFO_LATE_CARRIES),
    posted: endTotals.posted,
    nestedConsumed: endTotals.nestedConsumed,
    postedPendingAtEnd: endTotals.postedPending,
    stealWrites: sum(S.ST_STEAL_WRITES),
    runstateUpdates: sum(S.ST_RUNSTATE_UPDATES),
    runstateSplitUpdates: sum(S.ST_RUNSTATE_SPLIT_UPDATES),
    runstateTrylockGiveUps: sum(S.ST_RUNSTATE_TRYLOCK_GIVEUPS),
    runstateCheckGiveUps: sum(S.ST_RUNSTATE_CHECK_GIVEUPS),
    runstateGpc2Activations: sum(S.ST_RUNSTATE_GPC2_ACTIVATIONS),
    gpcInvalidationWaits: sum(S.ST_GPC_INVAL_WAITS),
    gpcInflightInvalidations: sum(S.ST_GPC_INFLIGHT_INVALIDATIONS),
    gmemInvalidations: sum(S.ST_GMEM_INVALIDATIONS),
    getNestedStatePages: sum(S.ST_GET_NESTED),
    nestedHostAccesses: sum(S.ST_NESTED_HOST_ACCESSES),
    nestedHostPfnMismatches: sum(S.ST_NESTED_HOST_PFN_MISMATCH),
    nestedL1Vmexits: sum(S.ST_NESTED_L1_VMEXITS),
    oldGenerationEntries: sum(S.ST_OLD_GENERATION_ENTRIES),
    fastPathTrylockFails: sum(S.ST_FASTPATH_TRYLOCK_FAILS),
    invalidationHookUs: sum(S.ST_INVAL_HOOK_US),
    maxRefreshRetries: 0,
    xenAttachGpa: sum(S.ST_XEN_ATTACH_GPA),
    xenAttachHva: sum(S.ST_XEN_ATTACH_HVA),
    xenAttachOverlay: sum(S.ST_XEN_ATTACH_OVERLAY),
    invalidationsOutsideMemslots: sum(S.ST_INVAL_OUTSIDE_MEMSLOTS),
    refreshInvalidationsInWindow: sum(S.ST_REFRESH_INVAL_IN_WINDOW),
    refreshSeqlessInstalls: sum(S.ST_REFRESH_SEQLESS_INSTALLS),
  };
  const caches: CacheRow[] = [];
  for (let g = 0; g < layout.gpcs; g++) {
    const base = gpcBase(g);
    const u = (i: number): number => main.gpcs[base + i]! >>> 0;
    caches.push({
      name: cacheName(layout, g),
      refreshes: u(G_REFRESHES),
      retries: u(G_RETRIES),
      maxRetries: u(G_MAX_RETRIES),
      refreshFailures: u(G_REFRESH_FAILS),
      invalidated: u(G_INVALIDATED),
    });
  }
  for (let t = 0; t < threads; t++) totals.maxRefreshRetries = Math.max(totals.maxRefreshRetries, readStat(stats, t, S.ST_MAX_RETRIES));
  for (const c of caches) totals.maxRefreshRetries = Math.max(totals.maxRefreshRetries, c.maxRetries);
  const per = (n: number): number => (inputs.elapsedS > 0 ? n / inputs.elapsedS : 0);

  const records = readFindingRecords(main.findings);
  const rerun = rerunCommand({ ...config, stopOnFinding: true });
  const detailContext = { pageShift: main.pageShift, messages: inputs.lockdepMessages };
  const named: StressFinding[] = records.map((r) => {
    const { subject, details, message } = nameFinding(r, detailContext);
    return {
      property: PROPERTIES[r.property]?.name ?? `property#${r.property}`,
      thread: threadName(layout, r.thread),
      ...(subject.cache !== undefined ? { cache: cacheName(layout, subject.cache) } : {}),
      ...(subject.gpa !== undefined ? { gpa: subject.gpa, gfn: subject.gfn } : {}),
      ...(subject.pfn !== undefined ? { pfn: subject.pfn } : {}),
      details,
      message,
      interleaving: findingInterleaving(layout, main.findings, r, details, main.fr.depth, EVENTS_PER_THREAD_IN_INTERLEAVING, main.pageShift),
      rerun,
    };
  });
  // The first of each property, de-duplicated: identical ones (property, thread, subject, message)
  // are one entry with how many there were.
  const findings: StressFinding[] = [];
  for (const f of named) {
    const same = findings.find((g) => g.property === f.property && g.thread === f.thread && g.cache === f.cache && g.pfn === f.pfn && g.gpa === f.gpa && g.message === f.message);
    if (same) same.repeats = (same.repeats ?? 1) + 1;
    else findings.push(f);
  }
  const findingsTotal = totalFindings(main.findings);
  const first = records[0];
  const firstFinding =
    first === undefined
      ? null
      : {
          property: PROPERTIES[first.property]?.name ?? `property#${first.property}`,
          atS: inputs.firstFindingAtS ?? inputs.elapsedS,
          duringRun: inputs.firstFindingAtS !== null,
        };

  const internalErrors: string[] = run.poolErrors.map((e) => `pool: ${e.message}`);
  for (const t of run.threads) {
    if (t.status === 'failed' && !isLockdepFailure(t.error)) internalErrors.push(`thread ${t.name} failed: ${t.error.stack ?? t.error.message}`);
  }
  const notStarted = run.threads.filter((t) => t.status === 'done' && !t.value.started).length;
  // With --stop-on-finding a finding in the first microseconds can stop the run before a slow
  // thread saw the barrier open: that thread simply did not run, which is no tool failure.
  if (notStarted > 0 && run.stopReasonName !== 'finding') internalErrors.push(`${notStarted} threads never passed the start barrier`);
  if (run.threadsLeftRunning !== 0) internalErrors.push(`${run.threadsLeftRunning} worker threads were left running`);

  const paths = pathCoverage(config, totals);
  const notRun = pathsNotRun(paths);
  const dataLoss = buildDataLossReport(main.retired, inputs.controlPlane.counts.deletesOntoOtherMemory, sum(ST_PROP_CHECKS + PROP_LOST_WRITE), endTotals);
  const notes = strategyNote(config, (p) => findingCount(main.findings, p), totals.oldGenerationEntries);
  if (!inputs.countsComplete) notes.push('Some threads were terminated or ended early (a lockdep error): conservation and last-value checks were skipped (their counters are incomplete).');
  if (!config.oracles) notes.push('Oracles were off (--oracles off): findings are not looked for; this run measures the model without their cost.');
  if (notRun.length > 0) notes.push(`Enabled but not run in this run (the verdict says nothing about them): ${notRun.join(', ')}.`);
  if (config.bugs.length > 0) notes.push(`Bug switches on: ${config.bugs.join(', ')}.`);
  notes.push(...candidateBugNotes(findings));
  if (config.fixes.length > 0) notes.push(`Fix switches on (would-be upstream fixes, not mainline as merged): ${config.fixes.join(', ')}.`);
  const kind = inputs.schedule.kind;
  if (kind === 'random' || kind === 'pct' || kind === 'replay') {
    notes.push(`One thread ran at a time (--schedule ${kind === 'replay' ? 'replay of a schedule file' : kind}): the seeds fix the workload and the schedule, so the same command gives the same interleaving (trace hash ${inputs.schedule.traceHash ?? '-'}); a finding's schedule file replays it exactly (gpc-lab replay).`);
  } else {
    notes.push(`A seed fixes every random choice a thread makes, not the ${kind === 'chaos' ? 'OS schedule or the chaos delays' : 'OS schedule'}: re-running with the same seed gives the same workload, and usually finds the same kind of finding, not the same interleaving.`);
  }

  let verdict: StressReport['verdict'];
  const interrupted = inputs.control.stopReason === 2;
  if (internalErrors.length > 0) verdict = 'internal-error';
  else if (findingsTotal > 0) verdict = 'findings';
  else if (interrupted) verdict = 'interrupted';
  // Without oracles nothing was looked for: no finding is no evidence of a clean protocol.
  else if (!config.oracles) verdict = 'unchecked';
  else verdict = 'clean';
  // Ctrl-C: 130 after the partial report (a tool failure still says 3), whatever the partial run found.
  const exitCode = verdict === 'internal-error' ? EXIT_INTERNAL : interrupted ? EXIT_INTERRUPTED : verdict === 'findings' ? EXIT_FINDINGS : EXIT_CLEAN;

  return {
    ...jsonEnvelope('stress'),
    verdict,
    exitCode,
    seed: config.seed,
    rerun: rerunCommand(config),
    stopReason: run.stopReasonName,
    protocol: inputs.protocol,
    config: { ...config } as unknown as Record<string, unknown>,
    environment: inputs.environment,
    elapsedS: inputs.elapsedS,
    properties,
    threads: rows,
    caches,
    totals,
    paths,
    rates: {
      vmentries: per(totals.vmentries),
      checks: per(totals.checks),
      invalidations: per(totals.invalidations),
      refreshes: per(totals.refreshes),
      guestSteps: per(totals.guestSteps),
      memslotUpdates: per(totals.memslotUpdates),
      juggles: per(totals.juggles),
      eventsSent: per(totals.eventsSent),
    },
    latencyUs: { refresh: inputs.refreshLatency, evictionWait: inputs.evictionLatency },
    peakRssMiB: inputs.peakRssMiB,
    rssSamplesMiB: inputs.rssSamplesMiB,
    findingsTotal,
    firstFinding,
    findings,
    ...(inputs.stallLines ? { stall: inputs.stallLines } : {}),
    schedule: inputs.schedule,
    dataLoss,
    notes,
    internalErrors,
  };
}

export type { ModelThreadData };
