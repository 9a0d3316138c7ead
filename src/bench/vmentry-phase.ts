/**
 * One vmentry configuration on the main thread: N timing threads (bench-vmentry) on a fresh VM,
 * plus, unless idle, one load thread (bench-load) invalidating cached or unrelated pages. All meet
 * at the start barrier; when every timing thread is done the run is stopped (the load ends too).
 */
import { runThreads, type ThreadTask } from '../harness/pool.js';
import { RunControl, StopReason, isFinalThreadState } from '../harness/run-control.js';
import { summarizeLatency, type LatencySnapshot } from '../harness/histogram.js';
import type { LoadKind, BenchConfig } from './bench-config.js';
import { buildBenchVm } from './bench-vm.js';
import { protocolId } from '../kvm/protocols/registry.js';
import type { LoadThreadData, LoadThreadResult, VmentryThreadData, VmentryThreadResult } from './bench-threads.js';
import type { VmentryConfigResult, VmentryFigure } from './bench-report.js';
import { poolThreadStats } from './pool-samples.js';

const START_TIMEOUT_MS = 60_000;

function threadError(outcome: { status: string; name: string; error?: Error }): Error {
  return new Error(`bench thread ${outcome.name} ${outcome.status}${outcome.error ? `: ${outcome.error.message}` : ''}`);
}

/** What one pass of a configuration leaves: its timing threads' results, the load thread's, its wall time. */
export interface VmentryPass {
  readonly timing: VmentryThreadResult[];
  readonly load: LoadThreadResult | null;
  readonly seconds: number;
}

/**
 * One pass of a configuration: fresh threads on a fresh VM, `plan.samples` samples per variant.
 * The bench runs each configuration in several passes, interleaved with the other
 * configurations' (summarizeVmentryConfig pools them), so a change of machine load hits all alike.
 */
export async function runVmentryPass(config: BenchConfig, vcpus: number, load: LoadKind, control: RunControl, plan: BenchConfig['plan']): Promise<VmentryPass> {
  const vm = buildBenchVm({ timingThreads: vcpus, seed: config.seed, protocol: protocolId(config.protocol) });
  const tasks: ThreadTask<VmentryThreadData | LoadThreadData>[] = [];
  for (let t = 0; t < vcpus; t++) {
    const data: VmentryThreadData = {
      buffers: vm.built.buffers,
      vcpu: vm.vcpuOf(t),
      caches: vm.cachesOf(t),
      lockedCounts: config.lockedCounts,
      strategies: config.strategies,
      plan,
      startTimeoutMs: START_TIMEOUT_MS,
    };
    tasks.push({ role: 'bench-vmentry', name: `vcpu-${t}`, data });
  }
  if (load !== 'idle') {
    const data: LoadThreadData = {
      buffers: vm.built.buffers,
      thread: vm.built.layout.threadNotifier,
      targets: load === 'inval-cached' ? vm.cachedGfns : vm.unrelatedGfns,
      ratePerS: config.invalRate,
      startTimeoutMs: START_TIMEOUT_MS,
    };
    tasks.push({ role: 'bench-load', name: 'notifier', data });
  }
  // Stop the load once every timing thread has finished.
  const poll = setInterval(function stopWhenTimed() {
    for (let t = 0; t < vcpus; t++) if (!isFinalThreadState(control.state(t))) return;
    control.requestStop(StopReason.COMPLETED);
  }, 10);
  const startedAt = performance.now();
  let run;
  try {
    run = await runThreads<VmentryThreadData | LoadThreadData, VmentryThreadResult | LoadThreadResult>(tasks, {
      control,
      stopGraceMs: 5000,
    });
  } finally {
    clearInterval(poll);
  }
  const seconds = (performance.now() - startedAt) / 1000;
  const timing: VmentryThreadResult[] = [];
  for (let t = 0; t < vcpus; t++) {
    const outcome = run.threads[t]!;
    if (outcome.status !== 'done') throw threadError(outcome as { status: string; name: string; error?: Error });
    const value = outcome.value as VmentryThreadResult;
    if (!value.started) throw new Error(`bench thread ${outcome.name} did not start (interrupted?)`);
    timing.push(value);
  }
  let loadResult: LoadThreadResult | null = null;
  if (load !== 'idle') {
    const outcome = run.threads[vcpus]!;
    if (outcome.status !== 'done') throw threadError(outcome as { status: string; name: string; error?: Error });
    loadResult = outcome.value as LoadThreadResult;
  }
  return { timing, load: loadResult, seconds };
}

/** A configuration's figures from all its passes: every timing thread's samples pooled, the load's counts summed. */
export function summarizeVmentryConfig(vcpus: number, load: LoadKind, passes: readonly VmentryPass[]): VmentryConfigResult {
  const timing = passes.flatMap((p) => p.timing);
  const seconds = passes.reduce((s, p) => s + p.seconds, 0);
  const pooled = poolThreadStats(timing);
  const figures: VmentryFigure[] = pooled.map((stats, i) => {
    const ops = timing.reduce((n, r) => n + (r.operations[i] ?? 0), 0);
    const failures = timing.reduce((n, r) => n + (r.checkFailures[i] ?? 0), 0);
    const reloads = timing.reduce((n, r) => n + (r.reloads[i] ?? 0), 0);
    return { ...stats, checkFailuresPer1k: ops > 0 ? (failures * 1000) / ops : 0, reloadsPer1k: ops > 0 ? (reloads * 1000) / ops : 0 };
  });
  let invalidations: VmentryConfigResult['invalidations'] = null;
  const loads = passes.flatMap((p) => (p.load ? [p.load] : []));
  if (load !== 'idle' && loads.length > 0) {
    const events = loads.reduce((n, l) => n + l.events, 0);
    const loadSeconds = loads.reduce((n, l) => n + l.seconds, 0);
    invalidations = {
      events,
      perSecond: loadSeconds > 0 ? events / loadSeconds : 0,
      evictionWaits: loads.reduce((n, l) => n + l.evictionWaits, 0),
      evictionLatencyUs: summarizeLatency(loads.map((l) => l.evictionLatencyUs)),
    };
  }
  const refresh: LatencySnapshot[] = timing.map((r) => r.refreshLatencyUs);
  return {
    vcpus,
    load,
    figures,
    invalidations,
    refreshLatencyUs: summarizeLatency(refresh),
    gcEvents: timing.reduce((n, r) => n + r.gcEvents, 0),
    seconds,
  };
}
