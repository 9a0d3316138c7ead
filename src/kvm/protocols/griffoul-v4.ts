/**
 * `griffoul-v4`: Fred Griffoul, "KVM: nVMX: Improve performance for unmanaged guest memory" v4
 * (cover 20260102142429.896101-1-griffoul@gmail.com, 2 Jan 2026; not merged), history B22 and
 * section C. What it changes, patch by patch, and where the model has it:
 *
 * - Patch 2/10 "KVM: pfncache: Restore guest-uses-pfn support"
 *   (20260102142429.896101-3-griffoul@gmail.com): kvm_gpc_init_for_vcpu sets gpc->vcpu;
 *   gfn_to_pfn_cache_invalidate_start collects those vCPUs and sends KVM_REQ_OUTSIDE_GUEST_MODE
 *   (KVM_REQUEST_NO_ACTION: no request bit) with KVM_REQUEST_WAIT, minus WAIT when !may_block.
 *   Model: the nested caches are guest-uses caches owned by their vCPU (cache-users.ts, gpcInit's
 *   owner), the mainline hook already collects their vCPUs (gpc-invalidate.ts), and this
 *   variant's evictionRequest is 0 (no bit) whatever the strategy. Every invalidation the model
 *   makes is blockable (munmap, migration, zap: may_block = true), so the eviction always WAITs;
 *   the OOM reaper's !may_block path is not modelled.
 * - Patch 3/10 "KVM: x86: Add nested state validation for pfncache support"
 *   (20260102142429.896101-4-griffoul@gmail.com): kvm_vcpu_exit_request -> is_nested_state_invalid
 *   on every entry in guest mode, after IN_GUEST_MODE; true raises KVM_REQ_GET_NESTED_STATE_PAGES
 *   and cancels the entry. Model: the vCPU's entry check (vcpu-entry.ts vcpuEntryCheck: after
 *   IN_GUEST_MODE and the SRCU unlock, a failure requests GET_NESTED_STATE_PAGES and cancels).
 * - Patch 4/10 "KVM: nVMX: Implement cache for L1 APIC pages"
 *   (20260102142429.896101-5-griffoul@gmail.com): vmx_is_nested_state_invalid = kvm_gpc_invalid
 *   (active && !valid, no lock, no generation, no SRCU) on the APIC-access, virtual-APIC and PI
 *   descriptor caches: the `lockless` strategy (strategies/lockless.ts), this variant's
 *   defaultStrategy. nested_get_vmcs12_pages -> nested_gpc_hpa -> nested_gpc_lock (check, else
 *   kvm_gpc_activate) writes each pfn into vmcs02: users/nested-pages.ts getNestedStatePages.
 *   KVM's own reads go through nested_lock_vapic / nested_lock_pi_desc = nested_gpc_lock_if_active
 *   (read_lock; inactive: NULL; check fails: unlock, kvm_gpc_refresh, retry) in
 *   vmx_has_nested_events and vmx_complete_nested_posted_interrupt (check_events): this module's
 *   nestedHostAccess. That refresh installs a new pfn in the cache and leaves vmcs02 alone, and
 *   makes the cache valid again, so kvm_gpc_invalid no longer sees it: exactly what the model's
 *   oracles judge (uaf-guest-mode, free-while-in-guest) when the next entry runs L2 on the old pfn.
 *   __nested_vmx_vmexit keeps the caches (nested_mark_vmcs12_pages_dirty only); L1's VMRESUME
 *   reloads vmcs02 through nested_get_vmcs12_pages: nestedVmexit.
 * - Patch 9/10 "KVM: nVMX: Use nested context for pfncache persistence"
 *   (20260102142429.896101-10-griffoul@gmail.com): the caches move into a per-vmcs12 nested
 *   context (vmx_nested_context_alloc: kvm_gpc_init_for_vcpu for the three, kvm_gpc_init for
 *   msr_bitmap), reached through pointers (nested_gpc_lock_if_active(NULL) returns NULL; the owner
 *   vCPU stays the one the context was allocated for). Model: one L1 with one vmcs12 per vCPU, so
 *   one context per vCPU and the owner never changes; the context switch between vmcs12s is not
 *   modelled.
 *
 * Not modelled: the APIC-access page cache (the model's nested user has the virtual-APIC and PI
 * caches; the CPU never reads or writes the APIC-access page's contents), the msr_bitmap and evmcs
 * caches (host-uses), nested_vmx_check_controls_late's vTPR read, the !may_block eviction.
 */
import { readLock, readUnlock } from '../../sync/rwlock.js';
import { checkKhvaAfterAccessLocked } from '../../oracle/access-oracles.js';
import { G_ACTIVE, GPC_LOCK, gpcBase } from '../gpc-layout.js';
import { gpcCheckLocked, gpcRefresh } from '../gpc.js';
import type { GuestRegisters } from '../guest-registers.js';
import type { ModelContext } from '../model-context.js';
import { ST_CHECKS_FAILED, ST_CHECKS_OK } from '../thread-stats.js';
import { PI_PIR, VAPIC_HW_TICK, VAPIC_IRR } from '../users/page-fields.js';
import { L1_VMEXIT_PERMILLE, NESTED_EVENTS_PERMILLE, nestedKhvaAccessLocked, nestedL1Vmresume, piRegister, vapicRegister } from './nested-host-access.js';
import type { ProtocolVariant } from './protocol-variant.js';
import { FIX_GRIFFOUL_HOST_REFRESH_RELOADS, FIX_GRIFFOUL_REFRESH_UNLOCKED, isFixOn } from '../fix-switches.js';
import { makeRequest } from '../vcpu-kick.js';
import { REQ_GET_NESTED_STATE_PAGES } from '../vcpu-layout.js';

