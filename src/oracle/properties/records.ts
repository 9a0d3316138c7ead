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
/** The Xen runstate area (guest, each read): sum(time[]) != state_entry_time with the update flag clear (a torn copy, e.g. across the page boundary). */
export const RECORD_RUNSTATE_TORN = 5;
/** The Xen runstate area: state_entry_time or a time[] went backwards (`a` = field: 0 entry time, 1 + i time[i]). */
export const RECORD_RUNSTATE_BACKWARDS = 6;

const CHECKS: Record<number, string> = {
  [RECORD_STEAL_BACKWARDS]: 'steal-time-backwards',
  [RECORD_HW_TICK_BACKWARDS]: 'hw-tick-backwards',
  [END_RECORD_STEAL]: 'steal-time-at-end',
  [END_RECORD_HW_TICK]: 'hw-tick-at-end',
  [RECORD_RUNSTATE_TORN]: 'runstate-torn',
  [RECORD_RUNSTATE_BACKWARDS]: 'runstate-backwards',
};

export const records = defineProperty({
  id: PROP_RECORDS,
  name: 'records',
  kind: 'safety',
  description: 'a record never goes backwards and ends equal to its writer\'s last value (read through the true translation)',
  fills: { cache: true, gpa: true, pfn: true },
  fields: {
    check: '"steal-time-backwards", "hw-tick-backwards", "runstate-torn", "runstate-backwards" (the guest, each step), "steal-time-at-end", "hw-tick-at-end" (after the run)',
    entryMinusSum: 'runstate-torn: state_entry_time minus the sum of time[] in the copy the guest read',
    bytesOnFirstPage: 'runstate-torn: bytes of the area on its first page (48: it does not cross a page)',
    field: 'runstate-backwards: "state_entry_time" or "time[i]"',
    by: 'runstate-backwards: how far it went back',
    value: 'backwards: the value the guest read',
    previous: 'backwards: the value it had read before',
    lastWritten: 'at the end: the writer\'s last value',
    found: 'at the end: what the record holds (true translation)',
  },
  details: (a, b, c) => {
    if (c === RECORD_RUNSTATE_TORN) return { check: CHECKS[c], entryMinusSum: a, bytesOnFirstPage: b };
    if (c === RECORD_RUNSTATE_BACKWARDS) return { check: CHECKS[c], field: a === 0 ? 'state_entry_time' : `time[${a - 1}]`, by: b };
    return c === END_RECORD_STEAL || c === END_RECORD_HW_TICK ? { check: CHECKS[c], lastWritten: a, found: b } : { check: CHECKS[c], value: a, previous: b };
  },
  describe: (d, s) => {
    if (d.check === 'runstate-torn') return `the guest read a runstate area whose times do not add up to its state_entry_time (off by ${d.entryMinusSum}; ${d.bytesOnFirstPage} bytes on its first page): a torn copy, pfn ${s.pfn ?? 'none'}`;
    if (d.check === 'runstate-backwards') return `the guest saw the runstate area's ${d.field} go backwards by ${d.by}, pfn ${s.pfn ?? 'none'}`;
    if (d.check === 'steal-time-at-end') return `at the end the steal-time record (true translation) holds ${d.found}, but its writer last wrote ${d.lastWritten}: a lost write`;
    if (d.check === 'hw-tick-at-end') return `at the end the vAPIC page (true translation) holds hardware tick ${d.found}, but the hardware last wrote ${d.lastWritten}: a write went to another page`;
    return `the guest saw a record go backwards: ${d.value} after ${d.previous} (${d.check === 'steal-time-backwards' ? 'steal time' : 'vAPIC hardware tick'}, pfn ${s.pfn ?? 'none'})`;
  },
});
