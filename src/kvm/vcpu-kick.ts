/**
 * Requests and kicks (kvm_make_request, kvm_vcpu_kick, kvm_make_vcpus_request_mask with WAIT) and
 * the vCPU side of the mode handshake.
 *
 * The pairing (the kernel's, with sequentially consistent Atomics standing in for its barriers):
 *   kicker:  Atomics.or(REQUESTS)            __kvm_make_request: smp_wmb(); set_bit()
 *            w = load(MODE) ; if IN:
 *            compareExchange(w -> EXITING)    kvm_vcpu_exiting_guest_mode: smp_mb__before_atomic(); cmpxchg()
 *   vCPU:    store(MODE, IN)                  vcpu_enter_guest: smp_store_release(&vcpu->mode, IN_GUEST_MODE)
 *            (srcuExit's Atomics.sub)         kvm_vcpu_srcu_read_unlock + smp_mb__after_srcu_read_unlock()
 *            load(REQUESTS), load(MODE)       kvm_vcpu_exit_request: kvm_request_pending, READ_ONCE(mode)
 *            ... between guest steps: load(MODE) != IN -> exit
 *   (All of these are sequentially consistent Atomics: the store-then-load order the Dekker pair
 *   needs is given by them, not by x86 TSO; the kernel gets it from the smp_mb after the SRCU unlock.)
 * Either the vCPU sees the request before it enters, or the kicker sees IN_GUEST_MODE and makes it
 * exit. A kick WAITs until the session it saw ends (the vCPU's exit bumps the session in MODE and
 * notifies), which is when the vCPU has left guest mode: the "IPI acknowledged".
 */
import { gateBlockOnWord, schedGated } from '../sched/turn-gate.js';
import {
  MODE_EXITING,
  MODE_IN,
  MODE_MASK,
  MODE_OUTSIDE,
  V_MODE,
  V_REQUESTS,
  VCPU_INTS,
} from './vcpu-layout.js';

/**
 * kvm_make_request: sets request bits. Atomics.or is sequentially consistent: it gives the
 * smp_wmb of __kvm_make_request (the request's payload, written before, is visible first) and
 * pairs with the vCPU's request load after IN_GUEST_MODE.
 */
export function makeRequest(vcpus: Int32Array, v: number, bits: number): void {
  if (bits !== 0) Atomics.or(vcpus, v * VCPU_INTS + V_REQUESTS, bits);
}

/**
 * kvm_vcpu_kick without WAIT: if the vCPU is in guest mode, make it exit (IN -> EXITING).
 * Returns true if it was in guest mode (an "IPI" was sent).
 */
export function kickVcpu(vcpus: Int32Array, v: number): boolean {
  const at = v * VCPU_INTS + V_MODE;
  const w = Atomics.load(vcpus, at);
  if ((w & MODE_MASK) !== MODE_IN) return false;
  Atomics.compareExchange(vcpus, at, w, (w & ~MODE_MASK) | MODE_EXITING);
  return true;
}

/**
 * The kicker half of a kick with WAIT: makes the vCPU exit if it is in guest mode and returns the
 * MODE word to wait on, or -1 if there is nothing to wait for (the vCPU is outside guest mode).
 * kvm_request_needs_ipi with WAIT: IN and EXITING both need the wait.
 */
export function kickVcpuForWait(vcpus: Int32Array, v: number): number {
  const at = v * VCPU_INTS + V_MODE;
  for (;;) {
    const w = Atomics.load(vcpus, at);
    const mode = w & MODE_MASK;
    if (mode === MODE_OUTSIDE) return -1;
    if (mode === MODE_EXITING) return w;
    const exiting = (w & ~MODE_MASK) | MODE_EXITING;
    if (Atomics.compareExchange(vcpus, at, w, exiting) === w) return exiting;
  }
}

/**
 * Waits until the session of MODE word `w` has ended, sleeping in slices of `sliceMs` (each slice
 * re-reads MODE, so a missed notify costs at most one slice). It never gives up: if the vCPU never
 * leaves guest mode (a protocol bug), the caller's thread stops making progress and the watchdog
 * reports the stall with every vCPU's mode. Returns the number of slices slept.
 */
export function waitForSessionEnd(vcpus: Int32Array, v: number, w: number, sliceMs: number): number {
  const at = v * VCPU_INTS + V_MODE;
  const session = w >>> 2;
  for (let slices = 0; ; slices++) {
    const now = Atomics.load(vcpus, at);
    if (now >>> 2 !== session || (now & MODE_MASK) === MODE_OUTSIDE) return slices;
    // Pairs with the notify in exitGuestMode (after its exchange of MODE). Under the turn gate:
    // blocked on the MODE word until it changes, the turn handed over.
    if (schedGated) gateBlockOnWord(vcpus, at, now);
    else Atomics.wait(vcpus, at, now, sliceMs);
  }
}

/**
 * vCPU: mode = IN_GUEST_MODE for `session` — vcpu_enter_guest's smp_store_release(&vcpu->mode,
 * IN_GUEST_MODE). The sequentially consistent store, with the Atomics.sub of the SRCU unlock after
 * it, gives smp_mb__after_srcu_read_unlock's order: mode is written before requests (and the
 * caches) are read, pairing with kvm_vcpu_exiting_guest_mode's cmpxchg in the kicker.
 */
export function enterGuestMode(vcpus: Int32Array, v: number, session: number): void {
  Atomics.store(vcpus, v * VCPU_INTS + V_MODE, ((session & 0x1fffffff) << 2) | MODE_IN);
}

/**
 * vCPU: mode = OUTSIDE_GUEST_MODE, ending `session` (the next one is session + 1) — the kernel's
 * `vcpu->mode = OUTSIDE_GUEST_MODE; smp_wmb()`: the exchange is sequentially consistent, so the
 * guest's accesses before it are visible to a kicker that sees the new session. Wakes a kicker
 * that waits for this session to end. Returns true if the vCPU had been kicked (mode was EXITING).
 */
export function exitGuestMode(vcpus: Int32Array, v: number, session: number): boolean {
  const at = v * VCPU_INTS + V_MODE;
  const previous = Atomics.exchange(vcpus, at, (((session + 1) & 0x1fffffff) << 2) | MODE_OUTSIDE);
  const kicked = (previous & MODE_MASK) === MODE_EXITING;
  if (kicked) Atomics.notify(vcpus, at);
  return kicked;
}

/** True while the vCPU may keep running guest steps (nobody kicked it). One Atomics.load. */
export function stillInGuestMode(vcpus: Int32Array, v: number): boolean {
  return (Atomics.load(vcpus, v * VCPU_INTS + V_MODE) & MODE_MASK) === MODE_IN;
}

/** Takes the pending requests (kvm_check_request for all bits at once). */
export function takeRequests(vcpus: Int32Array, v: number): number {
  const at = v * VCPU_INTS + V_REQUESTS;
  if (Atomics.load(vcpus, at) === 0) return 0;
  return Atomics.exchange(vcpus, at, 0);
}

/** Pending requests, without taking them (kvm_request_pending). */
export function pendingRequests(vcpus: Int32Array, v: number): number {
  return Atomics.load(vcpus, v * VCPU_INTS + V_REQUESTS);
}