/**
 * nested_gpc_lock_if_active (patch 4/10): read_lock; an inactive cache gives NULL (false, unlocked);
 * a failed kvm_gpc_check drops the lock, kvm_gpc_refresh (an error gives NULL) and tries again.
 * True: the read lock is held and the check passed. Nothing here touches vmcs02 (--fix
 * griffoul-host-refresh-reloads: a refresh raises KVM_REQ_GET_NESTED_STATE_PAGES for vCPU `v`, so
 * the next entry is cancelled and vmcs02 rewritten). Hot path.
 */
export function nestedGpcLockIfActive(ctx: ModelContext, g: number, v: number): boolean {
  const gpcs = ctx.gpcs;
  const base = gpcBase(g);
  for (;;) {
    readLock(gpcs, base + GPC_LOCK);
    if (gpcs[base + G_ACTIVE] === 0) {
      readUnlock(gpcs, base + GPC_LOCK);
      return false;
    }
    if (gpcCheckLocked(ctx, g, -1, ctx.pageSize)) {
      ctx.counters[ST_CHECKS_OK]! += 1;
      return true;
    }
    readUnlock(gpcs, base + GPC_LOCK);
    ctx.counters[ST_CHECKS_FAILED]! += 1;
    if (gpcRefresh(ctx, g, ctx.pageSize) < 0) return false;
    if (isFixOn(FIX_GRIFFOUL_HOST_REFRESH_RELOADS)) makeRequest(ctx.vcpus, v, REQ_GET_NESTED_STATE_PAGES);
  }
}

/** lockVapicUnderPi's answers. */
const VAPIC_LOCKED = 1;
const VAPIC_GIVE_UP = 0;
const VAPIC_RETRY = -1;
/** The refresh failed after both locks were dropped: mmio_needed, nothing to unlock. */
const VAPIC_GIVE_UP_UNLOCKED = -2;

/**
 * nested_lock_vapic inside vmx_complete_nested_posted_interrupt, with the PI descriptor cache's
 * read lock held. As posted: nested_gpc_lock_if_active, whose refresh then runs under that read
 * lock (kvm_gpc_refresh takes refresh_lock, a mutex, and hva_to_pfn_retry waits for
 * mn_active_invalidate_count to drop while the notifier's gfn_to_pfn_cache_invalidate_start waits
 * for the PI cache's write lock). --fix griffoul-refresh-unlocked: check only; a failed check
 * drops both locks, refreshes with none held, and asks the caller to start again (VAPIC_RETRY), or
 * gives up with nothing held (VAPIC_GIVE_UP_UNLOCKED). Hot path.
 */
function lockVapicUnderPi(ctx: ModelContext, gVapic: number, gPi: number, v: number): number {
  if (!isFixOn(FIX_GRIFFOUL_REFRESH_UNLOCKED)) return nestedGpcLockIfActive(ctx, gVapic, v) ? VAPIC_LOCKED : VAPIC_GIVE_UP;
  const gpcs = ctx.gpcs;
  const base = gpcBase(gVapic);
  readLock(gpcs, base + GPC_LOCK);
  if (gpcs[base + G_ACTIVE] === 0) {
    readUnlock(gpcs, base + GPC_LOCK);
    return VAPIC_GIVE_UP;
  }
  if (gpcCheckLocked(ctx, gVapic, -1, ctx.pageSize)) {
    ctx.counters[ST_CHECKS_OK]! += 1;
    return VAPIC_LOCKED;
  }
  readUnlock(gpcs, base + GPC_LOCK);
  readUnlock(gpcs, gpcBase(gPi) + GPC_LOCK);
  ctx.counters[ST_CHECKS_FAILED]! += 1;
  if (gpcRefresh(ctx, gVapic, ctx.pageSize) < 0) return VAPIC_GIVE_UP_UNLOCKED;
  if (isFixOn(FIX_GRIFFOUL_HOST_REFRESH_RELOADS)) makeRequest(ctx.vcpus, v, REQ_GET_NESTED_STATE_PAGES);
  return VAPIC_RETRY;
}

/** Retries of vmx_complete_nested_posted_interrupt under --fix griffoul-refresh-unlocked before it gives up (mmio_needed). */
const PI_DELIVERY_TRIES = 8;

/**
 * vmx_has_nested_events (patch 4/10) reads vPPR through nested_lock_vapic; then, with pi_pending,
 * vmx_complete_nested_posted_interrupt (check_events): nested_lock_pi_desc, PIR test-and-clear,
 * nested_lock_vapic, __kvm_apic_update_irr (PIR -> IRR through the vAPIC khva), unlock both. A
 * NULL from either lock is "mmio_needed" (the kernel exits to userspace with an internal error;
 * the model skips the delivery and the PIR stays for the hardware). Hot path: numbers only.
 */
