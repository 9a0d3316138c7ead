/**
 * stall: every thread makes progress. Checked by the watchdog on the main thread
 * (src/stress/run-stress.ts, --stall-timeout); the report's stall section has the state dump.
 */
import { defineProperty } from '../../trace/property.js';

export const PROP_STALL = 12;

export const stall = defineProperty({
  id: PROP_STALL,
  name: 'stall',
  kind: 'liveness',
  description: 'every thread makes progress (watchdog, --stall-timeout)',
  fills: { cache: false, gpa: false, pfn: false },
  fields: {
    stalledThreads: 'threads whose progress counter did not move',
    stallMs: 'for how long (the watchdog\'s --stall-timeout)',
  },
  details: (a, b) => ({ stalledThreads: a, stallMs: b }),
  describe: (d) => `${d.stalledThreads} threads made no progress for ${d.stallMs} ms (see the stall report for what each was doing)`,
});
