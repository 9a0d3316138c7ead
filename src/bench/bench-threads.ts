/**
 * What the bench's threads receive and return (plain data; SharedArrayBuffers are shared). Used
 * by the workers (workers/bench-*.worker.ts) and by the main side (run-bench.ts).
 */
import type { BatchPlan, BatchStats } from '../harness/batch-timer.js';
import type { LatencySnapshot } from '../harness/latency-recorder.js';
import type { VmBuffers } from '../kvm/model-context.js';
import type { StrategyName } from '../kvm/strategies/registry.js';

/** A timing thread (role bench-vmentry): plays one vCPU and times its entry path. */
export interface VmentryThreadData {
  readonly buffers: VmBuffers;
  /** Model vCPU index this thread plays (its vCPU-table slot and SRCU line). */
  readonly vcpu: number;
  /** Gpc indices it checks, its own two nested caches first (bench-vm.ts). */
  readonly caches: readonly number[];
  /** Cache counts of the `locked` variants. */
  readonly lockedCounts: readonly number[];
  readonly strategies: readonly StrategyName[];
  readonly plan: BatchPlan;
  readonly startTimeoutMs: number;
}

export interface VmentryThreadResult {
  readonly started: boolean;
  readonly stats: BatchStats[];
  /** Kept samples (ns/op) per variant, same order as stats. */
  readonly samples: Float64Array[];
  /** Per variant: operations run (warm-up included), failed entry checks, reloads (GET_NESTED_STATE_PAGES). */
  readonly operations: number[];
  readonly checkFailures: number[];
  readonly reloads: number[];
  readonly gcEvents: number;
  readonly refreshLatencyUs: LatencySnapshot;
}

/** The invalidation load (role bench-load): the host mm invalidating `targets` at `ratePerS`. */
export interface LoadThreadData {
  readonly buffers: VmBuffers;
  /** Model thread index (the VM's notifier index). */
  readonly thread: number;
  /** Guest frames to invalidate (migrate), picked at random. */
  readonly targets: readonly number[];
  readonly ratePerS: number;
  readonly startTimeoutMs: number;
}

export interface LoadThreadResult {
  readonly started: boolean;
  readonly events: number;
  /** Seconds from the start barrier to the stop. */
  readonly seconds: number;
  /** Evictions that had to wait for a vCPU in guest mode. */
  readonly evictionWaits: number;
  readonly evictionLatencyUs: LatencySnapshot;
}

/** The single-thread operations bench (role bench-ops): invalidation and refresh costs. */
export interface OpsThreadData {
  /** Caches on the VM's list for the invalidation-cost variants (0 = the bare mm event). */
  readonly cacheCounts: readonly number[];
  readonly plan: BatchPlan;
  readonly seed: number;
  /** Protocol variant id (src/kvm/protocols/registry.ts). */
  readonly protocol: number;
}

export interface OpsThreadResult {
  readonly stats: BatchStats[];
  readonly gcEvents: number;
  /** Latency of the refreshes that re-established an invalidated cache (µs), one snapshot per VM. */
  readonly refreshAfterInvalidationUs: LatencySnapshot[];
}
