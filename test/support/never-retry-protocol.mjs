/**
 * A protocol variant that exists only for the verdicts tests (never shipped): a variant with a
 * finding put there on purpose. Its retry predicate never asks hva_to_pfn_retry to retry, as if
 * mmu_notifier_retry_cache() were `return false` (what 58cd407ca4c6 added, reverted: history B1),
 * so a refresh racing an invalidation installs a page the invalidation unmaps. Plain JavaScript
 * importing nothing, so the worker threads load it as it is.
 */
function neverRetryCache(_ctx, _seqSnapshot, _gfn, _vpage) {
  return false;
}

export default {
  name: 'test-never-retry',
  summary: 'test fixture: hva_to_pfn_retry never retries, whatever the invalidations (unsafe on purpose)',
  source: 'test/support/never-retry-protocol.mjs (not shipped)',
  steps: { retryPredicate: neverRetryCache },
  stepSources: { retryPredicate: 'mmu_notifier_retry_cache() returning false (test fixture: B1 reverted, 58cd407ca4c6)' },
  inapplicableBugs: { 'refresh-skips-retry': 'the switch skips the retry check, and this variant has no retry to skip: its predicate never retries' },
};
