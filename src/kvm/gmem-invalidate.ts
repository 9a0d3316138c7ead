/**
 * guest_memfd as an invalidation source that bypasses the MMU notifier (history B21), as Takahiro
 * Itazuri's RFC v2 7/7 "KVM: pfncache: Invalidate on gmem invalidation and memattr updates"
 * (20260226135309.29493-8-itazur@amazon.com) wires it: only the itazuri-gmem-rfc2 protocol creates
 * guest_memfd slots (SLOT_GMEM, ProtocolVariant.gmemBacked), so without it nothing here runs.
 *
 *   punch hole (__kvm_gmem_invalidate_start / _end, virt/kvm/guest_memfd.c):
 *     start: active_invalidate_count++ under invalidate_lock; for each slot bound to the range,
 *            gpc_invalidate_hva_range_start() on the slot's uhvas of it (gfn_to_hva_memslot: HVA
 *            ranges, so HVA-based caches are covered too); kvm_mmu_invalidate_start (in_progress++)
 *     the page is taken away
 *     end:   kvm_mmu_invalidate_end (seq++, smp_wmb, in_progress--) if bound; then count-- under
 *            invalidate_lock, and at 0 rcuwait_wake_up(memslots_update_rcuwait)
 *   conversion (kvm_vm_set_mem_attributes, virt/kvm/kvm_main.c, under slots_lock): the same
 *     bracket over every memslot overlapping the gfns (pre_set_range / post_set_range), but no wake
 *     of the memslot updater ("active memslots swap is also done while holding slots_lock").
 *
 * The count is the MMU notifier's (VM_MN_COUNT), renamed active_invalidate_count by 6/7 because it
 * now has more sources; the retry (gpc_invalidate_retry, mainline's mmu_notifier_retry_cache) is
 * unchanged. What the model does not have: the memattr path's serialization with memslot updates
 * (slots_lock): here a conversion runs on the notifier thread beside the control plane, and the
 * raised count keeps the updater from publishing until it ends (as it does for a punch hole).
 * The page change: a punch hole takes the file page's page away (zapFilePageLocked: its content goes
 * to the swap area, so the data oracles still hold; what matters to the caches is that the old page
 * is gone), a conversion gives the gfn another page (migrateFilePageLocked: the shared and private
 * copies are different pages). Both re-point or clear the host ptes as the mm would for a mapped
 * guest_memfd, but no MMU-notifier bracket runs.
 */
import { writeLock, writeUnlock } from '../sync/rwlock.js';
import { spinLock, spinUnlock } from '../sync/spinlock.js';
import { MM_LOCK } from '../mem/host-mm-layout.js';
import { migrateFilePageLocked, vpageToGfn, zapFilePageLocked } from '../mem/host-page-table.js';
import { CACHE_LINE_INTS } from '../mem/shared-buffer.js';
import { SLOT_BASE_GFN, SLOT_FLAGS, SLOT_GMEM, SLOT_INTS, SLOT_INVALID, SLOT_NPAGES, SLOT_PRESENT, SLOT_UHVA_VPAGE, activeCopy, copyBase, srcuReadLock, srcuReadUnlock } from '../mem/memslots.js';
import { checkInvalidatedRangeClear } from '../oracle/properties/state-invariant.js';
import { MM_GMEM_CONVERT, MM_GMEM_PUNCH_HOLE, STEP_GMEM_INV_END, STEP_GMEM_INV_START, STEP_MM_CHANGE } from '../trace/trace-steps.js';
import { BUG_GMEM_SKIPS_GPC_INVALIDATION, isBugOn } from './bug-switches.js';
import { gpcInvalidateStart } from './gpc-invalidate.js';
import { evictCollectedVcpus } from './mmu-notifier.js';
import { traceStep, type ModelContext } from './model-context.js';
import { putPageLocked } from './page-refs.js';
import { ST_GMEM_INVALIDATIONS, ST_MM_EVENTS } from './thread-stats.js';
import { VM_MMU_IN_PROGRESS, VM_MMU_SEQ, VM_MN_COUNT, VM_MN_INVALIDATE_LOCK, VM_MN_UPDATER_WAITING, VM_MN_UPDATER_WAKE } from './vm-layout.js';

export { MM_GMEM_CONVERT, MM_GMEM_PUNCH_HOLE };

/** Does the active memslots copy hold a guest_memfd slot? (Cold: the notifier asks once.) */
export function anyGmemSlot(ctx: ModelContext): boolean {
  const ms = ctx.ms;
  const idx = srcuReadLock(ms, ctx.thread);
  const base = copyBase(ms, activeCopy(ms)) + CACHE_LINE_INTS;
  let found = false;
  for (let s = 0; s < ms.maxSlots && !found; s++) {
    const flags = ms.mem[base + s * SLOT_INTS + SLOT_FLAGS]!;
    found = (flags & (SLOT_PRESENT | SLOT_GMEM)) === (SLOT_PRESENT | SLOT_GMEM);
  }
  srcuReadUnlock(ms, ctx.thread, idx);
  return found;
}

/** A gfn of a present guest_memfd slot of the active memslots, chosen at random, or -1 if none. */
export function pickGmemGfn(ctx: ModelContext): number {
  const ms = ctx.ms;
  const idx = srcuReadLock(ms, ctx.thread);
  const base = copyBase(ms, activeCopy(ms)) + CACHE_LINE_INTS;
  let chosen = -1;
  let seen = 0;
  for (let s = 0; s < ms.maxSlots; s++) {
    const at = base + s * SLOT_INTS;
    const flags = ms.mem[at + SLOT_FLAGS]!;
    if ((flags & (SLOT_PRESENT | SLOT_GMEM)) !== (SLOT_PRESENT | SLOT_GMEM) || (flags & SLOT_INVALID) !== 0) continue;
    // Reservoir choice of a slot, then a page in it.
    seen++;
    if (ctx.rng.below(seen) === 0) chosen = ms.mem[at + SLOT_BASE_GFN]! + ctx.rng.below(ms.mem[at + SLOT_NPAGES]!);
  }
  srcuReadUnlock(ms, ctx.thread, idx);
  return chosen;
}

