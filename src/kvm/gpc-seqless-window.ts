/**
 * A model instrument (no kernel counterpart) for docs/UPSTREAM-SPEC.md S1: did an invalidation
 * end inside a refresh's unlocked window, between hva_to_pfn_retry's seq snapshot (taken under the
 * write lock, just before it drops it) and its retry check under the relocked write lock? The
 * notifier counts invalidations that reached range_end (after the mm change, before any seq++ or
 * count--) in a VM word; the refresh reads it after its seq snapshot and again at its retry
 * check. Because the count comes before the seq++, an invalidation counted in the window bumps
 * the seq (if it does) after the snapshot.
 *
 * An invalidation that hit a memslot moves the seq before its count--, so the check retries (so
 * does one of any range under --fix hva-seq-miss: with it on, no install is ever counted here). One
 * that hit no memslot moved only the count: if none is in flight at the check, the check passes
 * although the invalidation may have unmapped the page after hva_to_pfn read the pte (S1; its
 * range_start may even precede the snapshot: what matters is that range_end comes before the
 * check). One that unmapped the page before hva_to_pfn read the pte is harmless (hva_to_pfn then
 * faults in the new page) and is counted too: the count is the window's, an upper bound of the
 * races; the access oracles (uaf-khva, stale-pte) decide whether the install was harmful.
 */
import { traceStep, type ModelContext } from './model-context.js';
import { VM_INVALIDATIONS_ENDED } from './vm-layout.js';
import { ST_REFRESH_INVAL_IN_WINDOW, ST_REFRESH_SEQLESS_INSTALLS } from './thread-stats.js';
import { STEP_REFRESH_SEQLESS_WINDOW } from '../trace/trace-steps.js';

/** Invalidations ended so far: the snapshot taken with the seq snapshot, before the write lock is dropped. */
export function invalidationsEndedNow(ctx: ModelContext): number {
  return Atomics.load(ctx.vm, VM_INVALIDATIONS_ENDED);
}

/**
 * At the retry check (write lock held): counts the attempt if an invalidation ended since
 * `endedAtUnlock`; if the check lets it install (`installing`), counts and traces the seq-less
 * install. Returns true if one did.
 */
export function noteInvalidationInWindow(ctx: ModelContext, g: number, gpa: number, pfn: number, endedAtUnlock: number, installing: boolean): boolean {
  const endedSince = (Atomics.load(ctx.vm, VM_INVALIDATIONS_ENDED) - endedAtUnlock) | 0;
  if (endedSince <= 0) return false;
  ctx.counters[ST_REFRESH_INVAL_IN_WINDOW]! += 1;
  if (installing) {
    ctx.counters[ST_REFRESH_SEQLESS_INSTALLS]! += 1;
    traceStep(ctx, STEP_REFRESH_SEQLESS_WINDOW, g, gpa, pfn, endedSince);
  }
  return true;
}
