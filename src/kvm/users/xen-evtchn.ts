/**
 * Xen event-channel delivery, as arch/x86/kvm/xen.c (6.17) has it: kvm_xen_set_evtchn_fast sets
 * the port's pending bit in the VM-wide shared_info (host-uses cache, under its read lock), then
 * the port's word bit in evtchn_pending_sel of the target vCPU's vcpu_info (under that cache's
 * read lock; the two locks are never nested), or, if vcpu_info fails its check, in the vCPU's
 * kernel-side copy (xen-vcpu-info.ts), and kicks the vCPU with KVM_REQ_UNBLOCK after every unlock.
 * A failed shared_info check returns -EWOULDBLOCK: in irq context the caller defers the event to
 * process context (the irqfd work item, src/stress/threads/evtchn-loop.ts); in process context
 * kvm_xen_set_evtchn refreshes shared_info and tries again. Only process context refreshes.
 *
 * An event counts as sent (ST_EVENTS_SENT, the conservation oracle's input) when its pending
 * counter in shared_info went up: the model counts events per port where Xen keeps one bit.
 */
import { readLock, readLockIrq, readUnlock } from '../../sync/rwlock.js';
import { checkKhvaAccessLocked, checkKhvaAfterAccessLocked } from '../../oracle/access-oracles.js';
import { STEP_EVENT_DROPPED, STEP_EVENT_SENT } from '../../trace/trace-steps.js';
import { EAGAIN, EFAULT } from '../../util/errno.js';
import { G_KHVA, GPC_LOCK, gpcBase } from '../gpc-layout.js';
import { gpcCheckLocked, gpcRefresh } from '../gpc.js';
import { SHINFO_CANDIDATES, USER_XEN_SHINFO, VCPU_INFO_BYTES } from '../cache-users.js';
import { userCache, userGfn } from '../cache-table.js';
import { traceStep, type ModelContext } from '../model-context.js';
import { kickVcpu, makeRequest } from '../vcpu-kick.js';
import { REQ_UNBLOCK, V_XEN_TIMER_PENDING, VCPU_INTS } from '../vcpu-layout.js';
import {
  ST_CHECKS_FAILED,
  ST_CHECKS_OK,
  ST_EVENTS_DEFERRED,
  ST_EVENTS_DROPPED,
  ST_EVENTS_FROM_IRQ,
  ST_EVENTS_SENT,
  ST_KICKS_SENT,
  ST_SLOW_PATH,
  ST_VCPU_INFO_FALLBACKS,
} from '../thread-stats.js';
import { VI_PENDING_SEL, VI_UPCALL_PENDING, portWordBit, setPendingSelCopy, vcpuInfoCache } from './xen-vcpu-info.js';

/** -EWOULDBLOCK (= -EAGAIN on Linux): the fast path could not use shared_info. */
export const EWOULDBLOCK = EAGAIN;

/** The VM-wide shared_info cache. */
export function shinfoCache(ctx: ModelContext): number {
  return userCache(ctx.layout.caches, USER_XEN_SHINFO, -1, 0);
}

/** Bytes of shared_info the delivery touches (one pending counter per port: the cache's length). */
export function shinfoBytes(ctx: ModelContext): number {
  return ctx.layout.caches.caches[shinfoCache(ctx)]!.length;
}

/** The gfn of shared_info candidate page c (0 <= c < SHINFO_CANDIDATES). */
export function shinfoCandidateGfn(ctx: ModelContext, c: number): number {
  return userGfn(ctx.layout.caches, USER_XEN_SHINFO, -1, c % SHINFO_CANDIDATES);
}

/** Mainline's irq-context gpc read lock (protocol step irqReadLock): read_lock_irqsave, blocking; always held. */
export function mainlineIrqReadLock(ctx: ModelContext, lock: number): boolean {
  readLockIrq(ctx.gpcs, lock);
  return true;
}

/** read_lock_irqsave of a gpc lock: in irq context the protocol's step, in process context a queued read_lock. */
function gpcReadLockIrqsave(ctx: ModelContext, lock: number, irq: boolean): boolean {
  if (irq) return ctx.protocol.irqReadLock(ctx, lock);
  readLock(ctx.gpcs, lock);
  return true;
}

