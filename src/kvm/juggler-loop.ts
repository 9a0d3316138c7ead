/**
 * The juggler thread, as xen_shinfo_test's juggle_shinfo_state: at --juggle-rate it deactivates
 * the shared_info cache, activates it again, or re-points it (activate at another candidate gfn
 * while it is active), racing the event senders' fast and slow paths.
 */
import { srcuReadLock, srcuReadUnlock } from '../mem/memslots.js';
import { reportProgress, shouldStop } from '../harness/run-control.js';
import { G_ACTIVE, gpcBase } from './gpc-layout.js';
import { gpcActivate, gpcDeactivate } from './gpc.js';
import { GPC_SHINFO, SHINFO_CANDIDATES, shinfoGfn } from './guest-layout.js';
import { flushCounters, type ModelContext } from './model-context.js';
import { Pacer, waitForPacedTurn } from './pacing.js';
import { ST_JUGGLES } from './thread-stats.js';
import { shinfoBytes } from './users/xen-evtchn.js';

export function runJugglerLoop(ctx: ModelContext, control: Int32Array, slotBase: number, ratePerS: number): void {
  const pacer = new Pacer(ratePerS, ctx.rng);
  let ops = 0;
  while (!shouldStop(control)) {
    const due = waitForPacedTurn(control, slotBase, pacer);
    reportProgress(control, slotBase, ++ops);
    if (!due || shouldStop(control)) continue;
    const srcu = srcuReadLock(ctx.ms, ctx.thread);
    ctx.srcuGeneration = srcu;
    const active = Atomics.load(ctx.gpcs, gpcBase(GPC_SHINFO) + G_ACTIVE) !== 0;
    if (active && ctx.rng.below(2) === 0) {
      gpcDeactivate(ctx, GPC_SHINFO);
    } else {
      const gpa = shinfoGfn(ctx.rng.below(SHINFO_CANDIDATES)) << ctx.pageShift;
      gpcActivate(ctx, GPC_SHINFO, gpa, shinfoBytes(ctx));
    }
    srcuReadUnlock(ctx.ms, ctx.thread, srcu);
    ctx.srcuGeneration = -1;
    ctx.counters[ST_JUGGLES]! += 1;
    if ((ops & 255) === 0) flushCounters(ctx);
  }
  // Leave shared_info active, as a VMM would, so the end-of-run oracles see a configured VM.
  const srcu = srcuReadLock(ctx.ms, ctx.thread);
  if (Atomics.load(ctx.gpcs, gpcBase(GPC_SHINFO) + G_ACTIVE) === 0) gpcActivate(ctx, GPC_SHINFO, shinfoGfn(0) << ctx.pageShift, shinfoBytes(ctx));
  srcuReadUnlock(ctx.ms, ctx.thread, srcu);
  flushCounters(ctx);
}
