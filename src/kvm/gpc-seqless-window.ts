/**
 * A model instrument (no kernel counterpart) for docs/UPSTREAM-SPEC.md S1: did an invalidation
 * begin and end inside a refresh's unlocked window, between hva_to_pfn_retry's seq snapshot (taken
 * under the write lock, just before it drops it) and its relock? The notifier counts invalidations
 * begun (right after count++) and ended (right after count--) in two VM words; the refresh reads
 * "begun" with its seq snapshot and "ended" at its retry check. If more have ended than had begun
 * at the snapshot, at least one began after it and ended before the check (every ended one began
 * first).
 *
 * S1 needs such an invalidation to unmap the page after hva_to_pfn read the pte; one that unmapped
 * it before (hva_to_pfn then faults in the new page) is harmless, and is counted too: the count
 * is the window's, an upper bound of the races. When the retry check installs anyway (count 0,
 * seq unchanged: the invalidation hit no memslot, so kvm_handle_hva_range bumped no seq), the
 * refresh may install a page the mm has unmapped: the access oracles (uaf-khva, stale-pte) decide
 * whether it did.
 */
import { traceStep, type ModelContext } from './model-context.js';
import { VM_INVALIDATIONS_BEGUN, VM_INVALIDATIONS_ENDED } from './vm-layout.js';
import { ST_REFRESH_INVAL_IN_WINDOW, ST_REFRESH_SEQLESS_INSTALLS } from './thread-stats.js';
import { STEP_REFRESH_SEQLESS_WINDOW } from '../trace/trace-steps.js';

/** Invalidations begun so far: the snapshot taken with the seq snapshot, before the write lock is dropped. */
export function invalidationsBegunNow(ctx: ModelContext): number {
  return Atomics.load(ctx.vm, VM_INVALIDATIONS_BEGUN);
}

/**
 * At the retry check (write lock held): counts the attempt if an invalidation began after
 * `begunAtUnlock` and has ended; if the check lets it install (`installing`), counts and traces the
 * seq-less install. Returns true if the window held a whole invalidation.
 */
export function noteInvalidationInWindow(ctx: ModelContext, g: number, gpa: number, pfn: number, begunAtUnlock: number, installing: boolean): boolean {
  const endedSince = (Atomics.load(ctx.vm, VM_INVALIDATIONS_ENDED) - begunAtUnlock) | 0;
  if (endedSince <= 0) return false;
  ctx.counters[ST_REFRESH_INVAL_IN_WINDOW]! += 1;
  if (installing) {
    ctx.counters[ST_REFRESH_SEQLESS_INSTALLS]! += 1;
    traceStep(ctx, STEP_REFRESH_SEQLESS_WINDOW, g, gpa, pfn, endedSince);
  }
  return true;
}