/**
 * The bound slots' uhva of `gfn` (gfn_to_hva_memslot), as host virtual page, or -1: the slot of
 * the active memslots that holds gfn, if it is a guest_memfd slot (punch hole) or any slot
 * (conversion: kvm_for_each_memslot). Under the caller's SRCU read lock.
 */
function boundVpage(ctx: ModelContext, gfn: number, gmemOnly: boolean): number {
  const ms = ctx.ms;
  const base = copyBase(ms, activeCopy(ms)) + CACHE_LINE_INTS;
  for (let s = 0; s < ms.maxSlots; s++) {
    const at = base + s * SLOT_INTS;
    const flags = ms.mem[at + SLOT_FLAGS]!;
    if ((flags & SLOT_PRESENT) === 0 || (gmemOnly && (flags & SLOT_GMEM) === 0)) continue;
    const first = ms.mem[at + SLOT_BASE_GFN]!;
    if (gfn >= first && gfn < first + ms.mem[at + SLOT_NPAGES]!) return ms.mem[at + SLOT_UHVA_VPAGE]! + (gfn - first);
  }
  return -1;
}

/**
 * The start of a guest_memfd event on `gfn` (MM_GMEM_PUNCH_HOLE or MM_GMEM_CONVERT). The end
 * finds the same bound slot: the raised count keeps the memslot updater from publishing meanwhile.
 */
export function gmemInvalidateBegin(ctx: ModelContext, kind: number, gfn: number): void {
  const vm = ctx.vm;
  const idx = srcuReadLock(ctx.ms, ctx.thread);
  const vpage = boundVpage(ctx, gfn, kind === MM_GMEM_PUNCH_HOLE);
  srcuReadUnlock(ctx.ms, ctx.thread, idx);
  const reverted = isBugOn(BUG_GMEM_SKIPS_GPC_INVALIDATION);
  if (!reverted) {
    spinLock(vm, VM_MN_INVALIDATE_LOCK);
    Atomics.add(vm, VM_MN_COUNT, 1);
    spinUnlock(vm, VM_MN_INVALIDATE_LOCK);
  }
  ctx.counters[ST_GMEM_INVALIDATIONS]! += 1;
  traceStep(ctx, STEP_GMEM_INV_START, -1, gfn << ctx.pageShift, -1, gfn);
  if (vpage >= 0) {
    // gpc_invalidate_hva_range_start (5/7's name for gfn_to_pfn_cache_invalidate_start) on the HVA range.
    if (!reverted) gpcInvalidateStart(ctx, vpage << ctx.pageShift, (vpage + 1) << ctx.pageShift);
    // The oracle runs whatever the protocol did: no cache may stay valid on the range.
    checkInvalidatedRangeClear(ctx, vpage, 1);
    Atomics.add(vm, VM_MMU_IN_PROGRESS, 1);
  }
  evictCollectedVcpus(ctx);
}

/** The page change and the end of a guest_memfd event begun by gmemInvalidateBegin. */
export function gmemInvalidateFinish(ctx: ModelContext, kind: number, gfn: number): void {
  const host = ctx.host;
  const vm = ctx.vm;
  const idx = srcuReadLock(ctx.ms, ctx.thread);
  const vpage = boundVpage(ctx, gfn, kind === MM_GMEM_PUNCH_HOLE);
  srcuReadUnlock(ctx.ms, ctx.thread, idx);
  writeLock(host.mm.mem, MM_LOCK);
  // The guest_memfd file page behind the gfn (the bound slot's window), else the gfn's own.
  const filePage = vpage >= 0 ? vpageToGfn(host.mm, vpage) : -1;
  let old = -1;
  if (filePage >= 0) old = kind === MM_GMEM_PUNCH_HOLE ? zapFilePageLocked(host, filePage, ctx.aliases) : migrateFilePageLocked(host, ctx.rng, filePage, ctx.aliases);
  traceStep(ctx, STEP_MM_CHANGE, -1, gfn << ctx.pageShift, old, kind);
  if (old >= 0) putPageLocked(ctx, -1, old);
  writeUnlock(host.mm.mem, MM_LOCK);
  ctx.counters[ST_MM_EVENTS]! += 1;
  if (vpage >= 0) {
    // kvm_mmu_invalidate_end: seq++ (smp_wmb), in_progress--; before the count drops (7/7's comment).
    Atomics.add(vm, VM_MMU_SEQ, 1);
    Atomics.sub(vm, VM_MMU_IN_PROGRESS, 1);
  }
  traceStep(ctx, STEP_GMEM_INV_END, -1, gfn << ctx.pageShift, -1, gfn);
  if (isBugOn(BUG_GMEM_SKIPS_GPC_INVALIDATION)) return;
  let wake = false;
  spinLock(vm, VM_MN_INVALIDATE_LOCK);
  wake = Atomics.sub(vm, VM_MN_COUNT, 1) === 1;
  spinUnlock(vm, VM_MN_INVALIDATE_LOCK);
  // Only the punch hole wakes the memslot updater (kvm_vm_set_mem_attributes holds slots_lock).
  if (wake && kind === MM_GMEM_PUNCH_HOLE && Atomics.load(vm, VM_MN_UPDATER_WAITING) !== 0) {
    Atomics.add(vm, VM_MN_UPDATER_WAKE, 1);
    Atomics.notify(vm, VM_MN_UPDATER_WAKE);
  }
}
