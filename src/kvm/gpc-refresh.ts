/**
 * __kvm_gpc_refresh and hva_to_pfn_retry (DESIGN 5.3). Called with gpc.refreshLock held (by
 * refresh and activate), from an SRCU read section, with no gpc lock held.
 */
import { assertHeld } from '../sync/lockdep.js';
import { writeLock, writeUnlock } from '../sync/rwlock.js';
import { checkCacheStateLocked } from '../oracle/access-oracles.js';
import { checkNotValidAfterRelockLocked } from '../oracle/properties/state-invariant.js';
import { condResched } from './pacing.js';
import { gfnToVpage, memslotsGeneration } from '../mem/memslots.js';
import { EFAULT, EINVAL } from '../util/errno.js';
import {
  BUG_KHVA_KEEPS_OLD_OFFSET,
  BUG_REFRESH_ERROR_PUTS_OLD_PAGE,
  BUG_REFRESH_IGNORES_ACTIVE,
  BUG_REFRESH_REUSE_LEAKS_REF,
  BUG_REFRESH_SKIPS_RETRY,
  BUG_REFRESH_VALID_BEFORE_RESOLVE,
  isBugOn,
} from './bug-switches.js';
import {
  G_ACTIVE,
  G_CURRENT_RETRIES,
  G_GENERATION,
  G_GPA,
  G_INSTALL_EPOCH,
  G_KHVA,
  G_MAX_RETRIES,
  G_PFN,
  G_REFRESHES,
  G_REFRESH_FAILS,
  G_RETRIES,
  G_UHVA,
  G_VALID,
  GPC_LOCK,
  GPC_REFRESH_LOCK,
  gpcBase,
} from './gpc-layout.js';
import { gpcMap, gpcUnmap } from './gpc-mapping.js';
import { kvmReleasePageClean, kvmReleasePageUnused } from './host-fault.js';
import { putPage } from './page-refs.js';
import { mmuNotifierRetryCache } from './mmu-retry.js';
import { invalidationsEndedNow, noteInvalidationInWindow } from './gpc-seqless-window.js';
import { vpageToGfn } from '../mem/host-page-table.js';
import { countCheck, finding, traceStep, type ModelContext } from './model-context.js';
import { modelNowMs, schedGated } from '../sched/turn-gate.js';
import { LIVELOCK_REFRESH_RETRYING, PROP_LIVELOCK } from '../oracle/properties/livelock.js';

/** Under a controlled schedule: a refresh retrying this many times is a livelock finding (the wall-clock watch is off there). */
export const SCHEDULED_LIVELOCK_RETRIES = 2000;
import { VM_MMU_SEQ, VM_MN_COUNT } from './vm-layout.js';
import {
  STEP_REFRESH_FAIL,
  STEP_REFRESH_FAULTED,
  STEP_REFRESH_INSTALL,
  STEP_REFRESH_RETRY,
  STEP_REFRESH_START,
  STEP_REFRESH_UNLOCKED,
} from '../trace/trace-steps.js';
import { ST_MAX_RETRIES, ST_REFRESHES, ST_REFRESH_FAILS, ST_REFRESH_RETRIES } from './thread-stats.js';

/**
 * __kvm_gpc_refresh(gpc, gpa): re-derive gpa -> uhva if the gpa, the generation or the uhva is
 * stale; if not valid or the uhva changed, hva_to_pfn_retry; else only khva's offset moves.
 * `hva` is -1 for a GPA cache; for an HVA cache (gpa -1) it is the caller's uhva: the HVA branch
 * (docs/UPSTREAM-SPEC.md 4.3 step 3) reads no memslot and leaves the generation stale and unused.
 * On error valid/pfn/khva are cleared. The old mapping is unmapped after every lock is dropped.
 */
