/**
 * The measured detection rate and time of each catalog entry (DESIGN 7), as `gpc-lab bugs` prints
 * them: the result of one campaign on the team's machine, recorded with the command and the
 * machine, so a reader can re-run it and compare. Re-measure with the command below after any
 * change to the protocol, the oracles or the catalog's workloads, and update this table.
 */
export const MEASURED_WITH =
  'npx gpc-lab campaign --runs 10 --budget 30s (seed 1), 2026-11-25, Node 20.20.2 on 2 cores (AMD EPYC VM), load 1.9; ' +
  'times from the start barrier';

export interface MeasuredDetection {
  readonly detected: string;
  readonly median: string;
  readonly max: string;
  readonly caughtFirstBy: string;
}

export const MEASURED: Readonly<Record<string, MeasuredDetection>> = {
  'refresh-skips-retry': { detected: '10/10', median: '16 ms', max: '31 ms', caughtFirstBy: 'free-while-in-guest 6, uaf-guest-mode 3, uaf-khva 1' },
  'refresh-valid-before-resolve': { detected: '10/10', median: '10 ms', max: '45 ms', caughtFirstBy: 'state-invariant 10' },
  'refresh-without-mutex': { detected: '10/10', median: '5 ms', max: '30 ms', caughtFirstBy: 'wrong-page 4, leaks 4, state-invariant 2' },
  'activate-reinits-locks': { detected: '10/10', median: '522 ms', max: '552 ms', caughtFirstBy: 'stall 8, stale-pte 2' },
  'check-refresh-ignore-active': { detected: '10/10', median: '3 ms', max: '23 ms', caughtFirstBy: 'state-invariant 10' },
  'check-ignores-generation': { detected: '10/10', median: '5 ms', max: '16 ms', caughtFirstBy: 'stale-generation 10' },
  'guest-uses-no-evict': { detected: '10/10', median: '9 ms', max: '18 ms', caughtFirstBy: 'free-while-in-guest 10' },
  'entry-check-before-mode': { detected: '10/10', median: '210 ms', max: '492 ms', caughtFirstBy: 'uaf-guest-mode 10' },
  'unrelated-invalidation-livelock': { detected: '10/10', median: '600 ms', max: '1.03 s', caughtFirstBy: 'livelock 10' },
  'invalidate-skips-clear': { detected: '10/10', median: '13 ms', max: '25 ms', caughtFirstBy: 'uaf-khva 6, uaf-guest-mode 3, free-while-in-guest 1' },
  'deactivate-skips-unmap': { detected: '10/10', median: '501 ms', max: '503 ms', caughtFirstBy: 'leaks 10' },
  'refresh-leaks-lock-on-error': { detected: '10/10', median: '539 ms', max: '572 ms', caughtFirstBy: 'stall 10' },
  'activate-nests-list-lock': { detected: '10/10', median: '500 ms', max: '501 ms', caughtFirstBy: 'lock-sanity 10' },
  'invalidate-end-leaks-count': { detected: '10/10', median: '253 ms', max: '283 ms', caughtFirstBy: 'livelock 10' },
};
