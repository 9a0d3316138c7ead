/**
 * A model instrument (no kernel counterpart) for docs/UPSTREAM-SPEC.md S1: did an invalidation
 * begin and end inside a refresh's unlocked window, after hva_to_pfn took the page and before
 * hva_to_pfn_retry relocked? The notifier counts invalidations begun (right after count++) and
 * ended (right after count--) in two VM words; the refresh reads "begun" once hva_to_pfn has
 * returned and "ended" at its retry check. If more have ended than had begun at the snapshot, at
 * least one began after it and ended before the check (every ended one began first). The
 * snapshot comes after the pte was read, so the count errs low, never high.
 *
 * When the retry check then installs anyway (count 0, seq unchanged: the invalidation hit no
 * memslot, so kvm_handle_hva_range bumped no seq), that is S1 itself: the refresh installs a page
 * the mm may have unmapped meanwhile. The report counts both; the access oracles (uaf-khva,
 * stale-pte) decide whether harm followed.
 */
import { traceStep, type ModelContext } from './model-context.js';
import { VM_INVALIDATIONS_BEGUN, VM_INVALIDATIONS_ENDED } from './vm-layout.js';
import { ST_REFRESH_INVAL_IN_WINDOW, ST_REFRESH_SEQLESS_INSTALLS } from './thread-stats.js';
import { STEP_REFRESH_SEQLESS_WINDOW } from '../trace/trace-steps.js';

/** Invalidations begun so far: the snapshot right after hva_to_pfn returned. */
export function invalidationsBegunNow(ctx: ModelContext): number {
  return Atomics.load(ctx.vm, VM_INVALIDATIONS_BEGUN);
}

/**
 * At the retry check (write lock held): counts the attempt if an invalidation began after
 * `begunAtFault` and has ended; if the check lets it install (`installing`), counts and traces the
 * seq-less install. Returns true if the window held a whole invalidation.
 */
export function noteInvalidationInWindow(ctx: ModelContext, g: number, gpa: number, pfn: number, begunAtFault: number, installing: boolean): boolean {
  const endedSince = (Atomics.load(ctx.vm, VM_INVALIDATIONS_ENDED) - begunAtFault) | 0;
  if (endedSince <= 0) return false;
  ctx.counters[ST_REFRESH_INVAL_IN_WINDOW]! += 1;
  if (installing) {
    ctx.counters[ST_REFRESH_SEQLESS_INSTALLS]! += 1;
    traceStep(ctx, STEP_REFRESH_SEQLESS_WINDOW, g, gpa, pfn, endedSince);
  }
  return true;
}
