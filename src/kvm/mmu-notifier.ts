/**
 * The MMU notifier as KVM implements it (virt/kvm/kvm_main.c, 6.17; DESIGN 5.5):
 *
 *   kvm_mmu_notifier_invalidate_range_start: count++ under mn_invalidate_lock (invalidateBegin),
 *     the gpc hook unconditionally on the raw range (invalidateRangeHook), then
 *     kvm_handle_hva_range with on_lock = kvm_mmu_invalidate_begin: in_progress++ only if the
 *     range overlaps a slot of the active memslots (invalidateHandleRangeBegin); then the eviction
 *     of guest-uses vCPUs (evictCollectedVcpus: the Griffoul series, no mainline counterpart).
 *   kvm_mmu_notifier_invalidate_range_end (invalidateEnd): kvm_handle_hva_range with on_lock =
 *     kvm_mmu_invalidate_end (seq++, smp_wmb, in_progress--) only if the range overlaps a slot;
 *     then count-- under mn_invalidate_lock, and the 1 -> 0 transition wakes the memslot updater
 *     (rcuwait_wake_up of mn_memslots_update_rcuwait).
 *
 * The overlap test runs twice against the active memslots and gives the same answer both times:
 * the updater cannot publish while the count is raised (kvm_swap_active_memslots waits for 0
 * under the same lock). Between the two the mm changes the ptes and frees the old page.
 */
import { gpcInvalidateStart } from './gpc-invalidate.js';
import { BUG_INVALIDATE_END_LEAKS_COUNT, isBugOn } from './bug-switches.js';
import { FIX_HVA_SEQ_MISS, isFixOn } from './fix-switches.js';
import { MODEL_WAIT_EVICTION } from './model-wait.js';
import { kickVcpuForWait, makeRequest, waitForSessionEnd } from './vcpu-kick.js';
import { traceStep, type ModelContext } from './model-context.js';
import {
  VM_INVALIDATIONS_ENDED,
  VM_MMU_IN_PROGRESS,
  VM_MMU_SEQ,
  VM_MN_COUNT,
  VM_MN_INVALIDATE_LOCK,
  VM_MN_UPDATER_WAITING,
  VM_MN_UPDATER_WAKE,
} from './vm-layout.js';
import { STEP_INV_END, STEP_INV_END_NO_MEMSLOT, STEP_INV_EVICT, STEP_INV_EVICTED, STEP_INV_START } from '../trace/trace-steps.js';
import { ST_EVICTIONS, ST_EVICTION_WAITS, ST_INVALIDATIONS, ST_INVAL_HOOK_US, ST_INVAL_OUTSIDE_MEMSLOTS } from './thread-stats.js';
import { RANGE_FILE, RANGE_VPAGE, rangeBegin, rangeEnd, rangeRelease } from './inval-ranges.js';
import { spinLock, spinUnlock } from '../sync/spinlock.js';
import { hvaRangeHitsMemslot, srcuReadLock, srcuReadUnlock } from '../mem/memslots.js';
import { aliasVpagesOf } from '../mem/host-page-table.js';
import type { ProtocolSteps } from './protocols/protocol-variant.js';

/** Slice of an eviction wait (each slice re-reads the vCPU's mode). */
const EVICTION_SLICE_MS = 2;

/**
 * invalidate_range_start's first step: mn_active_invalidate_count++ under mn_invalidate_lock, for
 * every invalidation (overlapping a memslot or not); the range is logged as in flight first (for
 * the range-retry variant). From here on, a refresh that races this event retries (the count is
 * raised before the hook takes any gpc lock: pairs with mmuNotifierRetryCache's loads).
 * `firstVpage` >= 0: host virtual pages [firstVpage, +slotPages) (a window munmap); < 0: guest-RAM
 * file page -1 - firstVpage (every alias of it).
 */
