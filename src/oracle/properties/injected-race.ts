/**
 * injected-race: TEST ONLY. The two-preemption race that `--inject-race` (a hidden test hook, never
 * in the catalog) adds to the vCPU loops (src/kvm/test-race.ts) did not complete its bad order.
 * It exists to measure what each schedule (os, chaos, random, pct) can find: a window of two
 * steps that needs two preemptions of one thread, each across a whole vCPU entry of another. Checked by vcpu-0 at the end
 * of each of its race rounds; with the hook off it is never checked.
 */
import { defineProperty } from '../../trace/property.js';

export const PROP_INJECTED_RACE = 15;

export const injectedRace = defineProperty({
  id: PROP_INJECTED_RACE,
  name: 'injected-race',
  kind: 'safety',
  description: 'test only (--inject-race): the injected two-preemption race did not happen',
  fills: { cache: false, gpa: false, pfn: false },
  fields: { round: "vcpu-0's race round in which it happened" },
  details: (a) => ({ round: a }),
  describe: (d) => `the injected race happened in round ${d.round}: vcpu-0 x1 < a vcpu-1 entry (y1 .. y2) < vcpu-0 x2 < a vcpu-1 entry (y1 .. y2) < vcpu-0 x3 (vcpu-0 preempted twice, a step apart, each for about one entry of vcpu-1)`,
});
