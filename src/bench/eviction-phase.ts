/**
 * Eviction (kick + wait) latency under the real vCPU loop: N model vCPU threads (role `vcpu`,
 * src/kvm/vcpu-loop.ts, nested workload) run while a bench-load thread migrates the pages of
 * their guest-uses caches; each invalidation evicts the owning vCPU (request + kick + WAIT until it
 * is out of guest mode), and the model's notifier records the wait (mmu-notifier.ts). The vCPUs'
 * refreshes (GET_NESTED_STATE_PAGES after the eviction) are recorded by the model too.
 */
import { runThreads, type ThreadTask } from '../harness/pool.js';
import { RC_READY_COUNT, StopReason, type RunControl } from '../harness/run-control.js';
import { summarizeLatency, type LatencySnapshot } from '../harness/histogram.js';
import { buildVm } from '../stress/build-vm.js';
import { protocolId } from '../kvm/protocols/registry.js';
import type { ModelThreadData, ModelThreadResult } from '../stress/model-thread.js';
import { guestUsesCaches } from '../kvm/cache-table.js';
import { strategyId } from '../kvm/strategies/registry.js';
import { WORKLOAD_NESTED } from '../kvm/vm-layout.js';
import type { BenchConfig } from './bench-config.js';
import type { LoadThreadData, LoadThreadResult } from './bench-threads.js';
import type { EvictionResult } from './bench-report.js';

const START_TIMEOUT_MS = 60_000;

export async function runEvictionPhase(config: BenchConfig, vcpus: number, control: RunControl): Promise<EvictionResult> {
  const built = buildVm({
    vcpus,
    pageSize: 4096,
    strategy: strategyId('generation'),
    bugMask: 0,
    seed: config.seed,
    oracles: false,
    traceDepth: 16,
    workload: WORKLOAD_NESTED,
    guestSteps: 16,
    eventPermille: 0,
    stealPermille: 0,
    postPermille: 0,
    protocol: protocolId(config.protocol),
  });
  const tasks: ThreadTask<ModelThreadData | LoadThreadData>[] = [];
  for (let v = 0; v < vcpus; v++) {
    tasks.push({
      role: 'vcpu',
      name: `vcpu-${v}`,
      data: { buffers: built.buffers, thread: v, rate: 0, inflight: 1, startTimeoutMs: START_TIMEOUT_MS, crashAfter: -1 },
    });
  }
  const targets: number[] = [];
  for (const cache of guestUsesCaches(built.layout.caches)) targets.push(cache.gfn);
  tasks.push({
    role: 'bench-load',
    name: 'notifier',
    data: { buffers: built.buffers, thread: built.layout.threadNotifier, targets, ratePerS: config.invalRate, startTimeoutMs: START_TIMEOUT_MS },
  });
  let timer: NodeJS.Timeout | undefined;
  const readyPoll = setInterval(function startEvictionClock() {
    if (Atomics.load(control.view, RC_READY_COUNT) < tasks.length) return;
    clearInterval(readyPoll);
    timer = setTimeout(() => control.requestStop(StopReason.COMPLETED), config.evictionSeconds * 1000);
  }, 5);
  let run;
  try {
    run = await runThreads<ModelThreadData | LoadThreadData, ModelThreadResult | LoadThreadResult>(tasks, { control, stopGraceMs: 5000 });
  } finally {
    clearInterval(readyPoll);
    if (timer) clearTimeout(timer);
  }
  const refresh: LatencySnapshot[] = [];
  for (let v = 0; v < vcpus; v++) {
    const outcome = run.threads[v]!;
    if (outcome.status !== 'done') throw new Error(`eviction bench: ${outcome.name} ${outcome.status}${outcome.status === 'failed' ? `: ${outcome.error.message}` : ''}`);
    refresh.push((outcome.value as ModelThreadResult).refreshLatencyUs);
  }
  const loadOutcome = run.threads[vcpus]!;
  if (loadOutcome.status !== 'done') {
    throw new Error(`eviction bench: notifier ${loadOutcome.status}${loadOutcome.status === 'failed' ? `: ${loadOutcome.error.message}` : ''}`);
  }
  const load = loadOutcome.value as LoadThreadResult;
  return {
    vcpus,
    invalidations: load.events,
    waits: load.evictionWaits,
    latencyUs: summarizeLatency([load.evictionLatencyUs]),
    refreshLatencyUs: summarizeLatency(refresh),
  };
}
