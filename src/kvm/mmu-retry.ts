/**
 * mmu_notifier_retry_cache: must hva_to_pfn_retry try again? The protocol step `retryPredicate`
 * (src/kvm/protocols/protocol-variant.ts): `mmuNotifierRetryCache` is the entry point the refresh
 * calls, and it dispatches to the run's variant (`--protocol`).
 *
 * Mainline (upstream, 6.17), `mainlineRetryCache`: retry if any invalidation is in flight
 * (count != 0) or the seq moved. The count is raised before the notifier's gpc hook takes any gpc
 * lock and lowered only after the seq moved (invalidateEnd). So a refresher that snapshotted `seq`
 * under the write lock either sees the count still raised, or sees the new seq: reading the count
 * first, then the seq, pairs with the end hook's "seq++ then count--" (the kernel's smp_rmb /
 * smp_wmb pair; here both sides are sequentially consistent Atomics). Under a stream of
 * overlapping invalidations of unrelated pages the count never reaches 0 and the refresh spins
 * (history B20). Sean Christopherson's range-aware counter-proposal is the `range-retry` variant
 * (src/kvm/protocols/range-retry.ts).
 */
import type { ModelContext } from './model-context.js';
import { VM_MMU_SEQ, VM_MN_COUNT } from './vm-layout.js';

/** `gfn`: the guest-RAM file page the refresh resolves; `vpage`: its host virtual page; `g`: the cache. */
export function mmuNotifierRetryCache(ctx: ModelContext, seqSnapshot: number, gfn: number, vpage: number, g: number): boolean {
  return ctx.protocol.retryPredicate(ctx, seqSnapshot, gfn, vpage, g);
}

/** Upstream's predicate: any invalidation in flight, or one ended since the snapshot. */
export function mainlineRetryCache(ctx: ModelContext, seqSnapshot: number, _gfn: number, _vpage: number): boolean {
  // if (kvm->mn_active_invalidate_count) return true;
  if (Atomics.load(ctx.vm, VM_MN_COUNT) !== 0) return true;
  // smp_rmb(), pairing with the smp_wmb() between seq++ and in_progress-- in
  // kvm_mmu_invalidate_end: both loads are sequentially consistent Atomics, so the count is read
  // before the seq (and the notifier's seq++ is ordered before its count--), which is that order.
  return Atomics.load(ctx.vm, VM_MMU_SEQ) !== seqSnapshot;
}
