/**
 * The vCPU: vcpu_enter_guest in a loop (DESIGN 5.7).
 *
 *   stop? -> handle requests (GET_NESTED_STATE_PAGES / GPC_INVALIDATE reload the guest-uses
 *   pages; STEAL_UPDATE writes the steal-time record) -> mode = IN_GUEST_MODE -> drop SRCU ->
 *   entry check (strategy) -> a request or kick pending? cancel -> guest steps, polling for a kick
 *   between steps -> mode = OUTSIDE_GUEST_MODE -> SRCU again -> handle the exit (an
 *   EVTCHNOP_send hypercall now and then).
 *
 * The vCPU holds the memslots SRCU read lock except in guest mode, as KVM does (kvm->srcu).
 */
import { gfnToVpage, memslotsGeneration, srcuReadLock, srcuReadUnlock } from '../mem/memslots.js';
import { checkEntryTranslation } from '../oracle/access-oracles.js';
import { STEP_ENTRY_CANCEL, STEP_GUEST_RUN, STEP_REQUESTS, STEP_VCPU_ENTER, STEP_VCPU_EXIT } from '../trace/trace-steps.js';
import { reportProgress, setThreadState, shouldStop, ThreadState } from '../harness/run-control.js';
import { BUG_ENTRY_CHECK_BEFORE_MODE, isBugOn } from './bug-switches.js';
import { entryCheck } from './entry-check.js';
import { piDescGfn, vapicGfn, vapicGpc } from './guest-layout.js';
import { flushCounters, traceStep, type ModelContext } from './model-context.js';
import {
  ST_ENTRY_CANCELS,
  ST_ENTRY_CHECKS,
  ST_GUEST_STEPS,
  ST_KICK_EXITS,
  ST_VMENTRIES,
} from './thread-stats.js';
import { recordStealTime } from './users/steal-time.js';
import { sendEvent } from './users/xen-evtchn.js';
import { emptyNestedHardware, getNestedStatePages, nestedHardwareStep, type NestedHardware } from './users/nested-pages.js';
import { emptyGuestState, guestStep, type GuestState } from './users/guest-code.js';
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
  VCPU_ACT_DONE,
  VCPU_ACT_EXIT_HANDLER,
  VCPU_ACT_GUEST,
  VCPU_ACT_REQUESTS,
  VCPU_INTS,
} from './vcpu-layout.js';
import { WORKLOAD_NESTED, WORKLOAD_STEAL, WORKLOAD_XEN } from './vm-layout.js';

const FLUSH_EVERY = 1024;

/** Per-vCPU state the loop keeps (allocated once). */
interface VcpuState {
  readonly v: number;
  session: number;
  readonly hw: NestedHardware;
  readonly guest: GuestState;
  nested: boolean;
  /** Oracle snapshot at entry: where the nested pages' gfns translate now. */
  vapicVpageNow: number;
  piVpageNow: number;
}

function handleRequests(ctx: ModelContext, vs: VcpuState, requests: number): void {
  Atomics.store(ctx.vcpus, vs.v * VCPU_INTS + V_ACTIVITY, VCPU_ACT_REQUESTS);
  traceStep(ctx, STEP_REQUESTS, -1, -1, -1, requests);
  if ((requests & (REQ_GET_NESTED_STATE_PAGES | REQ_GPC_INVALIDATE)) !== 0 && vs.nested) getNestedStatePages(ctx, vs.v, vs.hw);
  if ((requests & REQ_STEAL_UPDATE) !== 0) recordStealTime(ctx, vs.v);
  // REQ_EVENT needs nothing here: the guest takes its pending events in guest mode.
}

/** Guest mode, committed: bounded steps, polling for a kick between them. Returns true if kicked out. */
function runGuest(ctx: ModelContext, vs: VcpuState): boolean {
  const v = vs.v;
  const steps = 1 + ctx.rng.below(ctx.guestSteps);
  for (let s = 0; s < steps; s++) {
    if (!stillInGuestMode(ctx.vcpus, v)) return true;
    if (vs.nested) nestedHardwareStep(ctx, v, vs.hw);
    guestStep(ctx, v, vs.guest);
    ctx.counters[ST_GUEST_STEPS]! += 1;
  }
  return false;
}