export function gpcRefreshLocked(ctx: ModelContext, g: number, gpa: number, hva: number): number {
  const gpcs = ctx.gpcs;
  const base = gpcBase(g);
  const mask = ctx.offsetMask;
  assertHeld(gpcs, base + GPC_REFRESH_LOCK, 'write');
  // WARN_ON_ONCE(kvm_is_error_gpa(gpa) == kvm_is_error_hva(uhva)) -> -EINVAL.
  if ((gpa < 0) === (hva < 0)) return -EINVAL;
  const startedAt = performance.now();
  writeLock(gpcs, base + GPC_LOCK);
  traceStep(ctx, STEP_REFRESH_START, g, gpa, gpcs[base + G_PFN]!, gpcs[base + G_VALID]!);
  checkCacheStateLocked(ctx, g);
  // History B10 (ecbcf030b456 "Reject attempts to consume or refresh inactive gfn_to_pfn_cache").
  if (gpcs[base + G_ACTIVE] === 0 && !isBugOn(BUG_REFRESH_IGNORES_ACTIVE)) {
    writeUnlock(gpcs, base + GPC_LOCK);
    return -EINVAL;
  }
  gpcs[base + G_REFRESHES] = (gpcs[base + G_REFRESHES]! + 1) | 0;
  ctx.counters[ST_REFRESHES]! += 1;
  const oldPfn = gpcs[base + G_PFN]!;
  const khva = gpcs[base + G_KHVA]!;
  const oldKhva = khva < 0 ? -1 : khva - (khva & mask);
  const uhva = gpcs[base + G_UHVA]!;
  const oldUhva = uhva < 0 ? -1 : uhva - (uhva & mask);
  const pageOffset = (gpa < 0 ? hva : gpa) & mask;
  let hvaChange = false;
  let badHva = false;
  let result = 0;
  const generation = gpa < 0 ? 0 : memslotsGeneration(ctx.ms);
  if (gpa < 0) {
    // HVA branch: gpa = INVALID_GPA, memslot = NULL, uhva = PAGE_ALIGN_DOWN(uhva); no memslot read.
    gpcs[base + G_GPA] = -1;
    gpcs[base + G_UHVA] = hva - pageOffset;
    if (gpcs[base + G_UHVA] !== oldUhva) hvaChange = true;
  } else if (gpcs[base + G_GPA] !== gpa || gpcs[base + G_GENERATION] !== generation || uhva < 0) {
    gpcs[base + G_GPA] = gpa;
    gpcs[base + G_GENERATION] = generation;
    const vpage = gfnToVpage(ctx.ms, generation, gpa >> ctx.pageShift);
    if (vpage < 0) {
      gpcs[base + G_UHVA] = -1;
      badHva = true;
      result = -EFAULT;
    } else {
      gpcs[base + G_UHVA] = vpage << ctx.pageShift;
      // Even if the gpa and/or the generation changed, the uhva may be the same.
      if (gpcs[base + G_UHVA] !== oldUhva) hvaChange = true;
    }
  } else {
    gpcs[base + G_UHVA] = oldUhva;
  }
  if (result === 0) {
    // The offset must be right before hva_to_pfn_retry.
    gpcs[base + G_UHVA] = gpcs[base + G_UHVA]! + pageOffset;
    if (gpcs[base + G_VALID] === 0 || hvaChange) {
      result = hvaToPfnRetryLocked(ctx, g);
    } else {
      // The uhva -> pfn mapping is still valid: keep it, but the offset in the page may have moved.
      gpcs[base + G_KHVA] = isBugOn(BUG_KHVA_KEEPS_OLD_OFFSET) ? khva : oldKhva + pageOffset;
      writeUnlock(gpcs, base + GPC_LOCK);
      ctx.refreshLatency.record((performance.now() - startedAt) * 1000);
      return 0;
    }
  }
  if (result !== 0) {
    Atomics.store(gpcs, base + G_VALID, 0);
    gpcs[base + G_PFN] = -1;
    gpcs[base + G_KHVA] = -1;
    gpcs[base + G_REFRESH_FAILS] = (gpcs[base + G_REFRESH_FAILS]! + 1) | 0;
    ctx.counters[ST_REFRESH_FAILS]! += 1;
    traceStep(ctx, STEP_REFRESH_FAIL, g, gpa, -1, result);
  }
  // Detect a pfn change before dropping the lock.
  const unmapOld = oldPfn !== gpcs[base + G_PFN];
  writeUnlock(gpcs, base + GPC_LOCK);
  if (unmapOld) gpcUnmap(ctx, g, oldPfn, oldKhva);
  // History B5 (79593c086eb9 "KVM: avoid double put_page with gfn-to-pfn cache"): 5.17's bad-hva
  // path released the old pfn (a put) and kept it in gpc->pfn to be released again. Since B6 the
  // cache holds no reference at all, so that put is always one too many.
  if (badHva && oldPfn >= 0 && isBugOn(BUG_REFRESH_ERROR_PUTS_OLD_PAGE)) putPage(ctx, g, oldPfn);
  ctx.refreshLatency.record((performance.now() - startedAt) * 1000);
  return result;
}

