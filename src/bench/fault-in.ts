/**
 * Makes guest frames resident in the host before a bench, so every invalidation of them is a real
 * migration (copy, pte re-point, free) and not the cheap "page not resident" case.
 */
import { gfnToVpage, memslotsGeneration, srcuReadLock, srcuReadUnlock } from '../mem/memslots.js';
import { hostFaultInWithEpoch } from '../kvm/host-fault.js';
import type { ModelContext } from '../kvm/model-context.js';

/** Faults each gfn in through its memslot (cold path). Throws if one cannot be. */
export function faultInGfns(ctx: ModelContext, gfns: readonly number[]): void {
  const srcu = srcuReadLock(ctx.ms, ctx.thread);
  try {
    const generation = memslotsGeneration(ctx.ms);
    for (const gfn of gfns) {
      const vpage = gfnToVpage(ctx.ms, generation, gfn);
      if (vpage < 0 || hostFaultInWithEpoch(ctx, vpage) < 0) throw new Error(`bench: cannot fault in gfn ${gfn}`);
    }
  } finally {
    srcuReadUnlock(ctx.ms, ctx.thread, srcu);
  }
}