/** One vcpu_enter_guest. `srcu` is the generation of the SRCU section held on entry; returns the new one. */
function enterGuestOnce(ctx: ModelContext, vs: VcpuState, srcu: number): number {
  const v = vs.v;
  const vcpus = ctx.vcpus;
  const requests = takeRequests(vcpus, v);
  if (requests !== 0) handleRequests(ctx, vs, requests);
  if ((ctx.workload & WORKLOAD_STEAL) !== 0 && ctx.rng.below(1000) < ctx.stealPermille) makeRequest(vcpus, v, REQ_STEAL_UPDATE);

  let entryOk = true;
  // The seed (dwmw2, 16 Nov 2021): nested_vmx_check_guest_maps() runs *after* vcpu->mode =
  // IN_GUEST_MODE; checking before it lets an invalidation slip between check and mode.
  if (vs.nested && isBugOn(BUG_ENTRY_CHECK_BEFORE_MODE)) entryOk = entryCheck(ctx, v, vs.hw);
  // mode = IN_GUEST_MODE, then everything below reads requests/caches: the store is sequentially
  // consistent (the kernel's smp_mb), pairing with kickers' "set request, then read mode" and the
  // notifier's "clear valid, then kick".
  enterGuestMode(vcpus, v, vs.session);
  traceStep(ctx, STEP_VCPU_ENTER, -1, -1, -1, vs.session);
  // Oracle snapshot, once IN_GUEST_MODE is visible and before the entry check: the generation and
  // the translation of the nested pages' gfns (looked up while SRCU still protects the copy).
  const entryGen = memslotsGeneration(ctx.ms);
  if (vs.nested && ctx.oracles) {
    vs.vapicVpageNow = gfnToVpage(ctx.ms, entryGen, vapicGfn(ctx.nvcpus, v));
    vs.piVpageNow = gfnToVpage(ctx.ms, entryGen, piDescGfn(ctx.nvcpus, v));
  }
  srcuReadUnlock(ctx.ms, ctx.thread, srcu);
  ctx.srcuGeneration = -1;
  if (vs.nested && !isBugOn(BUG_ENTRY_CHECK_BEFORE_MODE)) {
    ctx.counters[ST_ENTRY_CHECKS]! += 1;
    entryOk = entryCheck(ctx, v, vs.hw);
  }
  if (!entryOk) makeRequest(vcpus, v, REQ_GET_NESTED_STATE_PAGES);
  const pending = pendingRequests(vcpus, v);
  if (pending !== 0 || !stillInGuestMode(vcpus, v)) {
    traceStep(ctx, STEP_ENTRY_CANCEL, -1, -1, -1, pending);
    exitGuestMode(vcpus, v, vs.session);
    vs.session = (vs.session + 1) | 0;
    ctx.counters[ST_ENTRY_CANCELS]! += 1;
    const next = srcuReadLock(ctx.ms, ctx.thread);
    ctx.srcuGeneration = next;
    return next;
  }

  // Committed: from here until RUNNING = 0 the hardware uses the loaded pfns.
  Atomics.store(vcpus, v * VCPU_INTS + V_RUNNING, 1);
  Atomics.store(vcpus, v * VCPU_INTS + V_ACTIVITY, VCPU_ACT_GUEST);
  ctx.counters[ST_VMENTRIES]! += 1;
  if (vs.nested) {
    traceStep(ctx, STEP_GUEST_RUN, vapicGpc(ctx.nvcpus, v), -1, vs.hw.vapicPfn, vs.hw.piPfn);
    if (vs.hw.vapicPfn >= 0) {
      const hw = vs.hw;
      checkEntryTranslation(ctx, v, vapicGpc(ctx.nvcpus, v), hw.generation, entryGen, hw.vapicVpage, vs.vapicVpageNow, hw.piVpage, vs.piVpageNow);
    }
  }
  const kickedOut = runGuest(ctx, vs);
  Atomics.store(vcpus, v * VCPU_INTS + V_RUNNING, 0);
  // Logged before the mode change, so it precedes the kicker's "vcpu-evicted" in the trace.
  traceStep(ctx, STEP_VCPU_EXIT, -1, -1, -1, kickedOut ? 1 : 0);
  const kicked = exitGuestMode(vcpus, v, vs.session) || kickedOut;
  vs.session = (vs.session + 1) | 0;
  if (kicked) ctx.counters[ST_KICK_EXITS]! += 1;
  const next = srcuReadLock(ctx.ms, ctx.thread);
  ctx.srcuGeneration = next;

  // The exit handler: now and then the guest made an EVTCHNOP_send hypercall.
  Atomics.store(vcpus, v * VCPU_INTS + V_ACTIVITY, VCPU_ACT_EXIT_HANDLER);
  if ((ctx.workload & WORKLOAD_XEN) !== 0 && ctx.rng.below(1000) < ctx.eventPermille) sendEvent(ctx, ctx.rng.below(ctx.nvcpus), false);
  return next;
}

/** Runs vCPU v until the run is stopped. `crashAfter` >= 0 is a test hook: throw after that many iterations. */
export function runVcpuLoop(ctx: ModelContext, control: Int32Array, slotBase: number, v: number, crashAfter = -1): void {
  const vs: VcpuState = {
    v,
    session: 0,
    hw: emptyNestedHardware(),
    guest: emptyGuestState(),
    nested: (ctx.workload & WORKLOAD_NESTED) !== 0,
    vapicVpageNow: -1,
    piVpageNow: -1,
  };
  setThreadState(control, slotBase, ThreadState.RUNNING, v);
  let srcu = srcuReadLock(ctx.ms, ctx.thread);
  ctx.srcuGeneration = srcu;
  if (vs.nested) makeRequest(ctx.vcpus, v, REQ_GET_NESTED_STATE_PAGES);
  let iterations = 0;
  while (!shouldStop(control)) {
    srcu = enterGuestOnce(ctx, vs, srcu);
    iterations++;
    reportProgress(control, slotBase, iterations);
    if (iterations === crashAfter) throw new Error(`vcpu-${v}: test crash after ${crashAfter} iterations (--crash-after)`);
    if ((iterations & (FLUSH_EVERY - 1)) === 0) flushCounters(ctx);
  }
  srcuReadUnlock(ctx.ms, ctx.thread, srcu);
  ctx.srcuGeneration = -1;
  Atomics.store(ctx.vcpus, v * VCPU_INTS + V_ACTIVITY, VCPU_ACT_DONE);
  flushCounters(ctx);
}
