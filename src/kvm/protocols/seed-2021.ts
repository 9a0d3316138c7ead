/**
 * `seed-2021`: the guest-uses part of David Woodhouse's RFC "Rework gfn_to_pfn_cache" (kvm@, Nov
 * 2021): patch 09/11 "KVM: Reinstate gfn_to_pfn_cache with invalidation support" (the cache's vcpu
 * field and guest_uses_pa, KVM_REQ_GPC_INVALIDATE with KVM_REQUEST_WAIT to that vCPU on
 * invalidation; merged as 982ed0de4753) and the nVMX conversion in his reply of 16 Nov 2021
 * (9733f477bada4cc311078be529b7118f1dec25bb.camel@infradead.org, /work/shared/reference/seed-thread-2021-11-16.txt).
 *
 * What the model already had from it (mainline's model, no variant needed): guest-uses caches
 * owned by a vCPU (cache-users.ts `usage: 'guest'`, gpcInit's owner: the RFC's gpc->vcpu set by
 * kvm_gfn_to_pfn_cache_init(kvm, gpc, vcpu, guest_uses_pa, ...)), the hook collecting their
 * vCPUs (gpc-invalidate.ts), the entry check after IN_GUEST_MODE (vcpu-entry.ts vcpuEntryCheck;
 * `locked` is its read_lock/check/read_unlock shape), GET_NESTED_STATE_PAGES reloading vmcs02
 * (users/nested-pages.ts). What this variant makes the RFC's own steps:
 *
 * - evictionRequest: KVM_REQ_GPC_INVALIDATE (patch 09/11), whatever the strategy.
 * - gpcInvalidateRequest: vcpu_enter_guest takes it and does nothing ("Nothing to do. It just
 *   wanted to wake us", the reply's x86.c hunk): the reload is left to the entry check.
 * - entryCheck: nested_vmx_check_guest_maps (the reply's nested.c hunk), after IN_GUEST_MODE and
 *   before srcu_read_unlock: under `if (nested_cpu_has_posted_intr(vmcs12))` (true in the model)
 *   read_lock, kvm_gfn_to_pfn_cache_check(virtual_apic_cache, virtual_apic_page_addr, PAGE_SIZE),
 *   read_unlock; invalid -> KVM_REQ_GET_NESTED_STATE_PAGES (which cancels the entry in
 *   kvm_vcpu_exit_request). Only the virtual-APIC cache: the RFC left pi_desc on kvm_vcpu_map (the
 *   mapping is pinned and re-made by every nested_get_vmcs12_pages). The model has no pinned map,
 *   so its PI cache stands for pi_desc_map and the entry check does not look at it, as the RFC's
 *   does not: a PI-page finding under this variant is the RFC's PI descriptor staying on a mapping
 *   the invalidation no longer backs (upstream a pinned, stale page: posted interrupts lost; the
 *   model frees it: a use-after-free), not a gpc race.
 * - nestedHostAccess: vmx_guest_apic_has_interrupt (read_lock; if (!kvm_gfn_to_pfn_cache_check)
 *   vppr = *(khva + APIC_PROCPRI) else vppr = 0xff; read_unlock; the test is inverted in the
 *   posted diff, so KVM reads khva exactly when the cache is invalid) and
 *   vmx_complete_nested_posted_interrupt (read_lock, check, invalid -> mmio_needed, else PIR ->
 *   IRR through khva; the PIR read through vmx->nested.pi_desc, the pinned map: here the page
 *   vmcs02 holds).
 * - nestedVmexit: nested_vmx_vmexit -> kvm_gfn_to_pfn_cache_destroy(virtual_apic_cache) (and
 *   kvm_vcpu_unmap of pi_desc_map); L1's VMRESUME -> nested_get_vmcs12_pages ->
 *   kvm_gfn_to_pfn_cache_init(virtual_apic_cache) and vmcs_write64 of the pfns.
 *
 * The RFC's own mail says "This one actually compiles. Not sure we have any test cases that will
 * actually exercise it though": its slips (the inverted has_interrupt test, the vAPIC check under
 * the posted-interrupt condition) are modelled as posted.
 */
import { readLock, readUnlock } from '../../sync/rwlock.js';
import { checkHardwareAccess, checkKhvaAfterAccessLocked } from '../../oracle/access-oracles.js';
import { G_KHVA, GPC_LOCK, gpcBase } from '../gpc-layout.js';
import { gpcActivate, gpcCheckLocked, gpcDeactivate } from '../gpc.js';
import { registerEpoch, registerPfn, type GuestRegisters } from '../guest-registers.js';
import type { ModelContext } from '../model-context.js';
import { entryCheckLockedCache } from '../strategies/locked.js';
import { ST_CHECKS_FAILED, ST_CHECKS_OK } from '../thread-stats.js';
import { PI_PIR, VAPIC_HW_TICK, VAPIC_IRR } from '../users/page-fields.js';
import { REQ_GPC_INVALIDATE } from '../vcpu-layout.js';
import { L1_VMEXIT_PERMILLE, NESTED_EVENTS_PERMILLE, nestedKhvaAccessLocked, nestedL1Vmresume, piRegister, vapicRegister } from './nested-host-access.js';
import type { ProtocolVariant } from './protocol-variant.js';
import { FIX_SEED_APIC_CHECK_POLARITY, FIX_SEED_CHECK_PI_DESC, isFixOn } from '../fix-switches.js';

