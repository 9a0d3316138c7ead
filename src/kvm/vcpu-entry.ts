/**
 * The vCPU's vmentry: vcpu_enter_guest, as exported steps (DESIGN 5.7); the thread runs it in a
 * loop (src/stress/threads/vcpu-loop.ts), the bench times the same steps (bench/vmentry.bench.ts).
 *
 *   stop? -> handle requests (GET_NESTED_STATE_PAGES / GPC_INVALIDATE reload the guest-uses
 *   pages; STEAL_UPDATE writes the steal-time record) -> mode = IN_GUEST_MODE -> drop SRCU ->
 *   entry check (strategy) -> a request or kick pending? cancel -> guest steps, polling for a kick
 *   between steps -> mode = OUTSIDE_GUEST_MODE -> SRCU again -> handle the exit (an
 *   EVTCHNOP_send hypercall now and then: kvm_xen_set_evtchn; the vcpu_info re-registration the
 *   VMM asked for, if any: users/xen-vcpu-info-move.ts). Xen events whose vcpu_info check
 *   failed are folded into vcpu_info while requests are handled (kvm_xen_inject_pending_events).
 *
 * The vCPU holds the memslots SRCU read lock except in guest mode, as KVM does (kvm->srcu).
 */
import { gfnToVpage, memslotsGeneration } from '../mem/memslots.js';
import { checkEntryTranslation } from '../oracle/properties/stale-entry.js';
import { deletesDone } from '../oracle/retired-memory.js';
import { STEP_ENTRY_CANCEL, STEP_GUEST_RUN, STEP_REQUESTS, STEP_VCPU_ENTER, STEP_VCPU_EXIT } from '../trace/trace-steps.js';
import { BUG_ENTRY_CHECK_BEFORE_MODE, isBugOn } from './bug-switches.js';
import { openGuestRegisters, registerPfn, type GuestRegisters } from './guest-registers.js';
import { traceStep, type ModelContext } from './model-context.js';
import { POINT_GUEST_STEP, schedOn, schedPoint } from '../sched/turn-gate.js';
import { srcuEnter, srcuExit } from './srcu.js';
import { strategyById } from './strategies/registry.js';
import {
  ST_ENTRY_CANCELS,
  ST_ENTRY_CHECKS,
  ST_GUEST_STEPS,
  ST_KICK_EXITS,
  ST_VMENTRIES,
} from './thread-stats.js';
import { recordStealTime } from './users/steal-time.js';
import { kvmXenRunstateSetPreempted, kvmXenRunstateSetRunning, openRunstate, type Runstate } from './users/xen-runstate.js';
import { setEvtchn, xenInjectTimerIrqs } from './users/xen-evtchn.js';
import { xenInjectPendingEvents } from './users/xen-vcpu-info.js';
import { xenVcpuInfoMoveIfAsked } from './users/xen-vcpu-info-move.js';
import { getNestedStatePages, nestedHardwareStep } from './users/nested-pages.js';
import { guestStep, openGuestState, type GuestState } from './users/guest-code.js';
import {
  enterGuestMode,
  exitGuestMode,
  makeRequest,
  pendingRequests,
  stillInGuestMode,
  takeRequests,
} from './vcpu-kick.js';
import {
  REQ_GET_NESTED_STATE_PAGES,
  REQ_GPC_INVALIDATE,
  REQ_STEAL_UPDATE,
  V_ACTIVITY,
  V_RUNNING,
  VCPU_ACT_EXIT_HANDLER,
  VCPU_ACT_GUEST,
  VCPU_ACT_REQUESTS,
  VCPU_INTS,
} from './vcpu-layout.js';
import { WORKLOAD_NESTED, WORKLOAD_RUNSTATE, WORKLOAD_STEAL, WORKLOAD_XEN } from './vm-layout.js';

/** Per-vCPU state the loop keeps (allocated once, by openVcpuState). */
export interface VcpuState {
  readonly v: number;
  session: number;
  /** The SRCU index of the read section the vCPU holds outside guest mode. */
  srcu: number;
  /** The guest-uses register file (the "hardware" pfns) and the entry-check snapshot. */
  readonly gr: GuestRegisters;
  readonly guest: GuestState;
  readonly nested: boolean;
  /** The Xen runstate area (kernel side), or null when the runstate workload is off. */
  readonly runstate: Runstate | null;
  /** The run's entry-check strategy's check, picked once (the hot call stays monomorphic). */
  readonly check: (ctx: ModelContext, gr: GuestRegisters) => boolean;
}

