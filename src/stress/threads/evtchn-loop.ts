/**
 * The evtchn thread: events at --event-rate to a random port, each inside the memslots SRCU read
 * section as kvm_xen_set_evtchn is. Half come from userspace (KVM_XEN_HVM_EVTCHN_SEND: the slow
 * path, kvm_xen_set_evtchn, in process context); a quarter from the port's vCPU's Xen timer in
 * hard irq (xen_timer_callback: on -EWOULDBLOCK, timer_pending and a kick; the vCPU delivers it,
 * src/kvm/users/xen-evtchn.ts); a quarter from an irqfd in irq context
 * (irqfd_wakeup -> kvm_arch_set_irq_inatomic -> kvm_xen_set_evtchn_fast). An irqfd delivery
 * that returns -EWOULDBLOCK schedules the irqfd's work item (one per port; scheduling a queued
 * one again is a no-op), which runs at the thread's next turn in process context (irqfd_inject ->
 * kvm_set_irq -> evtchn_set_fn -> kvm_xen_set_evtchn, the only path that refreshes shared_info),
 * and is flushed before the thread ends.
 */
import { srcuEnter, srcuExit } from '../../kvm/srcu.js';
import { reportProgress, shouldStop } from '../../harness/run-control.js';
import { flushCounters, type ModelContext } from '../../kvm/model-context.js';
import { Pacer } from '../../kvm/pacing.js';
import { waitForPacedTurn } from './paced-turn.js';
import { EWOULDBLOCK, setEvtchn, setEvtchnFast, xenTimerCallback } from '../../kvm/users/xen-evtchn.js';
import { ST_EVENTS_DEFERRED, ST_EVENTS_FROM_IRQ } from '../../kvm/thread-stats.js';

/** irqfd_inject for every port whose work item is queued (process context, in an SRCU section). Returns the number run. */
function runQueuedInjects(ctx: ModelContext, queued: Uint8Array): number {
  let ran = 0;
  for (let port = 0; port < queued.length; port++) {
    if (queued[port] === 0) continue;
    queued[port] = 0;
    ran++;
    if (setEvtchn(ctx, port) >= 0) ctx.counters[ST_EVENTS_DEFERRED]! += 1;
  }
  return ran;
}

/** irqfd_wakeup for `port`: the fast path in irq context; -EWOULDBLOCK queues the work item. */
function irqfdWakeup(ctx: ModelContext, queued: Uint8Array, port: number): void {
  const rc = setEvtchnFast(ctx, port, true);
  if (rc === -EWOULDBLOCK) queued[port] = 1;
  else if (rc >= 0) ctx.counters[ST_EVENTS_FROM_IRQ]! += 1;
}

export function runEvtchnLoop(ctx: ModelContext, control: Int32Array, slotBase: number, ratePerS: number): void {
  const pacer = new Pacer(ratePerS, ctx.rng);
  const queued = new Uint8Array(ctx.nvcpus);
  let pendingWork = false;
  let sends = 0;
  while (!shouldStop(control)) {
    const due = waitForPacedTurn(control, slotBase, pacer);
    reportProgress(control, slotBase, ++sends);
    if (!due || shouldStop(control)) continue;
    const srcu = srcuEnter(ctx);
    if (pendingWork) {
      runQueuedInjects(ctx, queued);
      pendingWork = false;
    }
    const port = ctx.rng.below(ctx.nvcpus);
    const source = ctx.rng.below(4);
    if (source === 0) {
      irqfdWakeup(ctx, queued, port);
      pendingWork = queued[port] !== 0;
    } else if (source === 1) {
      xenTimerCallback(ctx, port);
    } else {
      setEvtchn(ctx, port);
    }
    srcuExit(ctx, srcu);
    if ((sends & 1023) === 0) flushCounters(ctx);
  }
  // flush_work: the queued injects run before the thread ends (process context still).
  if (pendingWork) {
    const srcu = srcuEnter(ctx);
    runQueuedInjects(ctx, queued);
    srcuExit(ctx, srcu);
  }
  flushCounters(ctx);
}
