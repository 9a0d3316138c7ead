/**
 * An entry-check strategy that exists only for test/kvm/strategies/extra-strategy.test.ts (never
 * shipped): proof that a strategy is one module, loaded at run time with `--strategy-module`
 * (StressOptions.strategyModules) by the main thread and every model thread. Plain JavaScript
 * importing nothing, so the worker threads load it as it is.
 *
 * It never asks for a reload and its evictions carry no request: the vCPU re-enters with the pfns
 * it holds, like `none`. So if the vCPU threads really run this check, the oracles see the
 * hardware use freed pages (uaf-guest-mode, free-while-in-guest); a run on the locked strategy
 * with the same options sees none.
 */
function neverReload(_ctx, _gr) {
  return true;
}

export default {
  name: 'test-never-reload',
  source: 'test/support/never-reload-strategy.mjs (not shipped)',
  summary: 'test fixture: the entry check always passes (unsafe)',
  check: neverReload,
  evictionRequest: 0,
  note: (facts) => [`test-never-reload: the entry check always passed (${facts.findings('uaf-guest-mode')} uaf-guest-mode findings).`],
  benchFloor: () => undefined,
};