/**
 * vCPU v's loop state. Its check: the run's protocol variant's entryCheck if it replaces one, else
 * the run's entry strategy's (`strategyIdOverride` >= 0: that strategy's, for the bench). Cold path.
 */
export function openVcpuState(ctx: ModelContext, v: number, strategyIdOverride = -1): VcpuState {
  const runstate = (ctx.workload & WORKLOAD_RUNSTATE) !== 0 ? openRunstate(ctx, v) : null;
  return {
    v,
    session: 0,
    srcu: -1,
    gr: openGuestRegisters(ctx.layout.caches, v),
    guest: openGuestState(ctx, v, runstate),
    nested: (ctx.workload & WORKLOAD_NESTED) !== 0,
    runstate,
    check: strategyIdOverride >= 0 ? strategyById(strategyIdOverride).check : (ctx.protocol.entryCheck ?? strategyById(ctx.strategy).check),
  };
}

/** Entry step 1: take the pending requests and handle them (outside guest mode, in the SRCU section). */
export function vcpuHandleRequests(ctx: ModelContext, vs: VcpuState): void {
  const requests = takeRequests(ctx.vcpus, vs.v);
  // vcpu_run, after the last entry: kvm_clear_request(KVM_REQ_UNBLOCK) (taken above), then
  // kvm_xen_inject_pending_events if kvm_xen_has_pending_events (the kernel-side selector copy),
  // then the Xen timer's deferred expiry (kvm_inject_pending_timer_irqs).
  if ((ctx.workload & WORKLOAD_XEN) !== 0) {
    xenInjectPendingEvents(ctx, vs.v);
    xenInjectTimerIrqs(ctx, vs.v);
  }
  if (requests === 0) return;
  Atomics.store(ctx.vcpus, vs.v * VCPU_INTS + V_ACTIVITY, VCPU_ACT_REQUESTS);
  traceStep(ctx, STEP_REQUESTS, -1, -1, -1, requests);
  if (vs.nested) vcpuHandleNestedRequests(ctx, vs, requests);
  if ((requests & REQ_STEAL_UPDATE) !== 0) {
    // record_steal_time: for a Xen guest upstream updates only the runstate (kvm_xen_runstate_set_running)
    // and returns; the model's VM has both users, so it does both.
    if (vs.runstate !== null) kvmXenRunstateSetRunning(ctx, vs.runstate);
    if ((ctx.workload & WORKLOAD_STEAL) !== 0) recordStealTime(ctx, vs.v);
  }
  // REQ_UNBLOCK needs nothing more: the guest takes its pending events in guest mode.
}

/**
 * KVM_REQ_GET_NESTED_STATE_PAGES reloads the guest-uses pages (nested_get_vmcs12_pages);
 * KVM_REQ_GPC_INVALIDATE does what the run's protocol says (gpcInvalidateRequest; mainline: the
 * same reload, once for both bits).
 */
function vcpuHandleNestedRequests(ctx: ModelContext, vs: VcpuState, requests: number): void {
  if ((requests & REQ_GET_NESTED_STATE_PAGES) !== 0) getNestedStatePages(ctx, vs.gr);
  else if ((requests & REQ_GPC_INVALIDATE) !== 0) {
    const step = ctx.protocol.gpcInvalidateRequest;
    if (step === undefined) getNestedStatePages(ctx, vs.gr);
    else step(ctx, vs.gr);
  }
}

/**
 * Entry step 3: the strategy's check of the guest-uses caches (after IN_GUEST_MODE and the SRCU
 * unlock); a failure requests GET_NESTED_STATE_PAGES, which cancels this entry. Returns the check.
 */
export function vcpuEntryCheck(ctx: ModelContext, vs: VcpuState): boolean {
  return vcpuEntryCheckDone(ctx, vs, vs.check(ctx, vs.gr));
}

