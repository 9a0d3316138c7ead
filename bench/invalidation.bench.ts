/**
 * What an invalidation costs, by the number of caches on the VM's gpc list, and what a refresh
 * costs (issue 5, part 1), on one thread, in batches, variants interleaved (GC-aware):
 *
 *  - `inval unrelated, K caches`: one MMU-notifier event (migration) of a page no cache maps,
 *    through the model's mmEventBegin/mmEventFinish: the gpc hook walks the K listed caches
 *    (read lock + overlap test each). Floor: the same event with no cache on the list.
 *  - `inval cached + refresh, K caches`: a migration of the page cache 0 maps (the hook clears it;
 *    its vCPU is outside guest mode, so the eviction does not wait), then gpcRefresh re-establishes
 *    it (hva_to_pfn_retry: fault, map). Floor: `inval unrelated` with the same K.
 *  - `refresh, valid cache`: gpcRefresh of a valid, current cache (refreshLock + write lock, only
 *    the offset is rewritten). Floor: raw compareExchange+sub twice (a mutex and a write lock).
 *
 * The refreshes after invalidation are also recorded one by one by the model's own refresh-latency
 * recorder (gpcRefreshLocked), on a context of their own, for the latency distribution.
 */
import { buildVm, type BuiltVm } from '../src/stress/build-vm.js';
import { gpcActivate, gpcRefresh } from '../src/kvm/gpc.js';
import { guestLayout, spareGfn, SPARE_PAGES } from '../src/kvm/guest-layout.js';
import { guestUsesCaches } from '../src/kvm/cache-table.js';
import { srcuEnter, srcuExit } from '../src/kvm/srcu.js';
import { strategyId } from '../src/kvm/strategies/registry.js';
import { MM_MIGRATE, mmEventBegin, mmEventFinish } from '../src/kvm/host-mm-events.js';
import { openModelContext, type ModelContext } from '../src/kvm/model-context.js';
import { CACHE_LINE_INTS, allocateSharedInts } from '../src/mem/shared-buffer.js';
import type { BatchVariant } from '../src/harness/batch-timer.js';
import type { LatencySnapshot } from '../src/harness/latency-recorder.js';
import { faultInGfns } from '../src/bench/fault-in.js';
import { errnoName } from '../src/util/errno.js';

export function invalUnrelatedName(caches: number): string {
  return `inval unrelated, ${caches} caches`;
}
export function invalCachedName(caches: number): string {
  return `inval cached + refresh, ${caches} caches`;
}
export const REFRESH_VALID = 'refresh, valid cache';
export const RAW_CAS_SUB_X2 = 'raw: cas+sub x2';

/** One VM with `caches` nested caches active, and the contexts that drive it. */
interface OpsVm {
  readonly built: BuiltVm;
  /** The notifier's context (also activates). */
  readonly ctx: ModelContext;
  /** The refresher's context: its refreshLatency records only refreshes after an invalidation. */
  readonly refresher: ModelContext;
  readonly firstCache: number;
  readonly firstGfn: number;
  readonly unrelated: Int32Array;
  readonly release: () => void;
}

function buildOpsVm(caches: number, seed: number, protocol: number): OpsVm {
  // Enough vCPUs for `caches` guest-uses caches.
  const vcpus = Math.max(1, Math.ceil(caches / Math.max(1, guestLayout(1, 4096).caches.registersPerVcpu)));
  const built = buildVm({
    vcpus,
    pageSize: 4096,
    strategy: strategyId('locked'),
    bugMask: 0,
    seed,
    oracles: false,
    traceDepth: 16,
    workload: 0,
    guestSteps: 1,
    eventPermille: 0,
    stealPermille: 0,
    postPermille: 0,
    protocol,
  });
  const ctx = built.main;
  const refresher = openModelContext(built.buffers, built.layout.threadEvtchn);
  const srcuMain = srcuEnter(ctx);
  const srcuRefresher = srcuEnter(refresher);
  const guestUses = guestUsesCaches(built.layout.caches);
  for (const cache of guestUses.slice(0, caches)) {
    const result = gpcActivate(ctx, cache.index, cache.gfn << ctx.pageShift, cache.length);
    if (result !== 0) throw new Error(`bench: activating gpc ${cache.index} failed: ${errnoName(result)}`);
  }
  const unrelated = new Int32Array(SPARE_PAGES);
  for (let i = 0; i < SPARE_PAGES; i++) unrelated[i] = spareGfn(built.layout, i);
  faultInGfns(ctx, Array.from(unrelated));
  function releaseOpsVm(): void {
    srcuExit(ctx, srcuMain);
    srcuExit(refresher, srcuRefresher);
  }
  return {
    built,
    ctx,
    refresher,
    firstCache: guestUses[0]!.index,
    firstGfn: guestUses[0]!.gfn,
    unrelated,
    release: releaseOpsVm,
  };
}

