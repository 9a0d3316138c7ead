/**
 * `dwmw2-range-2024`: David Woodhouse's livelock series as posted, v3 patches 1-4 (21 Aug 2024,
 * 20240821202814.711673-1..4-dwmw2@infradead.org; not merged; history B20). Patch 5/5 is the
 * gpc_test hack, not modelled. Each step below names the patch it models:
 *
 *   1/5 "KVM: pfncache: Add needs_invalidation flag to gfn_to_pfn_cache": hva_to_pfn_retry sets
 *       gpc->needs_invalidation under the write lock before it drops it; the invalidation tests
 *       and clears that flag (with valid) instead of testing valid; the loop goes round again
 *       while the flag is clear.
 *   2/5 "KVM: pfncache: Implement range-based invalidation check for hva_to_pfn_retry()":
 *       kvm_mmu_notifier_invalidate_range_start keeps kvm->mmu_gpc_invalidate_range_start/_end
 *       under mn_invalidate_lock: the first invalidation (count 1) sets it, a concurrent one
 *       widens it to the smallest range holding both (it persists until the count is 0 again);
 *       gpc_invalidations_pending() = count && start <= uhva < end. mmu_notifier_retry_cache and
 *       the seq snapshot are gone.
 *   3/5 "KVM: pfncache: Wait for pending invalidations instead of spinning": gpc_invalidate_wq,
 *       woken at the count's 1 -> 0 in range_end; gpc_wait_for_invalidations() sleeps on it while
 *       an invalidation covering the uhva is pending.
 *   4/5 "KVM: pfncache: Move invalidation to invalidate_range_end hook": the gpc hook
 *       (gfn_to_pfn_cache_invalidate) runs in kvm_mmu_notifier_invalidate_range_end, after
 *       kvm_handle_hva_range and before the count drops; range_start no longer touches the
 *       caches; hva_to_pfn_retry waits (gpc_wait_for_invalidations) after hva_to_pfn and the map,
 *       before it retakes the write lock, and loops `while (!gpc->needs_invalidation)`.
 *
 * Not modelled: 1/5's clears of needs_invalidation in the refresh error path and in
 * kvm_gpc_deactivate (both leave pfn = KVM_PFN_ERR_FAULT, which the hook's
 * !is_error_noslot_pfn(gpc->pfn) test skips anyway, so no invalidation decision changes), and
 * kvm_gpc_check's WARN_ON_ONCE(!needs_invalidation). Sean Christopherson's review of 4/5
 * (Zw8GBOtvNhPhSzuw@google.com): moving the invalidation to range_end breaks the MMU-notifier
 * contract (a secondary MMU must drop its mapping in range_start): the model's notifier checks
 * that contract as range_start returns (state-invariant) and its page oracles see any use after
 * the mm freed the page.
 */
import { invalidateListedCaches, mainlineGpcInvalidateStart } from '../gpc-invalidate.js';
import { gateBlockOnWord, schedGated } from '../../sched/turn-gate.js';
import { FIX_DWMW2_INVALIDATE_AT_START, isFixOn } from '../fix-switches.js';
import { G_CURRENT_RETRIES, G_NEEDS_INVALIDATION, G_UHVA, gpcBase } from '../gpc-layout.js';
import type { ModelContext } from '../model-context.js';
import { MODEL_WAIT_GPC_INVALIDATIONS } from '../model-wait.js';
import { evictCollectedVcpus } from '../mmu-notifier.js';
import { ST_GPC_INVAL_WAITS } from '../thread-stats.js';
import { VM_GPC_INVALIDATE_WQ, VM_GPC_INVAL_RANGE_END, VM_GPC_INVAL_RANGE_START, VM_MN_COUNT, VM_MN_INVALIDATE_LOCK } from '../vm-layout.js';
import { spinLock, spinUnlock } from '../../sync/spinlock.js';
import type { ProtocolVariant } from './protocol-variant.js';

/** Slice of a gpc_invalidate_wq sleep (each slice re-tests the condition: a lost wake costs one slice). */
const WAIT_SLICE_MS = 2;

/** 2/5 in kvm_mmu_notifier_invalidate_range_start, under mn_invalidate_lock after count++. */
export function dwmw2RecordInvalidateRange(ctx: ModelContext, start: number, end: number, firstCount: boolean): void {
  recordInvalidateRangeLocked(ctx.vm, start, end, firstCount);
}