export function invalidateBegin(ctx: ModelContext, firstVpage: number): void {
  if (firstVpage >= 0) rangeBegin(ctx.vm, RANGE_VPAGE, firstVpage, firstVpage + ctx.host.mm.slotPages);
  else rangeBegin(ctx.vm, RANGE_FILE, -1 - firstVpage, -firstVpage);
  const rangeStart = ctx.protocol.rangeStartLocked;
  spinLock(ctx.vm, VM_MN_INVALIDATE_LOCK);
  const before = Atomics.add(ctx.vm, VM_MN_COUNT, 1);
  // A variant's range record, under the lock after count++ (dwmw2-range-2024, v3 2/5); mainline has none.
  if (rangeStart !== undefined) rangeStartUhvas(ctx, firstVpage, before === 0, rangeStart);
  spinUnlock(ctx.vm, VM_MN_INVALIDATE_LOCK);
  ctx.counters[ST_INVALIDATIONS]! += 1;
  traceStep(ctx, STEP_INV_START, -1, -1, -1, firstVpage);
}

/**
 * The invalidated uhva range [start, end) in bytes a range-tracking variant records: a window
 * munmap's pages, or the span of every host virtual alias of a file page (the kernel calls the
 * notifier once per mapping; the model's one event covers them all, so the smallest range that
 * holds every alias stands for them). Uses ctx.aliases as scratch. Only with the step present.
 */
