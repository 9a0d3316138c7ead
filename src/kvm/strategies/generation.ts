/**
 * `generation`: one compare of the memslot generation with the vCPU's snapshot (David Woodhouse's
 * proposal in the seed thread: "a single check on ->generation"). Invalidations reach the vCPU as a
 * GPC_INVALIDATE request carried by the eviction; memslot updates change the generation.
 */
import { memslotsGeneration } from '../../mem/memslots.js';
import { STEP_ENTRY_CHECK_FAIL } from '../../trace/trace-steps.js';
import { registerPfn, type GuestRegisters } from '../guest-registers.js';
import { traceStep, type ModelContext } from '../model-context.js';
import { REQ_GPC_INVALIDATE } from '../vcpu-layout.js';
import type { EntryStrategy } from './entry-strategy.js';

function entryCheckGeneration(ctx: ModelContext, gr: GuestRegisters): boolean {
  const ok = memslotsGeneration(ctx.ms) === gr.generation;
  if (!ok) traceStep(ctx, STEP_ENTRY_CHECK_FAIL, gr.count > 0 ? gr.cache[0]! : -1, -1, gr.count > 0 ? registerPfn(gr, 0) : -1, gr.generation);
  return ok;
}

export const GENERATION: EntryStrategy = {
  name: 'generation',
  source: 'the seed thread: David Woodhouse, "a single check on ->generation" (Nov 2021)',
  summary: 'one compare of the memslot generation with the vCPU snapshot; invalidations arrive as GPC_INVALIDATE requests',
  check: entryCheckGeneration,
  evictionRequest: REQ_GPC_INVALIDATE,
  note: () => [
    'generation: one compare of the memslot generation with the vCPU\'s snapshot per vmentry; invalidations reach the vCPU as a GPC_INVALIDATE request with the eviction (WAIT), and memslot updates kick every vCPU, so a stale translation is reloaded before the next entry.',
  ],
  benchFloor: () => 'raw: Atomics.load+compare',
};
