/**
 * The gfn_to_pfn_cache (DESIGN 5.1-5.4, upstream as of 6.17 plus the guest-uses mode): init,
 * check, activate, deactivate, and the kernel mapping helpers. Refresh is in gpc-refresh.ts.
 *
 * Lock order: refreshLock (mutex) -> lock (rwlock, write). activate/deactivate take vm.gpcLock
 * and the write lock one after the other, never nested. Mapping and unmapping run with no rwlock.
 */
import { assertHeld } from '../sync/lockdep.js';
import { mutexInit, mutexLock, mutexUnlock } from '../sync/mutex.js';
import { rwlockInit, writeLock, writeUnlock } from '../sync/rwlock.js';
import { spinLock, spinUnlock } from '../sync/spinlock.js';
import { LockClass } from '../sync/lock-classes.js';
import { memslotsGeneration } from '../mem/memslots.js';
import { EINVAL, EIO } from '../util/errno.js';
import {
  BUG_ACTIVATE_NESTS_LIST_LOCK,
  BUG_ACTIVATE_REINITS_LOCKS,
  BUG_CHECK_IGNORES_ACTIVE,
  BUG_CHECK_IGNORES_GENERATION,
  BUG_DEACTIVATE_SKIPS_UNMAP,
  BUG_REFRESH_LEAKS_LOCK_ON_ERROR,
  BUG_REFRESH_WITHOUT_MUTEX,
  isBugOn,
} from './bug-switches.js';
import { gpcUnmap } from './gpc-mapping.js';
import { gpcRefreshLocked } from './gpc-refresh.js';
import {
  G_ACTIVE,
  G_GENERATION,
  G_GPA,
  G_INSTALL_EPOCH,
  G_KHVA,
  G_ON_LIST,
  G_OWNER_VCPU,
  G_PFN,
  G_UHVA,
  G_USAGE,
  G_VALID,
  GPC_LOCK,
  GPC_REFRESH_LOCK,
  gpcBase,
} from './gpc-layout.js';
import { traceStep, type ModelContext } from './model-context.js';
import { VM_GPC_LOCK } from './vm-layout.js';
import { STEP_ACTIVATE, STEP_DEACTIVATE } from '../trace/trace-steps.js';
import { ST_ACTIVATIONS, ST_DEACTIVATIONS } from './thread-stats.js';

/** kvm_gpc_init: once, at creation, before any thread can reach the cache. Locks are never re-initialized. */
export function gpcInit(gpcs: Int32Array, g: number, usage: number, ownerVcpu: number): void {
  const base = gpcBase(g);
  rwlockInit(gpcs, base + GPC_LOCK, LockClass.GPC_LOCK);
  mutexInit(gpcs, base + GPC_REFRESH_LOCK, LockClass.GPC_REFRESH_LOCK);
  gpcs[base + G_ACTIVE] = 0;
  gpcs[base + G_VALID] = 0;
  gpcs[base + G_GPA] = -1;
  gpcs[base + G_GENERATION] = 0;
  gpcs[base + G_UHVA] = -1;
  gpcs[base + G_PFN] = -1;
  gpcs[base + G_KHVA] = -1;
  gpcs[base + G_USAGE] = usage;
  gpcs[base + G_OWNER_VCPU] = ownerVcpu;
  gpcs[base + G_ON_LIST] = 0;
  gpcs[base + G_INSTALL_EPOCH] = -1;
}

/** The access [gpa offset, +len) fits in one page. */
export function gpcValidLen(ctx: ModelContext, gpa: number, len: number): boolean {
  return (gpa & ctx.offsetMask) + len <= ctx.pageSize;
}

/**
 * kvm_gpc_is_valid_len(gpa, uhva, len) (docs/UPSTREAM-SPEC.md 4.1): the offset comes from uhva
 * for an HVA cache (gpa == INVALID_GPA, -1 here), otherwise from gpa.
 */
export function gpcValidLenAt(ctx: ModelContext, gpa: number, uhva: number, len: number): boolean {
  return ((gpa < 0 ? uhva : gpa) & ctx.offsetMask) + len <= ctx.pageSize;
}

/**
 * kvm_gpc_check: may the caller use khva (or pfn) for [gpa, gpa+len)? The caller holds the read
 * (or write) lock and keeps it for the whole access. No side effects. `gpa` -1 means "the gpa the
 * cache holds" (the modern API, kvm_gpc_check(gpc, len)). The protocol step `check`: dispatches to
 * the run's variant (src/kvm/protocols/).
 */