/**
 * The vcpu_info half of kvm_xen_set_evtchn_fast (rc = 1, shared_info already unlocked): the port's
 * word bit in vCPU v's evtchn_pending_sel, or in its kernel-side copy if vcpu_info fails its
 * check (docs/UPSTREAM-SPEC.md 5.1 step 3.2: the event still counts as delivered). Returns true if the vCPU must
 * be kicked (the bit was newly set).
 */
function setVcpuInfoPendingSel(ctx: ModelContext, v: number, port: number, irq: boolean): boolean {
  const gpcs = ctx.gpcs;
  const vi = vcpuInfoCache(ctx, v);
  const lock = gpcBase(vi) + GPC_LOCK;
  const bit = portWordBit(port);
  // b17-trylock only: Paul Durrant's patch treats a failed trylock as a failed check.
  if (!gpcReadLockIrqsave(ctx, lock, irq)) {
    ctx.counters[ST_VCPU_INFO_FALLBACKS]! += 1;
    return setPendingSelCopy(ctx, v, bit);
  }
  if (!gpcCheckLocked(ctx, vi, -1, VCPU_INFO_BYTES)) {
    readUnlock(gpcs, lock);
    ctx.counters[ST_CHECKS_FAILED]! += 1;
    ctx.counters[ST_VCPU_INFO_FALLBACKS]! += 1;
    return setPendingSelCopy(ctx, v, bit);
  }
  ctx.counters[ST_CHECKS_OK]! += 1;
  checkKhvaAccessLocked(ctx, vi);
  const khva = gpcs[gpcBase(vi) + G_KHVA]!;
  let kick = false;
  // khva = NULL under a passing check (history B2) would oops; the state-invariant oracle reported it.
  if (khva >= 0) {
    const at = khva >> 2;
    if ((Atomics.or(ctx.ram, at + VI_PENDING_SEL, bit) & bit) === 0) {
      Atomics.store(ctx.ram, at + VI_UPCALL_PENDING, 1);
      kick = true;
    }
    checkKhvaAfterAccessLocked(ctx, vi);
  }
  readUnlock(gpcs, lock);
  return kick;
}

/**
 * kvm_xen_set_evtchn_fast to `port` (bound to vCPU `port`), in irq context if `irq`. Returns 1
 * (delivered, newly pending), 0 (delivered, already pending), -EWOULDBLOCK (shared_info failed its
 * check, or in b17-trylock its trylock failed: nothing done) or -EFAULT (khva NULL: dropped).
 * The caller is inside the memslots SRCU read section.
 */
export function setEvtchnFast(ctx: ModelContext, port: number, irq: boolean): number {
  const gpcs = ctx.gpcs;
  const shinfo = shinfoCache(ctx);
  const lock = gpcBase(shinfo) + GPC_LOCK;
  if (!gpcReadLockIrqsave(ctx, lock, irq)) return -EWOULDBLOCK;
  if (!gpcCheckLocked(ctx, shinfo, -1, shinfoBytes(ctx))) {
    readUnlock(gpcs, lock);
    ctx.counters[ST_CHECKS_FAILED]! += 1;
    return -EWOULDBLOCK;
  }
  ctx.counters[ST_CHECKS_OK]! += 1;
  checkKhvaAccessLocked(ctx, shinfo);
  const khva = gpcs[gpcBase(shinfo) + G_KHVA]!;
  if (khva < 0) {
    // khva = NULL under a passing check (history B2): the kernel would oops in
    // set_shinfo_evtchn_pending; the state-invariant oracle has reported it. Not delivered.
    readUnlock(gpcs, lock);
    ctx.counters[ST_EVENTS_DROPPED]! += 1;
    return -EFAULT;
  }
  const at = khva >> 2;
  // test_and_set_bit(port, shinfo->evtchn_pending), as a per-port counter.
  const wasPending = Atomics.add(ctx.ram, at + port, 1) !== 0;
  checkKhvaAfterAccessLocked(ctx, shinfo);
  traceStep(ctx, STEP_EVENT_SENT, shinfo, -1, at >> (ctx.pageShift - 2), port);
  readUnlock(gpcs, lock);
  ctx.counters[ST_EVENTS_SENT]! += 1;
  if (wasPending) return 0;
  // read_unlock_irqrestore(shinfo) came first: the vcpu_info lock is never nested inside it.
  if (setVcpuInfoPendingSel(ctx, port, port, irq)) {
    // After every unlock: kvm_make_request(KVM_REQ_UNBLOCK) (Atomics.or after the selector's
    // write: its smp_wmb), then kvm_vcpu_kick.
    makeRequest(ctx.vcpus, port, REQ_UNBLOCK);
    if (kickVcpu(ctx.vcpus, port)) ctx.counters[ST_KICKS_SENT]! += 1;
  }
  return 1;
}

