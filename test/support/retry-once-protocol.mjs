/**
 * A protocol variant that exists only for test/kvm/protocols/extra-variant.test.ts (never shipped):
 * proof that a variant is one module, loaded at run time with `--protocol-module` (StressOptions
 * .protocolModules) by the main thread and every model thread. Plain JavaScript importing nothing,
 * so the worker threads load it as it is.
 *
 * Its retry predicate asks hva_to_pfn_retry for exactly one retry per refresh: the calls of a thread
 * alternate retry / accept (module state is per thread: each worker imports its own copy). It
 * ignores invalidations, so it is safe only where none happen: the test runs it with
 * `--inval-rate 0 --memslot-rate 0`, where mainline never retries, so every retry in the report is
 * this step's doing.
 */
let retryNext = 1;

function retryOnceThenAccept(_ctx, _seqSnapshot, _gfn, _vpage) {
  const retry = retryNext === 1;
  retryNext ^= 1;
  return retry;
}

export default {
  name: 'test-retry-once',
  summary: 'test fixture: every refresh retries exactly once, whatever the invalidations (unsafe with any)',
  source: 'test/support/retry-once-protocol.mjs (not shipped)',
  steps: { retryPredicate: retryOnceThenAccept },
  stepSources: { retryPredicate: 'a predicate that alternates retry / accept (test fixture)' },
};
