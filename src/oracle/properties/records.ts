/**
 * records: a record never goes backwards, and ends equal to its writer's last value (read through
 * the true translation). The guest checks each step (src/kvm/users/guest-code.ts, `c` = 1 or 2);
 * the end of the run checks the last values (src/stress/end-of-run.ts, `c` = 3 or 4).
 */
import { defineProperty } from '../../trace/property.js';

export const PROP_RECORDS = 9;

/** The finding's `c`: which record, and which check. */
export const RECORD_STEAL_BACKWARDS = 1;
export const RECORD_HW_TICK_BACKWARDS = 2;
export const END_RECORD_STEAL = 3;
export const END_RECORD_HW_TICK = 4;

const CHECKS: Record<number, string> = {
  [RECORD_STEAL_BACKWARDS]: 'steal-time-backwards',
  [RECORD_HW_TICK_BACKWARDS]: 'hw-tick-backwards',
  [END_RECORD_STEAL]: 'steal-time-at-end',
  [END_RECORD_HW_TICK]: 'hw-tick-at-end',
};

export const records = defineProperty({
  id: PROP_RECORDS,
  name: 'records',
  kind: 'safety',
  description: 'a record never goes backwards and ends equal to its writer\'s last value (read through the true translation)',
  fills: { cache: true, gpa: true, pfn: true },
  fields: {
    check: '"steal-time-backwards", "hw-tick-backwards" (the guest, each step), "steal-time-at-end", "hw-tick-at-end" (after the run)',
    value: 'backwards: the value the guest read',
    previous: 'backwards: the value it had read before',
    lastWritten: 'at the end: the writer\'s last value',
    found: 'at the end: what the record holds (true translation)',
  },
  details: (a, b, c) =>
    c === END_RECORD_STEAL || c === END_RECORD_HW_TICK ? { check: CHECKS[c], lastWritten: a, found: b } : { check: CHECKS[c], value: a, previous: b },
  describe: (d, s) => {
    if (d.check === 'steal-time-at-end') return `at the end the steal-time record (true translation) holds ${d.found}, but its writer last wrote ${d.lastWritten}: a lost write`;
    if (d.check === 'hw-tick-at-end') return `at the end the vAPIC page (true translation) holds hardware tick ${d.found}, but the hardware last wrote ${d.lastWritten}: a write went to another page`;
    return `the guest saw a record go backwards: ${d.value} after ${d.previous} (${d.check === 'steal-time-backwards' ? 'steal time' : 'vAPIC hardware tick'}, pfn ${s.pfn ?? 'none'})`;
  },
});