/** The range record itself on the VM buffer (mn_invalidate_lock held). */
export function recordInvalidateRangeLocked(vm: Int32Array, start: number, end: number, firstCount: boolean): void {
  if (firstCount) {
    Atomics.store(vm, VM_GPC_INVAL_RANGE_START, start);
    Atomics.store(vm, VM_GPC_INVAL_RANGE_END, end);
    return;
  }
  // "Keep things simple and just find the minimal range which includes the current and new ranges."
  if (start < Atomics.load(vm, VM_GPC_INVAL_RANGE_START)) Atomics.store(vm, VM_GPC_INVAL_RANGE_START, start);
  if (end > Atomics.load(vm, VM_GPC_INVAL_RANGE_END)) Atomics.store(vm, VM_GPC_INVAL_RANGE_END, end);
}

/**
 * 2/5's gpc_invalidations_pending(), under mn_invalidate_lock: an invalidation covering the uhva is
 * in flight. Atomics.load, not plain loads: the caller re-tests in a loop and the JIT must not
 * keep the first values (the lock's Atomics order them; the kernel's spinlock is the compiler barrier).
 */
export function invalidationsPendingLocked(vm: Int32Array, uhva: number): boolean {
  return Atomics.load(vm, VM_MN_COUNT) !== 0 && Atomics.load(vm, VM_GPC_INVAL_RANGE_START) <= uhva && Atomics.load(vm, VM_GPC_INVAL_RANGE_END) > uhva;
}

/** 1/5 in hva_to_pfn_retry, under the write lock before it is dropped: gpc->needs_invalidation = true. */
export function dwmw2MarkNeedsInvalidation(ctx: ModelContext, g: number): void {
  ctx.gpcs[gpcBase(g) + G_NEEDS_INVALIDATION] = 1;
}

/**
 * 3/5 + 4/5: gpc_wait_for_invalidations() in hva_to_pfn_retry after hva_to_pfn and the map, no gpc
 * lock held (refresh_lock held, so the uhva is stable): under mn_invalidate_lock, while an
 * invalidation covering the uhva is pending, prepare_to_wait on gpc_invalidate_wq, unlock,
 * schedule(), relock. A refresh that waits has not completed: the livelock watch sees the wait
 * as one more round in progress (G_CURRENT_RETRIES + 1, which the next round or the install
 * overwrites), so a wait that never ends is reported like a retry loop that never ends.
 */
export function dwmw2WaitForInvalidations(ctx: ModelContext, g: number): void {
  const vm = ctx.vm;
  const base = gpcBase(g);
  const uhva = ctx.gpcs[base + G_UHVA]!;
  spinLock(vm, VM_MN_INVALIDATE_LOCK);
  if (invalidationsPendingLocked(vm, uhva)) {
    ctx.counters[ST_GPC_INVAL_WAITS]! += 1;
    Atomics.store(ctx.gpcs, base + G_CURRENT_RETRIES, (ctx.gpcs[base + G_CURRENT_RETRIES]! + 1) | 0);
    ctx.waitSink.begin(MODEL_WAIT_GPC_INVALIDATIONS, g);
    for (;;) {
      // prepare_to_wait: read the wake word before the test, so a wake after it is not lost.
      const word = Atomics.load(vm, VM_GPC_INVALIDATE_WQ);
      if (!invalidationsPendingLocked(vm, uhva)) break;
      spinUnlock(vm, VM_MN_INVALIDATE_LOCK);
      // Under a controlled schedule: blocked on the wake word, the turn handed over (src/sched/).
      if (schedGated) gateBlockOnWord(vm, VM_GPC_INVALIDATE_WQ, word);
      else Atomics.wait(vm, VM_GPC_INVALIDATE_WQ, word, WAIT_SLICE_MS);
      spinLock(vm, VM_MN_INVALIDATE_LOCK);
    }
    ctx.waitSink.end();
  }
  spinUnlock(vm, VM_MN_INVALIDATE_LOCK);
}

/** 3/5 in kvm_mmu_notifier_invalidate_range_end at the count's 1 -> 0: wake_up(&kvm->gpc_invalidate_wq). */
export function dwmw2WakeGpcWaiters(ctx: ModelContext): void {
  Atomics.add(ctx.vm, VM_GPC_INVALIDATE_WQ, 1);
  Atomics.notify(ctx.vm, VM_GPC_INVALIDATE_WQ);
}

/**
 * 4/5: range_start no longer invalidates the caches. --fix dwmw2-invalidate-at-start
 * (src/kvm/fix-switches.ts) puts mainline's hook back here, as the MMU-notifier contract asks.
 */
