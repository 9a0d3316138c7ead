/**
 * The VM a vmentry bench run measures, and which caches and pages each timing thread uses.
 *
 * Timing thread t plays model vCPU v = CACHES_PER_THREAD / 2 * t (4t): it enters and leaves guest
 * mode in that vCPU's slot of the vCPU table and its SRCU line, and its entry check covers up to
 * CACHES_PER_THREAD (8) nested caches: its own virtual-APIC and PI-descriptor caches first (the
 * two the strategies' own checks cover), then those of model vCPUs 4t+1..4t+3, which no thread runs.
 * So every timing thread has its own locks and cache lines, as real vCPUs do.
 *
 * The VM is built with the `generation` strategy in its configuration: the notifier's eviction
 * then carries GPC_INVALIDATE (mmu-notifier.ts), which the generation strategy needs, and which
 * the other strategies handle like their own failed check (a reload before the next entry).
 * Oracles are off (the bench measures the protocol, not the checks of it).
 */
import { buildVm, type BuiltVm } from '../stress/build-vm.js';
import { spareGfn, SPARE_PAGES } from '../kvm/guest-layout.js';
import { guestUsesCaches } from '../kvm/cache-table.js';
import { strategyId } from '../kvm/strategies/registry.js';
import { WORKLOAD_NESTED } from '../kvm/vm-layout.js';

export const CACHES_PER_THREAD = 8;
const VCPUS_PER_THREAD = CACHES_PER_THREAD / 2;

export interface BenchVm {
  readonly built: BuiltVm;
  /** Model vCPU index of timing thread t. */
  readonly vcpuOf: (t: number) => number;
  /** The CACHES_PER_THREAD gpc indices timing thread t checks (own two first). */
  readonly cachesOf: (t: number) => number[];
  /** Guest frames of every cache some timing thread checks (targets of "invalidations of the cached pages"). */
  readonly cachedGfns: number[];
  /** Guest frames no cache maps (targets of "invalidations of unrelated pages"). */
  readonly unrelatedGfns: number[];
}

export interface BenchVmOptions {
  readonly timingThreads: number;
  readonly seed: number;
  /** Protocol variant id (src/kvm/protocols/registry.ts); default 0, mainline. */
  readonly protocol?: number;
}

export function buildBenchVm(options: BenchVmOptions): BenchVm {
  const vcpus = VCPUS_PER_THREAD * options.timingThreads;
  const built = buildVm({
    vcpus,
    pageSize: 4096,
    strategy: strategyId('generation'),
    bugMask: 0,
    seed: options.seed,
    oracles: false,
    traceDepth: 16,
    workload: WORKLOAD_NESTED,
    guestSteps: 1,
    eventPermille: 0,
    stealPermille: 0,
    postPermille: 0,
    protocol: options.protocol ?? 0,
  });
  function vcpuOf(t: number): number {
    return VCPUS_PER_THREAD * t;
  }
  function cachesOf(t: number): number[] {
    return guestUsesCaches(built.layout.caches, vcpuOf(t), vcpuOf(t) + VCPUS_PER_THREAD).map((c) => c.index);
  }
  const cachedGfns: number[] = [];
  for (const cache of guestUsesCaches(built.layout.caches)) cachedGfns.push(cache.gfn);
  const unrelatedGfns: number[] = [];
  for (let i = 0; i < SPARE_PAGES; i++) unrelatedGfns.push(spareGfn(built.layout, i));
  return { built, vcpuOf, cachesOf, cachedGfns, unrelatedGfns };
}
