/**
 * The bench's invalidation load: the host mm migrating guest pages at a Poisson-paced rate, each
 * migration a full MMU-notifier event of the model (mmEventBegin: count++, the gpc hook, eviction
 * of the guest-uses vCPUs with WAIT; mmEventFinish: the pte change, the free, seq++ count--).
 * The targets are either the pages the timing threads' caches map, or unrelated pages.
 */
import { reportProgress, shouldStop } from '../harness/run-control.js';
import { MM_MIGRATE, mmEventBegin, mmEventFinish } from '../kvm/host-mm-events.js';
import type { ModelContext } from '../kvm/model-context.js';
import { Pacer } from '../kvm/pacing.js';
import { ST_EVICTION_WAITS } from '../kvm/thread-stats.js';

export interface LoadTotals {
  readonly events: number;
  readonly evictionWaits: number;
}

/** Invalidates random `targets` at `ratePerS` until the run is stopped. */
export function runInvalidationLoad(ctx: ModelContext, control: Int32Array, slotBase: number, targets: Int32Array, ratePerS: number): LoadTotals {
  const pacer = new Pacer(ratePerS, ctx.rng);
  let events = 0;
  while (!shouldStop(control)) {
    if (!pacer.waitTurn(20) || shouldStop(control)) continue;
    const gfn = targets[ctx.rng.below(targets.length)]!;
    mmEventBegin(ctx, MM_MIGRATE, gfn);
    mmEventFinish(ctx, MM_MIGRATE, gfn);
    reportProgress(control, slotBase, ++events);
  }
  return { events, evictionWaits: ctx.counters[ST_EVICTION_WAITS]! };
}
