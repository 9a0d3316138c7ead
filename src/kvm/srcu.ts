/**
 * kvm->srcu read sections of a model thread: srcu_read_lock / srcu_read_unlock on the memslots,
 * remembering on the thread's context the generation its current section entered at (the
 * stale-generation oracle compares a cache's generation with it; -1 outside a section) and how
 * many memslot DELETEs had completed then (the lost-write oracle: a section that began after a
 * DELETE returned holds no translation from before it).
 */
import { memslotsGeneration, srcuReadLock, srcuReadUnlock } from '../mem/memslots.js';
import { deletesDone } from '../oracle/retired-memory.js';
import type { ModelContext } from './model-context.js';

/** srcu_read_lock(&kvm->srcu); returns the index to pass to srcuExit. Hot path. */
export function srcuEnter(ctx: ModelContext): number {
  const idx = srcuReadLock(ctx.ms, ctx.thread);
  // Loaded after the registration: the section can see this generation's copy or a newer one.
  ctx.srcuGeneration = memslotsGeneration(ctx.ms);
  // lost-write's stamp: read only by its check, which runs only with the oracles on.
  if (ctx.oracles) ctx.srcuDeleteStamp = deletesDone(ctx.retired);
  return idx;
}

/**
 * srcu_read_unlock(&kvm->srcu, idx). Ordering: the reader count's Atomics.sub is sequentially
 * consistent, so it also gives what smp_mb__after_srcu_read_unlock gives the vCPU's entry path
 * (loads after it are not hoisted above it). Hot path.
 */
export function srcuExit(ctx: ModelContext, idx: number): void {
  srcuReadUnlock(ctx.ms, ctx.thread, idx);
  ctx.srcuGeneration = -1;
}