export function griffoulNestedEvents(ctx: ModelContext, gr: GuestRegisters): void {
  if (ctx.rng.below(1000) >= NESTED_EVENTS_PERMILLE) return;
  const ram = ctx.ram;
  const gpcs = ctx.gpcs;
  const v = gr.v;
  const rVapic = vapicRegister(gr);
  const rPi = piRegister(gr);
  const gVapic = gr.cache[rVapic]!;
  const gPi = gr.cache[rPi]!;
  // has_events: vppr = *(vapic + APIC_PROCPRI) (the model reads the hardware's tick slot).
  if (!nestedGpcLockIfActive(ctx, gVapic, v)) return;
  const vapicAt = nestedKhvaAccessLocked(ctx, gr, rVapic);
  if (vapicAt >= 0) Atomics.load(ram, vapicAt + VAPIC_HW_TICK);
  checkKhvaAfterAccessLocked(ctx, gVapic);
  readUnlock(gpcs, gpcBase(gVapic) + GPC_LOCK);
  // vmx_complete_nested_posted_interrupt.
  for (let tries = 0; tries < PI_DELIVERY_TRIES; tries++) {
    if (!nestedGpcLockIfActive(ctx, gPi, v)) return;
    const piAt = nestedKhvaAccessLocked(ctx, gr, rPi);
    if (piAt >= 0 && Atomics.load(ram, piAt + PI_PIR) !== 0) {
      const vapic = lockVapicUnderPi(ctx, gVapic, gPi, v);
      if (vapic === VAPIC_RETRY) continue; // both locks dropped
      if (vapic === VAPIC_GIVE_UP_UNLOCKED) return;
      if (vapic === VAPIC_LOCKED) {
        const irrAt = nestedKhvaAccessLocked(ctx, gr, rVapic);
        if (irrAt >= 0) {
          const posted = Atomics.exchange(ram, piAt + PI_PIR, 0);
          Atomics.add(ram, irrAt + VAPIC_IRR, posted);
        }
        checkKhvaAfterAccessLocked(ctx, gVapic);
        readUnlock(gpcs, gpcBase(gVapic) + GPC_LOCK);
      }
    }
    checkKhvaAfterAccessLocked(ctx, gPi);
    readUnlock(gpcs, gpcBase(gPi) + GPC_LOCK);
    return;
  }
}

/** Now and then the exit goes to L1 (__nested_vmx_vmexit keeps the caches) and L1 resumes L2: nested_get_vmcs12_pages. */
export function griffoulNestedVmexit(ctx: ModelContext, gr: GuestRegisters): void {
  if (ctx.rng.below(1000) >= L1_VMEXIT_PERMILLE) return;
  nestedL1Vmresume(ctx, gr);
}

/** The eviction's request: KVM_REQ_OUTSIDE_GUEST_MODE, which sets no request bit (patch 2/10). */
export function griffoulEvictionRequest(_ctx: ModelContext): number {
  return 0;
}

export const GRIFFOUL_V4: ProtocolVariant = {
  name: 'griffoul-v4',
  summary: 'nVMX guest-uses caches owned by the vCPU, kvm_gpc_invalid checked in kvm_vcpu_exit_request, KVM reads them via nested_lock_vapic/pi_desc (not merged)',
  source: 'Fred Griffoul, "KVM: nVMX: Improve performance for unmanaged guest memory" v4, 20260102142429.896101-1-griffoul@gmail.com',
  steps: {
    evictionRequest: griffoulEvictionRequest,
    nestedHostAccess: griffoulNestedEvents,
    nestedVmexit: griffoulNestedVmexit,
  },
  stepSources: {
    evictionRequest:
      'gfn_to_pfn_cache_invalidate_start(): kvm_make_vcpus_request_mask(KVM_REQ_OUTSIDE_GUEST_MODE) to gpc->vcpu, WAIT when may_block (v4 02/10 "KVM: pfncache: Restore guest-uses-pfn support", 20260102142429.896101-3-griffoul@gmail.com)',
    nestedHostAccess:
      'vmx_has_nested_events() / vmx_complete_nested_posted_interrupt() through nested_lock_vapic() / nested_lock_pi_desc() = nested_gpc_lock_if_active(): check, else kvm_gpc_refresh(), vmcs02 untouched (v4 04/10 "KVM: nVMX: Implement cache for L1 APIC pages", 20260102142429.896101-5-griffoul@gmail.com)',
    nestedVmexit:
      '__nested_vmx_vmexit() keeps the caches (nested_mark_vmcs12_pages_dirty); L1 VMRESUME -> nested_get_vmcs12_pages() -> nested_gpc_hpa() reloads vmcs02 (v4 04/10, 20260102142429.896101-5-griffoul@gmail.com)',
  },
  workloads: ['nested'],
  defaultStrategy: 'lockless',
  inapplicableBugs: {},
};
