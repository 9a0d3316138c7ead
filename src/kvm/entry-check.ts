/**
 * The vmentry check of the guest-uses caches (DESIGN 5.7), one per strategy. Runs after the vCPU
 * published IN_GUEST_MODE (the order the strategies' safety arguments need). Returns false if the
 * vCPU must reload its nested pages (GET_NESTED_STATE_PAGES) before entering.
 */
import { readLock, readUnlock } from '../sync/rwlock.js';
import { memslotsGeneration } from '../mem/memslots.js';
import { STEP_ENTRY_CHECK_FAIL } from '../trace/trace-steps.js';
import { G_ACTIVE, G_VALID, GPC_LOCK, gpcBase } from './gpc-layout.js';
import { gpcCheckLocked } from './gpc.js';
import { piDescGpc, vapicGpc } from './guest-layout.js';
import { traceStep, type ModelContext } from './model-context.js';
import type { NestedHardware } from './users/nested-pages.js';
import { STRATEGY_GENERATION, STRATEGY_LOCKED, STRATEGY_LOCKLESS } from './vm-layout.js';

/** `locked`: per cache, read_lock + kvm_gpc_check + read_unlock (the seed's nested_vmx_check_guest_maps). */
function entryCheckLockedCache(ctx: ModelContext, g: number, hwPfn: number): boolean {
  const lock = gpcBase(g) + GPC_LOCK;
  readLock(ctx.gpcs, lock);
  const ok = gpcCheckLocked(ctx, g, -1, ctx.pageSize);
  readUnlock(ctx.gpcs, lock);
  if (!ok) traceStep(ctx, STEP_ENTRY_CHECK_FAIL, g, -1, hwPfn, 0);
  return ok;
}

/** `lockless`: active && !valid with plain loads, no lock, no generation (the 2025-26 nVMX series). */
function entryCheckLocklessCache(ctx: ModelContext, g: number, hwPfn: number): boolean {
  const base = gpcBase(g);
  const invalid = ctx.gpcs[base + G_ACTIVE] !== 0 && ctx.gpcs[base + G_VALID] === 0;
  if (invalid) traceStep(ctx, STEP_ENTRY_CHECK_FAIL, g, -1, hwPfn, 0);
  return !invalid;
}

/**
 * The entry check of vCPU v's nested caches for the run's strategy. `generation` is tested first:
 * it is the strategy whose whole point is to be one compare, so it pays for no other test.
 */
export function entryCheck(ctx: ModelContext, v: number, hw: NestedHardware): boolean {
  const strategy = ctx.strategy;
  if (strategy === STRATEGY_GENERATION) {
    // One compare: invalidations arrive as requests (GPC_INVALIDATE), memslot updates change this.
    const ok = memslotsGeneration(ctx.ms) === hw.generation;
    if (!ok) traceStep(ctx, STEP_ENTRY_CHECK_FAIL, vapicGpc(ctx.nvcpus, v), -1, hw.vapicPfn, hw.generation);
    return ok;
  }
  if (strategy === STRATEGY_LOCKED) {
    return entryCheckLockedCache(ctx, vapicGpc(ctx.nvcpus, v), hw.vapicPfn) && entryCheckLockedCache(ctx, piDescGpc(ctx.nvcpus, v), hw.piPfn);
  }
  if (strategy === STRATEGY_LOCKLESS) {
    return entryCheckLocklessCache(ctx, vapicGpc(ctx.nvcpus, v), hw.vapicPfn) && entryCheckLocklessCache(ctx, piDescGpc(ctx.nvcpus, v), hw.piPfn);
  }
  return true; // none
}
