/**
 * Assembles the StressReport from what the run left behind: per-thread counters (stats buffer),
 * per-property checks and findings, the recorded findings with their interleavings, totals,
 * rates, latency percentiles, and notes that explain the verdict for the strategy.
 */
import type { LatencySummary } from '../harness/histogram.js';
import type { ThreadsRun } from '../harness/pool.js';
import type { RunControl } from '../harness/run-control.js';
import { findingCount, readFindingRecords, totalFindings } from '../trace/findings.js';
import { PROPERTIES } from '../oracle/properties.js';
import { PROP_EVENTS } from '../oracle/properties/events.js';
import { PROP_FREE_WHILE_IN_GUEST } from '../oracle/properties/free-while-in-guest.js';
import { PROP_RECORDS } from '../oracle/properties/records.js';
import { PROP_STALE_ENTRY } from '../oracle/properties/stale-entry.js';
import { PROP_UAF_GUEST } from '../oracle/properties/uaf-guest-mode.js';
import * as S from '../kvm/thread-stats.js';
import { ST_PROP_CHECKS, readStat } from '../kvm/thread-stats.js';
import type { BuiltVm } from './build-vm.js';
import type { ControlPlane } from './control-plane.js';
import type { EndOfRunTotals } from './end-of-run.js';
import { cacheName, nameFinding, threadName } from './finding-text.js';
import { findingInterleaving } from './interleaving.js';
import { isLockdepFailure, type ModelThreadData, type ModelThreadResult } from './model-thread.js';
import type { PlannedModelThread } from './run-stress.js';
import { rerunCommand, type StressConfig } from './stress-config.js';
import type { CacheRow, StressFinding, StressReport, StressThreadRow, StressTotals } from './stress-report.js';
import { G_INVALIDATED, G_MAX_RETRIES, G_REFRESHES, G_REFRESH_FAILS, G_RETRIES, gpcBase } from '../kvm/gpc-layout.js';

export interface ReportInputs {
  config: StressConfig;
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
  firstFindingAtS: number | null;
}

const EVENTS_PER_THREAD_IN_INTERLEAVING = 8;

function strategyNote(config: StressConfig, count: (p: number) => number, oldGenerationEntries: number): string[] {
  switch (config.strategy) {
    case 'locked':
      return ['locked: each vmentry takes each guest-uses cache\'s read lock and runs kvm_gpc_check after IN_GUEST_MODE is visible; an invalidation clears valid under the write lock before it evicts, so either the check fails or the eviction (WAIT) catches the vCPU in guest mode.'];
    case 'generation':
      return ['generation: one compare of the memslot generation with the vCPU\'s snapshot per vmentry; invalidations reach the vCPU as a GPC_INVALIDATE request with the eviction (WAIT), and memslot updates kick every vCPU, so a stale translation is reloaded before the next entry.'];
    case 'lockless': {
      const stale = count(PROP_STALE_ENTRY);
      const harm = count(PROP_UAF_GUEST) + count(PROP_FREE_WHILE_IN_GUEST) + count(PROP_EVENTS) + count(PROP_RECORDS);
      const lines = [
        'lockless (active && !valid, plain loads, no lock, no generation compare): invalidations are caught (the hook clears valid before it evicts, and the vCPU reads valid after IN_GUEST_MODE), but a memslot update does not touch valid.',
      ];
      if (stale > 0) {
        lines.push(
          `It missed memslot updates: ${stale} vmentries ran with a guest-uses gpa -> uhva translation that a memslot move had already replaced when the vCPU set IN_GUEST_MODE (stale-entry; the interleaving shows the memslot-publish of the nested slot, then the vCPU entering without reloading), and ${oldGenerationEntries} more entered with an old generation whose translation happened to be unchanged (another slot moved).`,
        );
        lines.push(
          harm === 0
            ? 'In this model a memslot move re-points the gfns to new host virtual pages that alias the same pages, so the stale pfn is still the guest\'s page: no page was freed under the hardware and no event or record was lost. The stale translation lasts until the old host mapping is unmapped (an MMU-notifier event that clears valid). If a VMM re-pointed a slot to different memory, the hardware would keep using the old memory: the same stale entries would then be lost writes.'
            : `It also caused ${harm} use-after-free / lost-data findings: see below.`,
        );
      } else {
        lines.push('No stale entry was seen in this run: raise --memslot-rate or --duration to give memslot moves a chance to race entries.');
      }
      return lines;
    }
    case 'none':
      return ['none: no entry check. After an eviction the vCPU re-enters with the pfns it loaded before, so the hardware uses pages the mm has freed (uaf-guest-mode, free-while-in-guest) and posted interrupts land in freed pages (events).'];
  }
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
    juggles: sum(S.ST_JUGGLES),
    eventsSent: endTotals.eventsSent,
    eventsDropped: sum(S.ST_EVENTS_DROPPED),
    eventsConsumed: endTotals.eventsConsumed,
    eventsPendingAtEnd: endTotals.eventsPending,
    slowPathSends: sum(S.ST_SLOW_PATH),
    posted: endTotals.posted,
    nestedConsumed: endTotals.nestedConsumed,
    postedPendingAtEnd: endTotals.postedPending,
    stealWrites: sum(S.ST_STEAL_WRITES),
    getNestedStatePages: sum(S.ST_GET_NESTED),
    oldGenerationEntries: sum(S.ST_OLD_GENERATION_ENTRIES),
    fastPathTrylockFails: sum(S.ST_FASTPATH_TRYLOCK_FAILS),
    invalidationHookUs: sum(S.ST_INVAL_HOOK_US),
    maxRefreshRetries: 0,
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
  const findings: StressFinding[] = records.map((r) => {
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

  const notes = strategyNote(config, (p) => findingCount(main.findings, p), totals.oldGenerationEntries);
  if (!inputs.countsComplete) notes.push('Some threads were terminated or ended early (a lockdep error): conservation and last-value checks were skipped (their counters are incomplete).');
  if (!config.oracles) notes.push('Oracles were off (--oracles off): findings are not looked for; this run measures the model without their cost.');
  if (config.bugs.length > 0) notes.push(`Bug switches on: ${config.bugs.join(', ')}.`);
  notes.push('A seed fixes every random choice a thread makes, not the OS schedule: re-running with the same seed gives the same workload, and usually finds the same kind of finding, not the same interleaving.');

  let verdict: StressReport['verdict'];
  const interrupted = inputs.control.stopReason === 2;
  if (internalErrors.length > 0) verdict = 'internal-error';
  else if (findingsTotal > 0) verdict = 'findings';
  else if (interrupted) verdict = 'interrupted';
  // Without oracles nothing was looked for: no finding is no evidence of a clean protocol.
  else if (!config.oracles) verdict = 'unchecked';
  else verdict = 'clean';
  const exitCode = verdict === 'internal-error' ? 3 : verdict === 'findings' ? 1 : 0;

  return {
    tool: 'gpc-lab stress',
    verdict,
    exitCode,
    seed: config.seed,
    command: rerunCommand(config),
    stopReason: run.stopReasonName,
    config: { ...config } as unknown as Record<string, unknown>,
    environment: inputs.environment,
    elapsedS: inputs.elapsedS,
    properties,
    threads: rows,
    caches,
    totals,
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
    notes,
    internalErrors,
  };
}

export type { ModelThreadData };