export interface OpsBench {
  readonly variants: BatchVariant[];
  readonly refreshLatency: () => LatencySnapshot[];
  readonly release: () => void;
}

/** The variants for cache counts `cacheCounts` (0 = the bare mm event; it is always included as the floor), on protocol id `protocol`. */
export function opsBenchVariants(cacheCounts: readonly number[], seed: number, protocol = 0): OpsBench {
  const counts = [...new Set([0, ...cacheCounts])].sort((a, b) => a - b);
  const variants: BatchVariant[] = [];
  const vms: OpsVm[] = [];
  const raw = new Int32Array(allocateSharedInts(2 * CACHE_LINE_INTS));

  function rawCasSubTwiceBatch(n: number): number {
    for (let i = 0; i < n; i++) {
      Atomics.compareExchange(raw, 0, 0, 1);
      Atomics.sub(raw, 0, 1);
      Atomics.compareExchange(raw, CACHE_LINE_INTS, 0, 1);
      Atomics.sub(raw, CACHE_LINE_INTS, 1);
    }
    return raw[0]!;
  }
  variants.push({ name: RAW_CAS_SUB_X2, run: rawCasSubTwiceBatch });

  function invalUnrelated(vm: OpsVm): (n: number) => number {
    const ctx = vm.ctx;
    const targets = vm.unrelated;
    return function invalUnrelatedBatch(n: number): number {
      for (let i = 0; i < n; i++) {
        const gfn = targets[i & (SPARE_PAGES - 1)]!;
        mmEventBegin(ctx, MM_MIGRATE, gfn);
        mmEventFinish(ctx, MM_MIGRATE, gfn);
      }
      return ctx.evictCount;
    };
  }
  function invalCachedRefresh(vm: OpsVm): (n: number) => number {
    const ctx = vm.ctx;
    const refresher = vm.refresher;
    const g = vm.firstCache;
    const gfn = vm.firstGfn;
    return function invalCachedRefreshBatch(n: number): number {
      let failed = 0;
      for (let i = 0; i < n; i++) {
        mmEventBegin(ctx, MM_MIGRATE, gfn);
        mmEventFinish(ctx, MM_MIGRATE, gfn);
        if (gpcRefresh(refresher, g, refresher.pageSize) !== 0) failed++;
      }
      return failed;
    };
  }
  function refreshValid(vm: OpsVm): (n: number) => number {
    const ctx = vm.ctx;
    const g = vm.firstCache;
    return function refreshValidBatch(n: number): number {
      let failed = 0;
      for (let i = 0; i < n; i++) if (gpcRefresh(ctx, g, ctx.pageSize) !== 0) failed++;
      return failed;
    };
  }

  for (const k of counts) {
    const vm = buildOpsVm(k, seed + k, protocol);
    vms.push(vm);
    variants.push(k === 0 ? { name: invalUnrelatedName(0), run: invalUnrelated(vm) } : { name: invalUnrelatedName(k), floor: invalUnrelatedName(0), run: invalUnrelated(vm) });
  }
  for (const vm of vms) {
    const k = counts[vms.indexOf(vm)]!;
    if (k === 0) continue;
    variants.push({ name: invalCachedName(k), floor: invalUnrelatedName(k), run: invalCachedRefresh(vm) });
  }
  const withCache = vms.find((_, i) => counts[i]! > 0);
  if (withCache) variants.push({ name: REFRESH_VALID, floor: RAW_CAS_SUB_X2, run: refreshValid(withCache) });

  return {
    variants,
    refreshLatency: () => vms.map((vm) => vm.refresher.refreshLatency.snapshot()),
    release: () => {
      for (const vm of vms) vm.release();
    },
  };
}
