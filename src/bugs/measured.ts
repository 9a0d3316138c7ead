/**
 * The measured detection rate and time of each catalog entry (DESIGN 7), as `gpc-lab bugs` prints
 * them: the result of one campaign on the team's machine, recorded with the command and the
 * machine, so a reader can re-run it and compare. Re-measure with the command below after any
 * change to the protocol, the oracles or the catalog's workloads, and update this table.
 */
export const MEASURED_WITH =
  'npx gpc-lab campaign --runs 10 --budget 30s (seed 1), 2026-12-01, Node 20.20.2 on 2 cores (AMD EPYC VM), load 6.1 at the start; ' +
  'times from the start barrier';

export interface MeasuredDetection {
  readonly detected: string;
  readonly median: string;
  readonly max: string;
  readonly caughtFirstBy: string;
}

export const MEASURED: Readonly<Record<string, MeasuredDetection>> = {
  'refresh-skips-retry': { detected: '10/10', median: '80 ms', max: '233 ms', caughtFirstBy: 'free-while-in-guest 6, uaf-guest-mode 3, state-invariant 1' },
  'refresh-valid-before-resolve': { detected: '10/10', median: '0 ms', max: '0 ms', caughtFirstBy: 'state-invariant 10' },
  'refresh-without-mutex': { detected: '10/10', median: '8 ms', max: '28 ms', caughtFirstBy: 'state-invariant 10' },
  'activate-reinits-locks': { detected: '10/10', median: '270 ms', max: '578 ms', caughtFirstBy: 'stall 5, stale-pte 2, wrong-page 1, state-invariant 1, uaf-khva 1' },
  'check-refresh-ignore-active': { detected: '10/10', median: '20 ms', max: '40 ms', caughtFirstBy: 'state-invariant 10' },
  'check-ignores-generation': { detected: '10/10', median: '9 ms', max: '15 ms', caughtFirstBy: 'stale-generation 10' },
  'guest-uses-no-evict': { detected: '10/10', median: '14 ms', max: '70 ms', caughtFirstBy: 'free-while-in-guest 10' },
  'entry-check-before-mode': { detected: '10/10', median: '223 ms', max: '341 ms', caughtFirstBy: 'uaf-guest-mode 10' },
  'unrelated-invalidation-livelock': { detected: '10/10', median: '258 ms', max: '371 ms', caughtFirstBy: 'livelock 10' },
  'invalidate-skips-clear': { detected: '10/10', median: '3 ms', max: '22 ms', caughtFirstBy: 'state-invariant 10' },
  'khva-keeps-old-offset': { detected: '10/10', median: '26 ms', max: '46 ms', caughtFirstBy: 'state-invariant 10' },
  'deactivate-skips-unmap': { detected: '10/10', median: '500 ms', max: '535 ms', caughtFirstBy: 'leaks 10' },
  'refresh-leaks-lock-on-error': { detected: '10/10', median: '561 ms', max: '646 ms', caughtFirstBy: 'stall 10' },
  'activate-nests-list-lock': { detected: '10/10', median: '500 ms', max: '502 ms', caughtFirstBy: 'lock-sanity 10' },
  'refresh-reuse-leaks-ref': { detected: '10/10', median: '500 ms', max: '507 ms', caughtFirstBy: 'leaks 10' },
  'refresh-error-puts-old-page': { detected: '10/10', median: '44 ms', max: '371 ms', caughtFirstBy: 'leaks 10' },
  'invalidate-end-leaks-count': { detected: '10/10', median: '258 ms', max: '396 ms', caughtFirstBy: 'livelock 10' },
  'runstate-lock-order': { detected: '10/10', median: '500 ms', max: '542 ms', caughtFirstBy: 'lock-sanity 10' },
};
