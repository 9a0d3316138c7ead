/**
 * mmu_notifier_retry_cache: must hva_to_pfn_retry try again? The one place the retry predicate
 * lives, with its two variants (the run config's VM_RETRY_MODE, `--retry`):
 *
 * - `any` (upstream, 6.17): retry if any invalidation is in flight (count != 0) or the seq moved.
 *   The count is raised before the notifier's gpc hook takes any gpc lock and lowered only after
 *   the seq moved (invalidateEnd). So a refresher that snapshotted `seq` under the write lock
 *   either sees the count still raised, or sees the new seq: reading the count first, then the
 *   seq, pairs with the end hook's "seq++ then count--" (the kernel's smp_rmb / smp_wmb pair;
 *   here both sides are sequentially consistent Atomics). Under a stream of overlapping
 *   invalidations of unrelated pages the count never reaches 0 and the refresh spins (history B20).
 * - `range` (Sean Christopherson's counter-proposal, Zw8DINUkJJKDByXE@google.com): retry only if an
 *   invalidation overlapping the cache's page is in flight, or one ended since the snapshot
 *   (src/kvm/inval-ranges.ts keeps both).
 */
import { overlappingInvalidationSince } from './inval-ranges.js';
import { RETRY_RANGE, VM_MMU_SEQ, VM_MN_COUNT, VM_RETRY_MODE } from './vm-layout.js';

/** `gfn`: the guest-RAM file page the refresh resolves; `vpage`: its host virtual page. */
export function mmuNotifierRetryCache(vm: Int32Array, seqSnapshot: number, gfn: number, vpage: number): boolean {
  if (vm[VM_RETRY_MODE] === RETRY_RANGE) return overlappingInvalidationSince(vm, seqSnapshot, gfn, vpage);
  if (Atomics.load(vm, VM_MN_COUNT) !== 0) return true;
  return Atomics.load(vm, VM_MMU_SEQ) !== seqSnapshot;
}