/** The rest of entry step 3, given the check's result `ok` (the bench calls each strategy's check itself). */
export function vcpuEntryCheckDone(ctx: ModelContext, vs: VcpuState, ok: boolean): boolean {
  ctx.counters[ST_ENTRY_CHECKS]! += 1;
  if (!ok) makeRequest(ctx.vcpus, vs.v, REQ_GET_NESTED_STATE_PAGES);
  return ok;
}

/**
 * Entry step 4 when a request or kick is pending (or the entry is over): leave guest mode without
 * running the guest, and take the SRCU read lock again.
 */
function vcpuCancelEntry(ctx: ModelContext, vs: VcpuState, pending: number): void {
  traceStep(ctx, STEP_ENTRY_CANCEL, -1, -1, -1, pending);
  ctx.counters[ST_ENTRY_CANCELS]! += 1;
  vcpuLeaveGuestMode(ctx, vs);
}

/** OUTSIDE_GUEST_MODE for this entry's session, next session, and the SRCU read lock again. Returns true if the vCPU had been kicked. */
export function vcpuLeaveGuestMode(ctx: ModelContext, vs: VcpuState): boolean {
  const kicked = exitGuestMode(ctx.vcpus, vs.v, vs.session);
  vs.session = (vs.session + 1) | 0;
  vs.srcu = srcuEnter(ctx);
  return kicked;
}

/** Guest mode, committed: bounded steps, polling for a kick between them. Returns true if kicked out. */
function runGuest(ctx: ModelContext, vs: VcpuState): boolean {
  const v = vs.v;
  const steps = 1 + ctx.rng.below(ctx.guestSteps);
  for (let s = 0; s < steps; s++) {
    // The guest's accesses through the loaded mappings: a scheduling point each (src/sched/).
    if (schedOn) schedPoint(POINT_GUEST_STEP);
    if (!stillInGuestMode(ctx.vcpus, v)) return true;
    if (vs.nested) nestedHardwareStep(ctx, vs.gr);
    guestStep(ctx, v, vs.guest);
    ctx.counters[ST_GUEST_STEPS]! += 1;
  }
  return false;
}

/** Oracle snapshot, once IN_GUEST_MODE is visible and while SRCU still protects the memslots copy: where each register's gfn translates now. */
function snapshotEntryTranslations(ctx: ModelContext, vs: VcpuState, entryGen: number): void {
  const gr = vs.gr;
  for (let r = 0; r < gr.count; r++) gr.vpageNow[r] = gfnToVpage(ctx.ms, entryGen, gr.gfn[r]!);
}

