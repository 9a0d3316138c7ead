/**
 * The MMU notifier as KVM implements it (DESIGN 5.5): invalidate_range_start raises
 * mn_active_invalidate_count, runs the gpc hook, and evicts the vCPUs whose guest-uses caches it
 * cleared (a request with WAIT: they are out of guest mode when it returns); invalidate_range_end
 * bumps mmu_invalidate_seq, then lowers the count. Between the two the mm changes the ptes and
 * frees the old page.
 */
import { gpcInvalidateStart } from './gpc-invalidate.js';
import { BUG_INVALIDATE_END_LEAKS_COUNT, isBugOn } from './bug-switches.js';
import { MODEL_WAIT_EVICTION } from './model-wait.js';
import { kickVcpuForWait, makeRequest, waitForSessionEnd } from './vcpu-kick.js';
import { traceStep, type ModelContext } from './model-context.js';
import { VM_MMU_SEQ, VM_MN_COUNT } from './vm-layout.js';
import { STEP_INV_END, STEP_INV_EVICT, STEP_INV_EVICTED, STEP_INV_START } from '../trace/trace-steps.js';
import { ST_EVICTIONS, ST_EVICTION_WAITS, ST_INVALIDATIONS, ST_INVAL_HOOK_US } from './thread-stats.js';
import { RANGE_FILE, RANGE_VPAGE, rangeBegin, rangeEnd } from './inval-ranges.js';

/** Slice of an eviction wait (each slice re-reads the vCPU's mode). */
const EVICTION_SLICE_MS = 2;

/**
 * Raises the active-invalidation count and records the range as in flight: from here on, a
 * refresh that races this event retries. `firstVpage` >= 0: host virtual pages [firstVpage,
 * +slotPages) (a window munmap); < 0: guest-RAM file page -1 - firstVpage (every alias of it).
 */
export function invalidateBegin(ctx: ModelContext, firstVpage: number): void {
  // Both before the hook takes any gpc lock (pairs with mmuNotifierRetryCache's loads).
  if (firstVpage >= 0) rangeBegin(ctx.vm, RANGE_VPAGE, firstVpage, firstVpage + ctx.host.mm.slotPages);
  else rangeBegin(ctx.vm, RANGE_FILE, -1 - firstVpage, -firstVpage);
  Atomics.add(ctx.vm, VM_MN_COUNT, 1);
  ctx.counters[ST_INVALIDATIONS]! += 1;
  traceStep(ctx, STEP_INV_START, -1, -1, -1, firstVpage);
}

/** The gpc hook for host virtual pages [firstVpage, firstVpage + pages). */
export function invalidateRangeHook(ctx: ModelContext, firstVpage: number, pages: number): void {
  const startedAt = performance.now();
  gpcInvalidateStart(ctx, firstVpage << ctx.pageShift, (firstVpage + pages) << ctx.pageShift);
  ctx.counters[ST_INVAL_HOOK_US]! += (performance.now() - startedAt) * 1000;
}

/**
 * Mainline's eviction request (the protocol step `evictionRequest`): the entry strategy's
 * `evictionRequest` (the run config's VM_EVICTION_REQUEST): with `generation` an actionable one
 * (GPC_INVALIDATE: the vCPU reloads its guest-uses pages before it re-enters); otherwise 0,
 * KVM_REQ_OUTSIDE_GUEST_MODE, which sets no request bit (history B8) and relies on the vCPU's
 * entry check.
 */
export function mainlineEvictionRequest(ctx: ModelContext): number {
  return ctx.evictionRequest;
}

/**
 * Evicts the vCPUs the hook collected: request + kick + WAIT until each has left guest mode. The
 * request bits are the run's protocol's (mainline: the strategy's, mainlineEvictionRequest above).
 */
export function evictCollectedVcpus(ctx: ModelContext): void {
  const bits = ctx.protocol.evictionRequest(ctx);
  for (let i = 0; i < ctx.evictCount; i++) {
    const v = ctx.evictList[i]!;
    ctx.evictMark[v] = 0;
    makeRequest(ctx.vcpus, v, bits);
    const w = kickVcpuForWait(ctx.vcpus, v);
    ctx.counters[ST_EVICTIONS]! += 1;
    if (w === -1) continue;
    traceStep(ctx, STEP_INV_EVICT, -1, -1, -1, v);
    const startedAt = performance.now();
    ctx.waitSink.begin(MODEL_WAIT_EVICTION, v);
    waitForSessionEnd(ctx.vcpus, v, w, EVICTION_SLICE_MS);
    ctx.waitSink.end();
    ctx.evictionLatency.record((performance.now() - startedAt) * 1000);
    ctx.counters[ST_EVICTION_WAITS]! += 1;
    traceStep(ctx, STEP_INV_EVICTED, -1, -1, -1, v);
  }
  ctx.evictCount = 0;
}

/**
 * invalidate_range_end: seq++ (and the range logged as ended, for the range-aware retry) then count-- (the smp_wmb side: pairs with mmuNotifierRetryCache's
 * "count, then seq" loads, so a refresher sees the raised count or the new seq).
 */
export function invalidateEnd(ctx: ModelContext, firstVpage: number): void {
  const seq = (Atomics.add(ctx.vm, VM_MMU_SEQ, 1) + 1) | 0;
  if (firstVpage >= 0) rangeEnd(ctx.vm, RANGE_VPAGE, firstVpage, firstVpage + ctx.host.mm.slotPages, seq);
  else rangeEnd(ctx.vm, RANGE_FILE, -1 - firstVpage, -firstVpage, seq);
  if (!isBugOn(BUG_INVALIDATE_END_LEAKS_COUNT)) Atomics.sub(ctx.vm, VM_MN_COUNT, 1);
  traceStep(ctx, STEP_INV_END, -1, -1, -1, firstVpage);
}