export function gpcCheckLocked(ctx: ModelContext, g: number, gpa: number, len: number): boolean {
  return ctx.protocol.check(ctx, g, gpa, len);
}

/** Mainline's kvm_gpc_check (upstream 6.17 plus the seed's generation compare). */
export function mainlineGpcCheckLocked(ctx: ModelContext, g: number, gpa: number, len: number): boolean {
  const gpcs = ctx.gpcs;
  const base = gpcBase(g);
  assertHeld(gpcs, base + GPC_LOCK, 'any');
  // History B10 (ecbcf030b456 "Reject attempts to consume or refresh inactive gfn_to_pfn_cache").
  if (gpcs[base + G_ACTIVE] === 0 && !isBugOn(BUG_CHECK_IGNORES_ACTIVE)) return false;
  const cachedGpa = gpcs[base + G_GPA]!;
  if (gpa !== -1 && gpa !== cachedGpa) return false;
  // The seed (dwmw2, 9733f477...camel@infradead.org): what must be verified is that the memslots generation has not changed.
  // `!kvm_is_error_gpa(gpa) && ...`: an HVA cache (gpa INVALID_GPA) skips it (docs/UPSTREAM-SPEC.md 4.2).
  if (cachedGpa >= 0 && !isBugOn(BUG_CHECK_IGNORES_GENERATION) && gpcs[base + G_GENERATION] !== memslotsGeneration(ctx.ms)) return false;
  const cachedUhva = gpcs[base + G_UHVA]!;
  if (cachedUhva < 0) return false;
  if (((cachedGpa < 0 ? cachedUhva : cachedGpa) & ctx.offsetMask) + len > ctx.pageSize) return false;
  return gpcs[base + G_VALID] !== 0;
}

/**
 * kvm_gpc_activate: validate, then under refreshLock put the cache on the list (gpcLock) and set
 * active (write lock) - reachable by invalidations before it can become valid - then refresh.
 * The caller is inside an SRCU read section. Returns 0 or a negative errno.
 */
export function gpcActivate(ctx: ModelContext, g: number, gpa: number, len: number): number {
  // WARN_ON_ONCE(kvm_is_error_gpa(gpa)) -> -EINVAL; then __kvm_gpc_activate(gpc, gpa, KVM_HVA_ERR_BAD, len).
  if (gpa < 0) return -EINVAL;
  return gpcActivateAt(ctx, g, gpa, -1, len);
}

/**
 * kvm_gpc_activate_hva(gpc, uhva, len) (docs/UPSTREAM-SPEC.md 4.1): `access_ok(uhva, len)` only
 * (here: a page of the host mm's address space), then __kvm_gpc_activate(gpc, INVALID_GPA, uhva, len). Nothing
 * checks that the uhva lies in a memslot. Re-activating an active GPA cache this way switches it
 * to HVA (and gpcActivate switches it back), as xen.c does.
 */
export function gpcActivateHva(ctx: ModelContext, g: number, uhva: number, len: number): number {
  if (uhva < 0 || uhva >> ctx.pageShift >= ctx.host.mm.vpages) return -EINVAL;
  return gpcActivateAt(ctx, g, -1, uhva, len);
}