/** One vcpu_enter_guest (the vCPU thread's loop body, src/stress/threads/vcpu-loop.ts). */
export function vcpuEnterGuest(ctx: ModelContext, vs: VcpuState): void {
  const v = vs.v;
  const vcpus = ctx.vcpus;
  vcpuHandleRequests(ctx, vs);
  if ((ctx.workload & WORKLOAD_STEAL) !== 0 && ctx.rng.below(1000) < ctx.stealPermille) makeRequest(vcpus, v, REQ_STEAL_UPDATE);
  // kvm_check_and_inject_events -> check_events (and has_events): KVM's own reads of the nested
  // pages, before IN_GUEST_MODE, if the run's protocol has them (mainline: none).
  if (vs.nested) {
    const hostAccess = ctx.protocol.nestedHostAccess;
    if (hostAccess !== undefined) hostAccess(ctx, vs.gr);
  }

  // The seed (dwmw2, 16 Nov 2021): nested_vmx_check_guest_maps() runs *after* vcpu->mode =
  // IN_GUEST_MODE; checking before it lets an invalidation slip between check and mode.
  if (vs.nested && isBugOn(BUG_ENTRY_CHECK_BEFORE_MODE)) vcpuEntryCheck(ctx, vs);
  // mode = IN_GUEST_MODE, then everything below reads requests/caches: the store is sequentially
  // consistent (the kernel's smp_store_release of the mode plus the smp_mb of
  // smp_mb__after_srcu_read_unlock), pairing with kickers' "set request, then read mode" and the
  // notifier's "clear valid, then kick".
  enterGuestMode(vcpus, v, vs.session);
  // The hardware's writes from this entry on are judged against the DELETEs completed by now
  // (lost-write; its check, the stamp's only reader, runs only with the oracles on).
  if (ctx.oracles) ctx.guestEntryDeleteStamp = deletesDone(ctx.retired);
  traceStep(ctx, STEP_VCPU_ENTER, -1, -1, -1, vs.session);
  const entryGen = memslotsGeneration(ctx.ms);
  if (vs.nested && ctx.oracles) snapshotEntryTranslations(ctx, vs, entryGen);
  srcuExit(ctx, vs.srcu);
  if (vs.nested && !isBugOn(BUG_ENTRY_CHECK_BEFORE_MODE)) vcpuEntryCheck(ctx, vs);
  const pending = pendingRequests(vcpus, v);
  if (pending !== 0 || !stillInGuestMode(vcpus, v)) {
    vcpuCancelEntry(ctx, vs, pending);
    return;
  }

  // Committed: from here until RUNNING = 0 the hardware uses the loaded pfns.
  Atomics.store(vcpus, v * VCPU_INTS + V_RUNNING, 1);
  Atomics.store(vcpus, v * VCPU_INTS + V_ACTIVITY, VCPU_ACT_GUEST);
  ctx.counters[ST_VMENTRIES]! += 1;
  if (vs.nested) {
    const gr = vs.gr;
    traceStep(ctx, STEP_GUEST_RUN, gr.count > 0 ? gr.cache[0]! : -1, -1, gr.count > 0 ? registerPfn(gr, 0) : -1, gr.count > 1 ? registerPfn(gr, 1) : -1);
    if (gr.count > 0 && registerPfn(gr, 0) >= 0) checkEntryTranslation(ctx, gr, entryGen);
  }
  const kickedOut = runGuest(ctx, vs);
  Atomics.store(vcpus, v * VCPU_INTS + V_RUNNING, 0);
  // Logged before the mode change, so it precedes the kicker's "vcpu-evicted" in the trace.
  traceStep(ctx, STEP_VCPU_EXIT, -1, -1, -1, kickedOut ? 1 : 0);
  const kicked = vcpuLeaveGuestMode(ctx, vs) || kickedOut;
  if (kicked) ctx.counters[ST_KICK_EXITS]! += 1;

  // The exit handler: now and then the guest made an EVTCHNOP_send hypercall.
  Atomics.store(vcpus, v * VCPU_INTS + V_ACTIVITY, VCPU_ACT_EXIT_HANDLER);
  // Now and then L2's exit goes to L1, which resumes it, if the run's protocol models that (mainline: no).
  if (vs.nested) {
    const l1Exit = ctx.protocol.nestedVmexit;
    if (l1Exit !== undefined) l1Exit(ctx, vs.gr);
  }
  if ((ctx.workload & WORKLOAD_XEN) !== 0 && ctx.rng.below(1000) < ctx.eventPermille) setEvtchn(ctx, ctx.rng.below(ctx.nvcpus));
  // The VMM's KVM_XEN_VCPU_SET_ATTR(VCPU_INFO) at another offset of the page, if it asked (a vCPU ioctl: outside KVM_RUN).
  if ((ctx.workload & WORKLOAD_XEN) !== 0) xenVcpuInfoMoveIfAsked(ctx, v);
  // Now and then the vCPU thread is preempted here (outside guest mode, in the SRCU section).
  if (vs.runstate !== null && ctx.rng.below(1000) < ctx.stealPermille) vcpuPreempted(ctx, vs, vs.runstate);
}

/**
 * The vCPU thread is preempted and scheduled back in: kvm_sched_out -> kvm_arch_vcpu_put with
 * vcpu->preempted -> kvm_xen_runstate_set_preempted (atomic: the runqueue lock is held); then
 * kvm_sched_in -> kvm_arch_vcpu_load -> KVM_REQ_STEAL_UPDATE, handled before the next entry
 * (record_steal_time -> kvm_xen_runstate_set_running).
 */
function vcpuPreempted(ctx: ModelContext, vs: VcpuState, rs: Runstate): void {
  kvmXenRunstateSetPreempted(ctx, rs);
  makeRequest(ctx.vcpus, vs.v, REQ_STEAL_UPDATE);
}
