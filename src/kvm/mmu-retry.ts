/**
 * mmu_notifier_retry_cache: must hva_to_pfn_retry try again? The one place the retry predicate
 * lives (a range-aware variant for history B20 will be selected here).
 *
 * The count is raised before the notifier's gpc hook takes any gpc lock and lowered only after
 * the seq moved (invalidateRangeEnd). So a refresher that snapshotted `seq` under the write lock
 * either sees the count still raised, or sees the new seq: reading the count first, then the seq,
 * pairs with the end hook's "seq++ then count--" (the kernel's smp_rmb / smp_wmb pair; here both
 * sides are sequentially consistent Atomics).
 */
import { VM_MMU_SEQ, VM_MN_COUNT } from './vm-layout.js';

export function mmuNotifierRetryCache(vm: Int32Array, seqSnapshot: number): boolean {
  if (Atomics.load(vm, VM_MN_COUNT) !== 0) return true;
  return Atomics.load(vm, VM_MMU_SEQ) !== seqSnapshot;
}
