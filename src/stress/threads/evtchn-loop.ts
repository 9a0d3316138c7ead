/**
 * The evtchn thread: userspace KVM_XEN_HVM_EVTCHN_SEND at --event-rate, to a random port, half of
 * them with the fast path in irq context (the Xen timer's hrtimer path), each inside the memslots
 * SRCU read section as kvm_xen_set_evtchn is.
 */
import { srcuEnter, srcuExit } from '../../kvm/srcu.js';
import { reportProgress, shouldStop } from '../../harness/run-control.js';
import { flushCounters, type ModelContext } from '../../kvm/model-context.js';
import { Pacer } from '../../kvm/pacing.js';
import { waitForPacedTurn } from './paced-turn.js';
import { sendEvent } from '../../kvm/users/xen-evtchn.js';

export function runEvtchnLoop(ctx: ModelContext, control: Int32Array, slotBase: number, ratePerS: number): void {
  const pacer = new Pacer(ratePerS, ctx.rng);
  let sends = 0;
  while (!shouldStop(control)) {
    const due = waitForPacedTurn(control, slotBase, pacer);
    reportProgress(control, slotBase, ++sends);
    if (!due || shouldStop(control)) continue;
    const srcu = srcuEnter(ctx);
    sendEvent(ctx, ctx.rng.below(ctx.nvcpus), ctx.rng.below(2) === 0);
    srcuExit(ctx, srcu);
    if ((sends & 1023) === 0) flushCounters(ctx);
  }
  flushCounters(ctx);
}