function rangeStartUhvas(ctx: ModelContext, firstVpage: number, firstCount: boolean, step: NonNullable<ProtocolSteps['rangeStartLocked']>): void {
  const shift = ctx.pageShift;
  if (firstVpage >= 0) {
    step(ctx, firstVpage << shift, (firstVpage + ctx.host.mm.slotPages) << shift, firstCount);
    return;
  }
  const n = aliasVpagesOf(ctx.host.mm, -1 - firstVpage, ctx.aliases);
  let lo = 0x7fffffff;
  let hi = -1;
  for (let i = 0; i < n; i++) {
    const v = ctx.aliases[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  // No alias: an empty range, which the variant records like any other (the union is unchanged).
  if (hi < 0) step(ctx, 0, 0, firstCount);
  else step(ctx, lo << shift, (hi + 1) << shift, firstCount);
}

/**
 * A variant's gpc hook at invalidate_range_end (dwmw2-range-2024, v3 4/5), on the same host
 * virtual pages the range_start hook covers: a window's pages, or each alias of the file page.
 */
function invalidateRangeHookAtEnd(ctx: ModelContext, firstVpage: number, hook: NonNullable<ProtocolSteps['invalidationHookAtEnd']>): void {
  const shift = ctx.pageShift;
  if (firstVpage >= 0) {
    hook(ctx, firstVpage << shift, (firstVpage + ctx.host.mm.slotPages) << shift);
    return;
  }
  const n = aliasVpagesOf(ctx.host.mm, -1 - firstVpage, ctx.aliases);
  for (let i = 0; i < n; i++) hook(ctx, ctx.aliases[i]! << shift, (ctx.aliases[i]! + 1) << shift);
}

/**
 * kvm_handle_hva_range's test (the hva_tree walk of the active memslots, under srcu_read_lock):
 * does the invalidated host virtual range overlap a slot? A window munmap covers the window's
 * pages; a file-page event covers every host virtual alias of the page (each alias vpage is
 * tested). Uses ctx.aliases as scratch.
 */
function invalidationHitsMemslot(ctx: ModelContext, firstVpage: number): boolean {
  const ms = ctx.ms;
  const idx = srcuReadLock(ms, ctx.thread);
  let hit = false;
  if (firstVpage >= 0) {
    hit = hvaRangeHitsMemslot(ms, firstVpage, firstVpage + ctx.host.mm.slotPages);
  } else {
    const n = aliasVpagesOf(ctx.host.mm, -1 - firstVpage, ctx.aliases);
    for (let i = 0; i < n && !hit; i++) hit = hvaRangeHitsMemslot(ms, ctx.aliases[i]!, ctx.aliases[i]! + 1);
  }
  srcuReadUnlock(ms, ctx.thread, idx);
  return hit;
}

/**
 * invalidate_range_start's kvm_handle_hva_range (on_lock = kvm_mmu_invalidate_begin), after the
 * gpc hook: in_progress++ only if the range overlaps a slot of the active memslots.
 */
export function invalidateHandleRangeBegin(ctx: ModelContext, firstVpage: number): void {
  if (invalidationHitsMemslot(ctx, firstVpage)) Atomics.add(ctx.vm, VM_MMU_IN_PROGRESS, 1);
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
 * invalidate_range_end. kvm_handle_hva_range (on_lock = kvm_mmu_invalidate_end), only if the range
 * overlaps a slot of the active memslots (the same ones invalidate_range_start saw): seq++ (the
 * range logged as ended at it, for the range-retry variant), then smp_wmb, then in_progress--.
 * The wmb is the seq's Atomics.add: sequentially consistent, so the new seq is visible before
 * in_progress and the count drop. Then count-- under mn_invalidate_lock; if that made it 0, wake
 * the memslot updater (rcuwait_wake_up, after the unlock). mmuNotifierRetryCache's "count, then
 * seq" loads pair with this "seq, then count": a refresher sees the raised count or the new seq,
 * but a range outside every memslot moves only the count (docs/UPSTREAM-SPEC.md S1).
 */
export function invalidateEnd(ctx: ModelContext, firstVpage: number): void {
  const vm = ctx.vm;
  const kind = firstVpage >= 0 ? RANGE_VPAGE : RANGE_FILE;
  const lo = firstVpage >= 0 ? firstVpage : -1 - firstVpage;
  const hi = firstVpage >= 0 ? firstVpage + ctx.host.mm.slotPages : -firstVpage;
  // Model instrument (no kernel counterpart, src/kvm/gpc-seqless-window.ts): this invalidation's mm
  // change is done; counted before any seq++ below, so a refresh whose seq snapshot predates that
  // seq++ never counts it as ended in its window.
  Atomics.add(vm, VM_INVALIDATIONS_ENDED, 1);
  if (invalidationHitsMemslot(ctx, firstVpage)) {
    const seq = (Atomics.add(vm, VM_MMU_SEQ, 1) + 1) | 0;
    rangeEnd(vm, kind, lo, hi, seq);
    Atomics.sub(vm, VM_MMU_IN_PROGRESS, 1);
    traceStep(ctx, STEP_INV_END, -1, -1, -1, firstVpage);
  } else {
    // kvm_handle_hva_range found no slot: on_lock (kvm_mmu_invalidate_end) does not run, no seq++
    // (docs/UPSTREAM-SPEC.md 1.3-1.4). --fix hva-seq-miss (S1, src/kvm/fix-switches.ts): the seq
    // moves anyway, so a refresh whose unlocked window this invalidation ended in retries.
    if (isFixOn(FIX_HVA_SEQ_MISS)) Atomics.add(vm, VM_MMU_SEQ, 1);
    rangeRelease(vm, kind, lo, hi);
    ctx.counters[ST_INVAL_OUTSIDE_MEMSLOTS]! += 1;
    traceStep(ctx, STEP_INV_END_NO_MEMSLOT, -1, -1, -1, firstVpage);
  }
  // A variant's gpc hook at range_end, before the count drops (dwmw2-range-2024); mainline has none.
  const hookAtEnd = ctx.protocol.invalidationHookAtEnd;
  if (hookAtEnd !== undefined) invalidateRangeHookAtEnd(ctx, firstVpage, hookAtEnd);
  let wake = false;
  spinLock(vm, VM_MN_INVALIDATE_LOCK);
  if (!isBugOn(BUG_INVALIDATE_END_LEAKS_COUNT)) wake = Atomics.sub(vm, VM_MN_COUNT, 1) === 1;
  spinUnlock(vm, VM_MN_INVALIDATE_LOCK);
  // A variant's wake at the 1 -> 0 transition (dwmw2-range-2024: wake_up(&kvm->gpc_invalidate_wq)).
  if (wake && ctx.protocol.countZeroWake !== undefined) ctx.protocol.countZeroWake(ctx);
  if (wake && Atomics.load(vm, VM_MN_UPDATER_WAITING) !== 0) {
    Atomics.add(vm, VM_MN_UPDATER_WAKE, 1);
    Atomics.notify(vm, VM_MN_UPDATER_WAKE);
  }
}