/** __kvm_gpc_activate(gpc, gpa, uhva, len): exactly one of gpa / uhva is -1. */
function gpcActivateAt(ctx: ModelContext, g: number, gpa: number, uhva: number, len: number): number {
  if (!gpcValidLenAt(ctx, gpa, uhva, len)) return -EINVAL;
  const gpcs = ctx.gpcs;
  const base = gpcBase(g);
  mutexLock(gpcs, base + GPC_REFRESH_LOCK);
  if (isBugOn(BUG_ACTIVATE_REINITS_LOCKS)) rwlockInit(gpcs, base + GPC_LOCK, LockClass.GPC_LOCK);
  traceStep(ctx, STEP_ACTIVATE, g, gpa < 0 ? uhva : gpa, gpcs[base + G_PFN]!, 0);
  ctx.counters[ST_ACTIVATIONS]! += 1;
  if (gpcs[base + G_ACTIVE] === 0) {
    if (gpcs[base + G_VALID] !== 0) {
      mutexUnlock(gpcs, base + GPC_REFRESH_LOCK);
      return -EIO; // KVM_BUG_ON(gpc->valid)
    }
    if (isBugOn(BUG_ACTIVATE_NESTS_LIST_LOCK)) {
      writeLock(gpcs, base + GPC_LOCK);
      spinLock(ctx.vm, VM_GPC_LOCK);
      Atomics.store(gpcs, base + G_ON_LIST, 1);
      spinUnlock(ctx.vm, VM_GPC_LOCK);
      Atomics.store(gpcs, base + G_ACTIVE, 1);
      writeUnlock(gpcs, base + GPC_LOCK);
    } else {
      spinLock(ctx.vm, VM_GPC_LOCK);
      Atomics.store(gpcs, base + G_ON_LIST, 1);
      spinUnlock(ctx.vm, VM_GPC_LOCK);
      // Active only after it is on the list: a refresh must not establish a mapping until the
      // cache is reachable by invalidations.
      writeLock(gpcs, base + GPC_LOCK);
      Atomics.store(gpcs, base + G_ACTIVE, 1);
      writeUnlock(gpcs, base + GPC_LOCK);
    }
  }
  const result = gpcRefreshLocked(ctx, g, gpa, uhva);
  mutexUnlock(gpcs, base + GPC_REFRESH_LOCK);
  return result;
}

/**
 * kvm_gpc_deactivate: under refreshLock, clear active and valid and take pfn/khva under the write
 * lock, then leave the list, then unmap with no lock held. The gpa -> uhva part is kept (the
 * generation guards it).
 */
export function gpcDeactivate(ctx: ModelContext, g: number): void {
  const gpcs = ctx.gpcs;
  const base = gpcBase(g);
  mutexLock(gpcs, base + GPC_REFRESH_LOCK);
  if (gpcs[base + G_ACTIVE] !== 0) {
    ctx.counters[ST_DEACTIVATIONS]! += 1;
    writeLock(gpcs, base + GPC_LOCK);
    Atomics.store(gpcs, base + G_ACTIVE, 0);
    Atomics.store(gpcs, base + G_VALID, 0);
    const khva = gpcs[base + G_KHVA]!;
    const oldKhva = khva < 0 ? -1 : khva - (khva & ctx.offsetMask);
    const oldPfn = gpcs[base + G_PFN]!;
    gpcs[base + G_KHVA] = -1;
    gpcs[base + G_PFN] = -1;
    writeUnlock(gpcs, base + GPC_LOCK);
    spinLock(ctx.vm, VM_GPC_LOCK);
    Atomics.store(gpcs, base + G_ON_LIST, 0);
    spinUnlock(ctx.vm, VM_GPC_LOCK);
    traceStep(ctx, STEP_DEACTIVATE, g, gpcs[base + G_GPA]!, oldPfn, 0);
    if (!isBugOn(BUG_DEACTIVATE_SKIPS_UNMAP)) gpcUnmap(ctx, g, oldPfn, oldKhva);
  }
  mutexUnlock(gpcs, base + GPC_REFRESH_LOCK);
}

/** kvm_gpc_refresh: re-establish the cache for its current gpa. Caller is in an SRCU section, holds no gpc lock. */
export function gpcRefresh(ctx: ModelContext, g: number, len: number): number {
  const gpcs = ctx.gpcs;
  const base = gpcBase(g);
  // History B3 (93984f19e7bc "Fully serialize gfn=>pfn cache refresh via mutex"): before it,
  // refreshes of one cache ran concurrently.
  const serialized = !isBugOn(BUG_REFRESH_WITHOUT_MUTEX);
  if (serialized) mutexLock(gpcs, base + GPC_REFRESH_LOCK);
  const gpa = gpcs[base + G_GPA]!;
  // `uhva = kvm_is_error_gpa(gpc->gpa) ? gpc->uhva : KVM_HVA_ERR_BAD` (docs/UPSTREAM-SPEC.md 4.3).
  const uhva = gpa < 0 ? gpcs[base + G_UHVA]! : -1;
  if ((gpa < 0 && uhva < 0) || !gpcValidLenAt(ctx, gpa, uhva, len)) {
    if (serialized) mutexUnlock(gpcs, base + GPC_REFRESH_LOCK);
    return -EINVAL;
  }
  const result = gpcRefreshLocked(ctx, g, gpa, uhva);
  if (serialized && (result === 0 || !isBugOn(BUG_REFRESH_LEAKS_LOCK_ON_ERROR))) mutexUnlock(gpcs, base + GPC_REFRESH_LOCK);
  return result;
}
