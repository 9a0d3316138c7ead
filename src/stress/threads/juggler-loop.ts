/**
 * The juggler thread, as xen_shinfo_test's juggle_shinfo_state: at --juggle-rate it deactivates
 * the shared_info cache, activates it again, or re-points it (activate at another candidate page
 * while it is active), racing the event senders' fast and slow paths. Each activation attaches by
 * GPA or by HVA as --xen-attach says (xen_shinfo_test: activate gfn, deactivate, activate hva,
 * deactivate, ...; src/kvm/users/xen-attach.ts), an HVA one now and then at the overlay page
 * outside every memslot; a re-point while active may switch GPA <-> HVA.
 * Every 4th turn it also asks a vCPU to re-register its vcpu_info at another offset of its page
 * (the vCPU does it at its next exit: src/kvm/users/xen-vcpu-info-move.ts).
 */
import { srcuEnter, srcuExit } from '../../kvm/srcu.js';
import { reportProgress, shouldStop } from '../../harness/run-control.js';
import { G_ACTIVE, gpcBase } from '../../kvm/gpc-layout.js';
import { gpcDeactivate } from '../../kvm/gpc.js';
import { SHINFO_CANDIDATES } from '../../kvm/cache-users.js';
import { flushCounters, type ModelContext } from '../../kvm/model-context.js';
import { Pacer } from '../../kvm/pacing.js';
import { waitForPacedTurn } from './paced-turn.js';
import { ST_JUGGLES } from '../../kvm/thread-stats.js';
import { shinfoCache } from '../../kvm/users/xen-evtchn.js';
import { attachShinfo, attachShinfoAsConfigured } from '../../kvm/users/xen-attach.js';
import { requestVcpuInfoMove } from '../../kvm/users/xen-vcpu-info-move.js';

export function runJugglerLoop(ctx: ModelContext, control: Int32Array, slotBase: number, ratePerS: number): void {
  const pacer = new Pacer(ratePerS, ctx.rng);
  const shinfo = shinfoCache(ctx);
  let ops = 0;
  let vcpuInfoTurns = 0;
  while (!shouldStop(control)) {
    const due = waitForPacedTurn(control, slotBase, pacer);
    reportProgress(control, slotBase, ++ops);
    if (!due || shouldStop(control)) continue;
    const srcu = srcuEnter(ctx);
    const active = Atomics.load(ctx.gpcs, gpcBase(shinfo) + G_ACTIVE) !== 0;
    if (active && ctx.rng.below(2) === 0) {
      gpcDeactivate(ctx, shinfo);
    } else {
      attachShinfoAsConfigured(ctx, ctx.rng.below(SHINFO_CANDIDATES));
    }
    srcuExit(ctx, srcu);
    // Every 4th turn the VMM also asks one vCPU (round robin) to re-register its vcpu_info at another offset of its page (src/kvm/users/xen-vcpu-info-move.ts).
    if ((++vcpuInfoTurns & 3) === 0) requestVcpuInfoMove(ctx, (vcpuInfoTurns >> 2) % ctx.nvcpus);
    ctx.counters[ST_JUGGLES]! += 1;
    if ((ops & 255) === 0) flushCounters(ctx);
  }
  // Leave shared_info active, as a VMM would, so the end-of-run oracles see a configured VM.
  const srcu = srcuEnter(ctx);
  if (Atomics.load(ctx.gpcs, gpcBase(shinfo) + G_ACTIVE) === 0) attachShinfo(ctx, 0, false);
  srcuExit(ctx, srcu);
  flushCounters(ctx);
}