/**
 * kvm_xen_set_evtchn (process context only): the fast path, then `do { fast; refresh shared_info }
 * while (!rc)`, unbounded as upstream's (a refresh error ends it: the event is dropped). Returns
 * the fast path's result (>= 0: delivered) or the refresh's errno. The caller is inside the
 * memslots SRCU read section (upstream takes it around the refresh).
 */
export function setEvtchn(ctx: ModelContext, port: number): number {
  let rc = setEvtchnFast(ctx, port, false);
  if (rc !== -EWOULDBLOCK) return rc;
  ctx.counters[ST_SLOW_PATH]! += 1;
  const shinfo = shinfoCache(ctx);
  const len = shinfoBytes(ctx);
  // Upstream's `do { rc = fast(); if (rc != -EWOULDBLOCK) break; rc = kvm_gpc_refresh(); } while (!rc)`.
  for (;;) {
    rc = setEvtchnFast(ctx, port, false);
    if (rc !== -EWOULDBLOCK) return rc;
    const refreshed = gpcRefresh(ctx, shinfo, len);
    if (refreshed !== 0) {
      ctx.counters[ST_EVENTS_DROPPED]! += 1;
      traceStep(ctx, STEP_EVENT_DROPPED, shinfo, -1, -1, refreshed);
      return refreshed;
    }
  }
}

/**
 * xen_timer_callback (HRTIMER_MODE_ABS_HARD: hard irq) for vCPU v's timer port (port v): returns
 * at once if an earlier expiry is still pending; else the fast path in irq context, and on
 * -EWOULDBLOCK `atomic_inc(&timer_pending)`, KVM_REQ_UNBLOCK and a kick, so that the vCPU delivers
 * it from process context (xenInjectTimerIrqs). Returns the fast path's result, or 0 if it did
 * not run.
 */
export function xenTimerCallback(ctx: ModelContext, v: number): number {
  const at = v * VCPU_INTS + V_XEN_TIMER_PENDING;
  if (Atomics.load(ctx.vcpus, at) !== 0) return 0;
  const rc = setEvtchnFast(ctx, v, true);
  if (rc !== -EWOULDBLOCK) {
    if (rc >= 0) ctx.counters[ST_EVENTS_FROM_IRQ]! += 1;
    return rc;
  }
  // atomic_inc before kvm_make_request (its smp_wmb publishes timer_pending): both SC Atomics.
  Atomics.add(ctx.vcpus, at, 1);
  makeRequest(ctx.vcpus, v, REQ_UNBLOCK);
  if (kickVcpu(ctx.vcpus, v)) ctx.counters[ST_KICKS_SENT]! += 1;
  return rc;
}

/**
 * vcpu_run's kvm_inject_pending_timer_irqs -> kvm_xen_inject_timer_irqs for vCPU v (process
 * context, in the SRCU section): if timer_pending, kvm_xen_set_evtchn to its timer port (the slow
 * path: it may refresh shared_info), then timer_pending = 0. Returns the delivery's result, or 0
 * if nothing was pending.
 */
export function xenInjectTimerIrqs(ctx: ModelContext, v: number): number {
  const at = v * VCPU_INTS + V_XEN_TIMER_PENDING;
  if (Atomics.load(ctx.vcpus, at) === 0) return 0;
  const rc = setEvtchn(ctx, v);
  if (rc >= 0) ctx.counters[ST_EVENTS_DEFERRED]! += 1;
  Atomics.store(ctx.vcpus, at, 0);
  return rc;
}
