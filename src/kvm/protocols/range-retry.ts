/**
 * `range-retry`: Sean Christopherson's counter-proposal to dwmw2's livelock series (history B20):
 * hva_to_pfn_retry retries only if an invalidation overlapping the cache's page is in flight, or
 * one ended since the seq snapshot. The notifier records each invalidation's range under every
 * variant (src/kvm/inval-ranges.ts; mainline never reads them), so this variant replaces the retry
 * predicate alone. It cures `--invalidate unrelated --inflight 2`.
 */
import { overlappingInvalidationSince } from '../inval-ranges.js';
import type { ModelContext } from '../model-context.js';
import type { ProtocolVariant } from './protocol-variant.js';

/** Retry only for an invalidation that overlaps file page `gfn` or host virtual page `vpage`. */
export function rangeAwareRetryCache(ctx: ModelContext, seqSnapshot: number, gfn: number, vpage: number): boolean {
  return overlappingInvalidationSince(ctx.vm, seqSnapshot, gfn, vpage);
}

export const RANGE_RETRY: ProtocolVariant = {
  name: 'range-retry',
  summary: 'hva_to_pfn_retry retries only for an in-flight or newly ended invalidation that overlaps the page (cures the B20 livelock)',
  source: 'Sean Christopherson, Zw8DINUkJJKDByXE@google.com (reply to 20240821202814.711673-1-dwmw2@infradead.org)',
  steps: { retryPredicate: rangeAwareRetryCache },
  stepSources: {
    retryPredicate: 'range-aware mmu_notifier_retry_cache(): in-flight ranges plus ended ranges since the seq snapshot (Zw8DINUkJJKDByXE@google.com)',
  },
};
