/**
 * The vCPU table: two cache lines per vCPU.
 *
 *   line A (written by others)   MODE | REQUESTS | XEN_PENDING_SEL | XEN_TIMER_PENDING
 *   line B (the vCPU's own)      RUNNING | ACTIVITY
 *
 * MODE packs a session number with the mode: (session << 2) | OUTSIDE/IN/EXITING. The vCPU bumps
 * the session at every exit, so a kicker waiting for "this entry has ended" waits for the session
 * to change, and cannot mistake a later entry for the one it kicked. Guard: lock-free | Writers:
 * the vCPU (enter: store; exit: exchange), kickers (compareExchange IN -> EXITING of the session
 * they saw) | Readers: kickers, the vCPU between guest steps, oracles, stall dumps.
 *
 * REQUESTS: the request word (bits REQ_*). Guard: lock-free | Writers: anyone (Atomics.or), the
 * vCPU clears what it handles (Atomics.exchange) | Readers: the vCPU (entry), stall dumps. The
 * kicker's "set request, then read mode" pairs with the vCPU's "store IN_GUEST_MODE, then read
 * requests" (both sequentially consistent: the kernel's smp_mb pair): at least one sees the other.
 *
 * XEN_PENDING_SEL: vcpu->arch.xen.evtchn_pending_sel, the kernel-side copy of the vCPU's
 * evtchn_pending_sel for events whose vcpu_info check failed (src/kvm/users/xen-vcpu-info.ts).
 * Guard: lock-free | Writers: event senders (Atomics.or, before the UNBLOCK request), the vCPU
 * (Atomics.and of what it folded into vcpu_info) | Readers: the vCPU (kvm_xen_has_pending_events),
 * end-of-run oracles.
 *
 * XEN_TIMER_PENDING: vcpu->arch.xen.timer_pending, set by the Xen timer's hard-irq callback when
 * its fast-path delivery returned -EWOULDBLOCK. Guard: lock-free | Writers: the timer (Atomics.add,
 * before the UNBLOCK request), the vCPU (store 0 after kvm_xen_inject_timer_irqs) | Readers: both.
 *
 * Line B: RUNNING (1 while the vCPU executes guest steps, after its entry check committed) and
 * ACTIVITY. Guard: written only by the vCPU | Readers: the free-while-in-guest oracle (notifier),
 * stall dumps. The "hardware" registers the guest-uses caches load are the register file
 * (guest-registers.ts), written only while RUNNING is 0. *
 * The vcpu_info re-registration within its page (src/kvm/users/xen-vcpu-info-move.ts):
 * XEN_VCPU_INFO_MOVE (line A): 1 = the VMM asked the vCPU to re-point its vcpu_info (a vCPU ioctl,
 * which runs only outside KVM_RUN). Guard: lock-free | Writers: the juggler (Atomics.store 1), the
 * vCPU (Atomics.exchange to 0) | Readers: the vCPU (its exit handler).
 * XEN_VCPU_INFO_AT (line B): where the guest's vcpu_info is in its page, offset + 1 (0: the cache
 * table's offset, never moved); XEN_VCPU_INFO_CARRY (line B): the old offset + 1 whose
 * evtchn_pending_sel / evtchn_upcall_pending the VMM has still to carry over (0: none). Guard:
 * written only by the vCPU (its exit handler, outside guest mode) | Readers: the vCPU's guest code,
 * the end-of-run oracles (main thread, after every thread stopped).
 */
import { CACHE_LINE_INTS, allocateSharedInts } from '../mem/shared-buffer.js';

export const VCPU_INTS = 2 * CACHE_LINE_INTS;
export const V_MODE = 0;
export const V_REQUESTS = 1;
export const V_XEN_PENDING_SEL = 2;
export const V_XEN_TIMER_PENDING = 3;
export const V_RUNNING = CACHE_LINE_INTS + 0;
/** What the vCPU is doing (VCPU_ACT_*), for stall dumps. */
export const V_ACTIVITY = CACHE_LINE_INTS + 1;
/** The vcpu_info re-registration (src/kvm/users/xen-vcpu-info-move.ts): the VMM's request (line A), the guest's offset + 1 and the offset + 1 still to carry over (line B). */
export const V_XEN_VCPU_INFO_MOVE = 4;
export const V_XEN_VCPU_INFO_AT = CACHE_LINE_INTS + 2;
export const V_XEN_VCPU_INFO_CARRY = CACHE_LINE_INTS + 3;

export const MODE_OUTSIDE = 0;
export const MODE_IN = 1;
export const MODE_EXITING = 2;
export const MODE_MASK = 3;
export const MODE_NAMES = ['OUTSIDE_GUEST_MODE', 'IN_GUEST_MODE', 'EXITING_GUEST_MODE', '?'];

/** KVM_REQ_GET_NESTED_STATE_PAGES: reload the guest-uses pages (refresh + load the hardware pfns). */
export const REQ_GET_NESTED_STATE_PAGES = 1;
/** KVM_REQ_GPC_INVALIDATE (5.17): a guest-uses cache was invalidated; handled like GET_NESTED. */
export const REQ_GPC_INVALIDATE = 2;
/** KVM_REQ_STEAL_UPDATE: write the steal-time record. */
export const REQ_STEAL_UPDATE = 4;
/** KVM_REQ_EVENT: an event is pending (the guest consumes it in guest mode). */
export const REQ_EVENT = 8;
/** KVM_REQ_UNBLOCK: wake or stop the vCPU so vcpu_run injects pending Xen events (kvm_xen_set_evtchn_fast's kick). */
export const REQ_UNBLOCK = 16;
export const REQUEST_NAMES: Record<number, string> = { 1: 'GET_NESTED_STATE_PAGES', 2: 'GPC_INVALIDATE', 4: 'STEAL_UPDATE', 8: 'EVENT', 16: 'UNBLOCK' };

export const VCPU_ACT_LOOP = 0;
export const VCPU_ACT_REQUESTS = 1;
export const VCPU_ACT_GUEST = 2;
export const VCPU_ACT_EXIT_HANDLER = 3;
export const VCPU_ACT_DONE = 4;
export const VCPU_ACTIVITY_NAMES = ['loop', 'handling requests', 'in guest', 'exit handler', 'done'];

export function createVcpuTableBuffer(vcpus: number): SharedArrayBuffer {
  return allocateSharedInts(vcpus * VCPU_INTS);
}

export function vcpuBase(v: number): number {
  return v * VCPU_INTS;
}

export function requestNames(bits: number): string {
  const out: string[] = [];
  for (const [bit, name] of Object.entries(REQUEST_NAMES)) if (bits & Number(bit)) out.push(name);
  return out.length ? out.join('|') : '-';
}
