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
  description: 'every thread makes progress (watchdog, --stall-timeout; under a controlled schedule a deadlock is exact)',
  fills: { cache: false, gpa: false, pfn: false },
  fields: {
    stalledThreads: 'threads whose progress counter did not move',
    stallMs: 'for how long (the watchdog\'s --stall-timeout)',
    deadlock: 'true: a controlled schedule found no runnable thread (stalledThreads of them wait; the schedule section says on what)',
  },
  details: (a, b, c) => (c === 1 ? { stalledThreads: a, stallMs: b, deadlock: true } : { stalledThreads: a, stallMs: b }),
  describe: (d) =>
    d.deadlock === true
      ? `deadlock: no thread can run, ${d.stalledThreads} wait on each other (the schedule section says who waits on what)`
      : `${d.stalledThreads} threads made no progress for ${d.stallMs} ms (see the stall report for what each was doing)`,
});