/** nested_vmx_check_guest_maps: the virtual-APIC cache only, under read_lock (true: enter). Hot path. */
export function seedCheckGuestMaps(ctx: ModelContext, gr: GuestRegisters): boolean {
  const r = vapicRegister(gr);
  if (!entryCheckLockedCache(ctx, gr.cache[r]!, registerPfn(gr, r))) return false;
  // --fix seed-check-pi-desc: pi_desc converted to a gpc and checked the same way.
  if (!isFixOn(FIX_SEED_CHECK_PI_DESC)) return true;
  const rPi = piRegister(gr);
  return entryCheckLockedCache(ctx, gr.cache[rPi]!, registerPfn(gr, rPi));
}

/** KVM_REQ_GPC_INVALIDATE: "Nothing to do. It just wanted to wake us". */
export function seedGpcInvalidateRequest(_ctx: ModelContext, _gr: GuestRegisters): void {}

/** KVM_REQ_GPC_INVALIDATE with KVM_REQUEST_WAIT (patch 09/11). */
export function seedEvictionRequest(_ctx: ModelContext): number {
  return REQ_GPC_INVALIDATE;
}

/**
 * vmx_guest_apic_has_interrupt as posted (the inverted check: khva is read when the check fails),
 * then vmx_complete_nested_posted_interrupt (check passes -> PIR -> IRR through khva; fails ->
 * mmio_needed, nothing delivered). Hot path: numbers only.
 */
export function seedNestedEvents(ctx: ModelContext, gr: GuestRegisters): void {
  if (ctx.rng.below(1000) >= NESTED_EVENTS_PERMILLE) return;
  const ram = ctx.ram;
  const gpcs = ctx.gpcs;
  const rVapic = vapicRegister(gr);
  const gVapic = gr.cache[rVapic]!;
  const lock = gpcBase(gVapic) + GPC_LOCK;
  // vmx_guest_apic_has_interrupt: WARN_ON_ONCE(gpc->gpa == GPA_INVALID) passes (the cache has its gpa).
  readLock(gpcs, lock);
  // As posted: `if (!kvm_gfn_to_pfn_cache_check(...)) vppr = *khva` (--fix seed-apic-check-polarity: if it passed).
  const valid = gpcCheckLocked(ctx, gVapic, -1, ctx.pageSize);
  if (valid === isFixOn(FIX_SEED_APIC_CHECK_POLARITY)) {
    ctx.counters[valid ? ST_CHECKS_OK : ST_CHECKS_FAILED]! += 1;
    const at = nestedKhvaAccessLocked(ctx, gr, rVapic);
    if (at >= 0) Atomics.load(ram, at + VAPIC_HW_TICK);
    if (gpcs[gpcBase(gVapic) + G_KHVA]! >= 0) checkKhvaAfterAccessLocked(ctx, gVapic);
  } else {
    ctx.counters[valid ? ST_CHECKS_OK : ST_CHECKS_FAILED]! += 1; // vppr = 0xff: nothing read
  }
  readUnlock(gpcs, lock);
  // vmx_complete_nested_posted_interrupt: max_irr from vmx->nested.pi_desc->pir (the pinned map:
  // the page vmcs02 holds), or (--fix seed-check-pi-desc) through the PI cache, checked under its lock.
  const rPi = piRegister(gr);
  const gPi = gr.cache[rPi]!;
  const piLock = gpcBase(gPi) + GPC_LOCK;
  const piAsGpc = isFixOn(FIX_SEED_CHECK_PI_DESC);
  let piAt: number;
  if (piAsGpc) {
    readLock(gpcs, piLock);
    piAt = gpcCheckLocked(ctx, gPi, -1, ctx.pageSize) ? nestedKhvaAccessLocked(ctx, gr, rPi) : -1;
    if (piAt < 0) {
      readUnlock(gpcs, piLock); // mmio_needed
      return;
    }
  } else {
    const piPfn = registerPfn(gr, rPi);
    if (piPfn < 0) return;
    checkHardwareAccess(ctx, gPi, piPfn, registerEpoch(gr, rPi));
    piAt = piPfn * ctx.pageInts;
  }
  if (Atomics.load(ram, piAt + PI_PIR) !== 0) {
    readLock(gpcs, lock);
    if (gpcCheckLocked(ctx, gVapic, -1, ctx.pageSize)) {
      ctx.counters[ST_CHECKS_OK]! += 1;
      const irrAt = nestedKhvaAccessLocked(ctx, gr, rVapic);
      if (irrAt >= 0) {
        const posted = Atomics.exchange(ram, piAt + PI_PIR, 0);
        Atomics.add(ram, irrAt + VAPIC_IRR, posted);
        checkKhvaAfterAccessLocked(ctx, gVapic);
      }
    } else {
      ctx.counters[ST_CHECKS_FAILED]! += 1; // goto mmio_needed
    }
    readUnlock(gpcs, lock);
  }
  if (piAsGpc) {
    checkKhvaAfterAccessLocked(ctx, gPi);
    readUnlock(gpcs, piLock);
  }
}