/** The 5.17 refresh's speculative state (history B2): pfn = ERR, khva = NULL, valid = true. */
function markValidSpeculatively(gpcs: Int32Array, base: number): void {
  gpcs[base + G_PFN] = -1;
  gpcs[base + G_KHVA] = -1;
  Atomics.store(gpcs, base + G_VALID, 1);
}

/**
 * hva_to_pfn_retry (upstream 6.17, virt/kvm/pfncache.c): clear valid (gpa/uhva are already
 * updated, so a concurrent check must fail), then loop { snapshot seq; drop the write lock; put
 * the previous attempt's page; hva_to_pfn (+1 page reference) and map; retake the write lock;
 * WARN_ON_ONCE(valid) } while an invalidation is in flight or has happened since the snapshot;
 * then install and put the reference (kvm_release_page_clean) under the write lock: the cache
 * holds no page reference afterwards. Returns 0, or -EFAULT with the write lock held (and no
 * reference held).
 */
function hvaToPfnRetryLocked(ctx: ModelContext, g: number): number {
  // Model time under a controlled schedule (for its livelock check below), and the check counted.
  const scheduledStartMs = schedGated ? modelNowMs() : 0;
  if (schedGated && ctx.oracles) countCheck(ctx, PROP_LIVELOCK);
  const gpcs = ctx.gpcs;
  const base = gpcBase(g);
  assertHeld(gpcs, base + GPC_REFRESH_LOCK, 'write');
  assertHeld(gpcs, base + GPC_LOCK, 'write');
  const khva = gpcs[base + G_KHVA]!;
  const oldKhva = khva < 0 ? -1 : khva - (khva & ctx.offsetMask);
  const uhva = gpcs[base + G_UHVA]!;
  let newPfn = -1;
  let newKhva = -1;
  let newEpoch = 0;
  let reused = false;
  let retries = -1;
  // History B2 (58cd407ca4c6, v1 2/2 "Do not speculatively mark pfn cache valid"): 5.17 set valid
  // here, with placeholder pfn/khva, before dropping the lock to resolve the pfn.
  if (isBugOn(BUG_REFRESH_VALID_BEFORE_RESOLVE)) markValidSpeculatively(gpcs, base);
  else Atomics.store(gpcs, base + G_VALID, 0);
  do {
    retries++;
    gpcs[base + G_CURRENT_RETRIES] = retries;
    // Under a controlled schedule the main thread's wall-clock livelock watch is off: a refresh
    // that retries this often is the livelock finding itself (its time in model milliseconds).
    if (schedGated && retries === SCHEDULED_LIVELOCK_RETRIES && ctx.oracles) {
      finding(ctx, PROP_LIVELOCK, g, gpcs[base + G_GPA]!, -1, retries, Math.round(modelNowMs() - scheduledStartMs), LIVELOCK_REFRESH_RETRYING);
    }
    // `mmu_seq = kvm->mmu_invalidate_seq; smp_rmb();` under the write lock: the Atomics.load is
    // sequentially consistent, so it is ordered before every later load (the rmb), and pairs with
    // invalidate_range_end's "seq++ (Atomics.add), then count-- (Atomics.sub)" (its smp_wmb).
    const seq = Atomics.load(ctx.vm, VM_MMU_SEQ);
    const endedAtUnlock = invalidationsEndedNow(ctx);
    traceStep(ctx, STEP_REFRESH_UNLOCKED, g, gpcs[base + G_GPA]!, newPfn, seq);
    // A variant's step before the unlock (dwmw2-range-2024: needs_invalidation = true); mainline has none.
    if (ctx.protocol.retryBeforeUnlock !== undefined) ctx.protocol.retryBeforeUnlock(ctx, g);
    writeUnlock(gpcs, base + GPC_LOCK);
    if (newPfn !== -1) {
      // The previous attempt lost to an invalidation: drop its mapping (unless it reused the old
      // one), and let others run (cond_resched): the invalidation we lost to must finish.
      if (newKhva !== oldKhva) gpcUnmap(ctx, g, newPfn, newKhva);
      kvmReleasePageUnused(ctx, g, newPfn);
      condResched();
    }
    // hva_to_pfn: the protocol step `resolvePfn` (mainline: hostFaultInWithEpoch, src/kvm/host-fault.ts):
    // on success it holds one page reference (GUP's), which this function puts.
    newPfn = ctx.protocol.resolvePfn(ctx, uhva >> ctx.pageShift);
    if (newPfn < 0) {
      writeLock(gpcs, base + GPC_LOCK);
      gpcs[base + G_CURRENT_RETRIES] = 0;
      return -EFAULT;
    }
    newEpoch = ctx.lastFaultEpoch;
    traceStep(ctx, STEP_REFRESH_FAULTED, g, gpcs[base + G_GPA]!, newPfn, uhva >> ctx.pageShift);
    // gpc.pfn is stable here: refreshLock excludes every other writer of it.
    reused = newPfn === gpcs[base + G_PFN];
    newKhva = reused ? oldKhva : gpcMap(ctx, newPfn);
    // A variant's step before the relock (dwmw2-range-2024: gpc_wait_for_invalidations); mainline has none.
    if (ctx.protocol.retryBeforeRelock !== undefined) ctx.protocol.retryBeforeRelock(ctx, g);
    writeLock(gpcs, base + GPC_LOCK);
    // Upstream's WARN_ON_ONCE(gpc->valid): other tasks must wait for this refresh to complete.
    checkNotValidAfterRelockLocked(ctx, g);
    // History B1 (58cd407ca4c6 "Fix multiple races in gfn=>pfn cache refresh"): 5.17 accepted the pfn here.
    if (isBugOn(BUG_REFRESH_SKIPS_RETRY)) break;
    // mmu_notifier_retry_cache, under the write lock: count, then (smp_rmb) seq; mainline's two
    // seq-cst Atomics.loads in that order give the rmb (src/kvm/mmu-retry.ts).
    // The guest-RAM file page the uhva maps (a re-created slot's memory is another bank's page than the gpa's own).
    const filePage = vpageToGfn(ctx.host.mm, uhva >> ctx.pageShift);
    const retry = mmuNotifierRetryCache(ctx, seq, filePage < 0 ? gpcs[base + G_GPA]! >> ctx.pageShift : filePage, uhva >> ctx.pageShift, g);
    // The model's measurement of docs/UPSTREAM-SPEC.md S1's window (no kernel counterpart).
    noteInvalidationInWindow(ctx, g, gpcs[base + G_GPA]!, newPfn, endedAtUnlock, !retry);
    if (!retry) break;
    traceStep(ctx, STEP_REFRESH_RETRY, g, gpcs[base + G_GPA]!, newPfn, Atomics.load(ctx.vm, VM_MN_COUNT));
  } while (true);
  gpcs[base + G_PFN] = newPfn;
  gpcs[base + G_KHVA] = newKhva + (uhva & ctx.offsetMask);
  gpcs[base + G_INSTALL_EPOCH] = newEpoch;
  // After pfn/khva: readers under the read lock are ordered by the lock; a lock-free reader that
  // sees valid = 1 through an Atomics.load also sees the plain stores before this Atomics.store.
  Atomics.store(gpcs, base + G_VALID, 1);
  // kvm_release_page_clean(page), still under the write lock. History B4 (3dddf65b4f4c "KVM: Put
  // the extra pfn reference when reusing a pfn in the gpc cache"): before it, a refresh that got
  // the cache's own pfn back reused the old khva and kept hva_to_pfn's reference.
  if (!(reused && isBugOn(BUG_REFRESH_REUSE_LEAKS_REF))) kvmReleasePageClean(ctx, g, newPfn);
  traceStep(ctx, STEP_REFRESH_INSTALL, g, gpcs[base + G_GPA]!, newPfn, retries);
  gpcs[base + G_RETRIES] = (gpcs[base + G_RETRIES]! + retries) | 0;
  if (retries > gpcs[base + G_MAX_RETRIES]!) gpcs[base + G_MAX_RETRIES] = retries;
  gpcs[base + G_CURRENT_RETRIES] = 0;
  ctx.counters[ST_REFRESH_RETRIES]! += retries;
  if (retries > ctx.counters[ST_MAX_RETRIES]!) ctx.counters[ST_MAX_RETRIES] = retries;
  return 0;
}