export function dwmw2NoInvalidationAtStart(ctx: ModelContext, start: number, end: number): void {
  if (isFixOn(FIX_DWMW2_INVALIDATE_AT_START)) mainlineGpcInvalidateStart(ctx, start, end);
}

/**
 * 1/5 + 4/5: gfn_to_pfn_cache_invalidate() from range_end: the walk of mainline's hook on
 * needs_invalidation (cleared with valid). A guest-uses cache (not in this series: the mode was
 * removed in 6.9) has its vCPU evicted here, as the range_start hook would have.
 */
export function dwmw2InvalidateAtEnd(ctx: ModelContext, start: number, end: number): void {
  invalidateListedCaches(ctx, start, end, G_NEEDS_INVALIDATION);
  if (ctx.evictCount > 0) evictCollectedVcpus(ctx);
}

/** 1/5 + 4/5: `} while (!gpc->needs_invalidation);` (the seq snapshot is no longer read). */
export function dwmw2RetryUnlessNeedsInvalidation(ctx: ModelContext, _seqSnapshot: number, _gfn: number, _vpage: number, g: number): boolean {
  return ctx.gpcs[gpcBase(g) + G_NEEDS_INVALIDATION] === 0;
}

const SERIES = '20240821202814.711673-1..4-dwmw2@infradead.org';

export const DWMW2_RANGE_2024: ProtocolVariant = {
  name: 'dwmw2-range-2024',
  summary: 'needs_invalidation flag, gpc invalidation moved to invalidate_range_end, wait (range-based) before valid: dwmw2 v3 1-4/5 (history B20, not merged)',
  source: `David Woodhouse, "KVM: pfncache: ..." v3 1-4/5, 21 Aug 2024 (${SERIES}); reviewed in Zw8DINUkJJKDByXE@google.com, Zw8GBOtvNhPhSzuw@google.com`,
  steps: {
    retryPredicate: dwmw2RetryUnlessNeedsInvalidation,
    invalidationHook: dwmw2NoInvalidationAtStart,
    rangeStartLocked: dwmw2RecordInvalidateRange,
    invalidationHookAtEnd: dwmw2InvalidateAtEnd,
    countZeroWake: dwmw2WakeGpcWaiters,
    retryBeforeUnlock: dwmw2MarkNeedsInvalidation,
    retryBeforeRelock: dwmw2WaitForInvalidations,
  },
  stepSources: {
    retryPredicate: 'hva_to_pfn_retry(): } while (!gpc->needs_invalidation); (v3 1/5 20240821202814.711673-1, 2/5 -2, 4/5 -4)',
    invalidationHook: 'kvm_mmu_notifier_invalidate_range_start(): gfn_to_pfn_cache_invalidate_start() call removed (v3 4/5, 20240821202814.711673-4-dwmw2@infradead.org)',
    rangeStartLocked: 'kvm_mmu_notifier_invalidate_range_start(): mmu_gpc_invalidate_range_start/_end, set at count 1, widened (min/max) otherwise (v3 2/5, 20240821202814.711673-2-dwmw2@infradead.org)',
    invalidationHookAtEnd: 'kvm_mmu_notifier_invalidate_range_end(): gfn_to_pfn_cache_invalidate() on needs_invalidation, clearing it and valid (v3 1/5 -1, 4/5 -4)',
    countZeroWake: 'kvm_mmu_notifier_invalidate_range_end(): wake_up(&kvm->gpc_invalidate_wq) at the count 1 -> 0 (v3 3/5, 20240821202814.711673-3-dwmw2@infradead.org)',
    retryBeforeUnlock: 'hva_to_pfn_retry(): gpc->needs_invalidation = true before write_unlock_irq() (v3 1/5, 20240821202814.711673-1-dwmw2@infradead.org)',
    retryBeforeRelock: 'hva_to_pfn_retry(): gpc_wait_for_invalidations() after hva_to_pfn()/gpc_map(), before write_lock_irq() (v3 3/5 -3, 4/5 -4)',
  },
  // Host-uses caches only: the series (Aug 2024) postdates the removal of KVM_GUEST_USES_PFN (6.9).
  workloads: ['steal', 'xen', 'runstate'],
  inapplicableBugs: {
    'guest-uses-no-evict': 'a guest-uses (nested) cache switch: the series has no guest-uses caches (KVM_GUEST_USES_PFN was removed in 6.9, a4bff3df5147), and its workloads have none',
    'entry-check-before-mode': 'a guest-uses (nested) entry-check switch: the series has no guest-uses caches, so no vmentry check of them',
  },
};