/**
 * Now and then L2's exit goes to L1: nested_vmx_vmexit destroys the virtual-APIC cache, and L1's
 * VMRESUME initialises it again (kvm_gfn_to_pfn_cache_init: activate at virtual_apic_page_addr)
 * before nested_get_vmcs12_pages writes the pfns into vmcs02.
 */
export function seedNestedVmexit(ctx: ModelContext, gr: GuestRegisters): void {
  if (ctx.rng.below(1000) >= L1_VMEXIT_PERMILLE) return;
  const g = gr.cache[vapicRegister(gr)]!;
  gpcDeactivate(ctx, g);
  gpcActivate(ctx, g, gr.gfn[vapicRegister(gr)]! << ctx.pageShift, ctx.pageSize);
  nestedL1Vmresume(ctx, gr);
}

export const SEED_2021: ProtocolVariant = {
  name: 'seed-2021',
  summary: "the 2021 RFC's nVMX guest-uses caches: KVM_REQ_GPC_INVALIDATE wakes the vCPU, nested_vmx_check_guest_maps after IN_GUEST_MODE reloads",
  source: 'David Woodhouse, "[RFC PATCH 0/11] Rework gfn_to_pfn_cache" (Nov 2021): 09/11 and 9733f477bada4cc311078be529b7118f1dec25bb.camel@infradead.org',
  steps: {
    evictionRequest: seedEvictionRequest,
    entryCheck: seedCheckGuestMaps,
    gpcInvalidateRequest: seedGpcInvalidateRequest,
    nestedHostAccess: seedNestedEvents,
    nestedVmexit: seedNestedVmexit,
  },
  stepSources: {
    evictionRequest: 'gfn_to_pfn_cache_invalidate_start(): kvm_make_vcpus_request_mask(KVM_REQ_GPC_INVALIDATE) to gpc->vcpu, KVM_REQUEST_WAIT ("[PATCH 09/11] KVM: Reinstate gfn_to_pfn_cache with invalidation support"; 982ed0de4753)',
    entryCheck:
      'nested_vmx_check_guest_maps() after vcpu->mode = IN_GUEST_MODE: read_lock + kvm_gfn_to_pfn_cache_check(virtual_apic_cache) only, invalid -> KVM_REQ_GET_NESTED_STATE_PAGES (9733f477bada4cc311078be529b7118f1dec25bb.camel@infradead.org)',
    gpcInvalidateRequest: 'vcpu_enter_guest(): kvm_check_request(KVM_REQ_GPC_INVALIDATE) -> "Nothing to do. It just wanted to wake us" (9733f477bada4cc311078be529b7118f1dec25bb.camel@infradead.org)',
    nestedHostAccess:
      'vmx_guest_apic_has_interrupt(): reads khva when kvm_gfn_to_pfn_cache_check() fails (inverted as posted); vmx_complete_nested_posted_interrupt(): check, else mmio_needed (9733f477bada4cc311078be529b7118f1dec25bb.camel@infradead.org)',
    nestedVmexit:
      'nested_vmx_vmexit(): kvm_gfn_to_pfn_cache_destroy(virtual_apic_cache); VMRESUME -> nested_get_vmcs12_pages(): kvm_gfn_to_pfn_cache_init() + vmcs_write64 (9733f477bada4cc311078be529b7118f1dec25bb.camel@infradead.org)',
  },
  workloads: ['nested'],
  defaultStrategy: 'locked',
  inapplicableBugs: {
    // Not found in 10 s under this variant (verdicts --catalog, docs/VERDICTS.md): the RFC's
    // eviction is an actionable request, which the entry sees pending after IN_GUEST_MODE.
    'entry-check-before-mode':
      "the RFC's eviction sends KVM_REQ_GPC_INVALIDATE, which vcpu_enter_guest finds pending after IN_GUEST_MODE and cancels the entry for: the request, not the check's order, closes that window here",
  },
};
