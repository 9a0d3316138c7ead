/**
 * Names of scheduling points (the kinds the step log and the determinism hash record): a trace
 * step's own name (src/trace/trace-steps.ts) below 1000, the turn gate's POINT_* kinds above.
 * Cold: for reports (--shrink's critical pair).
 */
import { stepName } from '../trace/trace-steps.js';
import { POINT_BLOCK, POINT_EXIT, POINT_GUEST_STEP, POINT_LOCK, POINT_SLEEP, POINT_TEST_RACE, POINT_UNLOCK, POINT_YIELD } from './turn-gate.js';

const POINT_NAMES: Readonly<Record<number, string>> = {
  [POINT_LOCK]: 'lock acquire',
  [POINT_UNLOCK]: 'lock release',
  [POINT_BLOCK]: 'blocks on a word',
  [POINT_SLEEP]: 'sleep (model time)',
  [POINT_YIELD]: 'yield (cond_resched / entry loop)',
  [POINT_GUEST_STEP]: 'guest step',
  [POINT_EXIT]: 'leaves the schedule',
  [POINT_TEST_RACE]: 'injected-race point',
};

export function pointName(kind: number): string {
  return POINT_NAMES[kind] ?? stepName(kind);
}
