/**
 * The Xen vcpu_info of each vCPU (host-uses, per vCPU, at a non-zero offset in its page): where
 * event delivery sets evtchn_pending_sel and evtchn_upcall_pending, and the vCPU's kernel-side
 * copy of the selector (vcpu->arch.xen.evtchn_pending_sel, V_XEN_PENDING_SEL in the vCPU table)
 * for deliveries that found vcpu_info invalid. The vCPU folds that copy into vcpu_info before it
 * enters the guest (kvm_xen_inject_pending_events, the only place that refreshes vcpu_info).
 *
 * Fields (ints from the cache's gpa, i.e. from khva): struct vcpu_info's u8
 * evtchn_upcall_pending at byte 0 and xen_ulong_t evtchn_pending_sel at byte 8, each an int here.
 */
import { readLock, readUnlock } from '../../sync/rwlock.js';
import { checkKhvaAccessLocked, checkKhvaAfterAccessLocked } from '../../oracle/access-oracles.js';
import { G_KHVA, GPC_LOCK, gpcBase } from '../gpc-layout.js';
import { gpcCheckLocked, gpcRefresh } from '../gpc.js';
import { USER_XEN_VCPU_INFO, VCPU_INFO_BYTES } from '../cache-users.js';
import { userCache, userGfn } from '../cache-table.js';
import type { ModelContext } from '../model-context.js';
import { V_XEN_PENDING_SEL, VCPU_INTS } from '../vcpu-layout.js';

/** vcpu_info->evtchn_upcall_pending (int offset from the vcpu_info's start). */
export const VI_UPCALL_PENDING = 0;
/** vcpu_info->evtchn_pending_sel: bit w set = word w of shared_info's evtchn_pending has news. */
export const VI_PENDING_SEL = 2;

/** vCPU v's vcpu_info cache. Hot path: a few loads. */
export function vcpuInfoCache(ctx: ModelContext, v: number): number {
  return userCache(ctx.layout.caches, USER_XEN_VCPU_INFO, v, 0);
}

/** The gfn of vCPU v's vcpu_info page (the guest reads it through the true translation). */
export function vcpuInfoGfn(ctx: ModelContext, v: number): number {
  return userGfn(ctx.layout.caches, USER_XEN_VCPU_INFO, v, 0);
}

/** The selector bit of `port`: port_word_bit = port / BITS_PER_LONG (the 64-bit ABI). */
export function portWordBit(port: number): number {
  return 1 << (port >>> 6);
}

/**
 * The kernel-side copy: test_and_set_bit(port_word_bit, &vcpu->arch.xen.evtchn_pending_sel).
 * Returns true if the bit was newly set (the sender kicks then). Atomics.or: sequentially
 * consistent, so it precedes the UNBLOCK request that publishes it (kvm_make_request's smp_wmb).
 */
export function setPendingSelCopy(ctx: ModelContext, v: number, bit: number): boolean {
  return (Atomics.or(ctx.vcpus, v * VCPU_INTS + V_XEN_PENDING_SEL, bit) & bit) === 0;
}

/** kvm_xen_has_pending_events: the kernel-side selector copy of vCPU v (0: nothing to inject). */
export function pendingSelCopy(ctx: ModelContext, v: number): number {
  return Atomics.load(ctx.vcpus, v * VCPU_INTS + V_XEN_PENDING_SEL);
}

/**
 * kvm_xen_inject_pending_events (xen.c, called by vcpu_run outside guest mode, in the SRCU
 * section): if the kernel-side copy has bits, check/refresh vcpu_info, then `lock or` them into
 * evtchn_pending_sel and `lock and` them out of the copy, and set evtchn_upcall_pending. If the
 * refresh fails (the cache is inactive, or its gpa in no slot) nothing is delivered and the bits
 * stay. Returns the bits folded in (0: none).
 */
export function xenInjectPendingEvents(ctx: ModelContext, v: number): number {
  const sel = pendingSelCopy(ctx, v);
  if (sel === 0) return 0;
  const gpcs = ctx.gpcs;
  const g = vcpuInfoCache(ctx, v);
  const lock = gpcBase(g) + GPC_LOCK;
  // read_lock_irqsave (process context: irqs off, but a reader still queues behind a waiting
  // writer), then `while (!kvm_gpc_check(gpc, sizeof(struct vcpu_info)))` refresh.
  readLock(gpcs, lock);
  while (!gpcCheckLocked(ctx, g, -1, VCPU_INFO_BYTES)) {
    readUnlock(gpcs, lock);
    if (gpcRefresh(ctx, g, VCPU_INFO_BYTES) !== 0) return 0;
    readLock(gpcs, lock);
  }
  checkKhvaAccessLocked(ctx, g);
  const khva = gpcs[gpcBase(g) + G_KHVA]!;
  if (khva < 0) {
    // khva = NULL under a passing check (history B2): the kernel would oops; the state-invariant
    // oracle has reported it. Nothing folded.
    readUnlock(gpcs, lock);
    return 0;
  }
  const at = khva >> 2;
  Atomics.or(ctx.ram, at + VI_PENDING_SEL, sel);
  Atomics.and(ctx.vcpus, v * VCPU_INTS + V_XEN_PENDING_SEL, ~sel);
  Atomics.store(ctx.ram, at + VI_UPCALL_PENDING, 1);
  checkKhvaAfterAccessLocked(ctx, g);
  readUnlock(gpcs, lock);
  return sel;
}
