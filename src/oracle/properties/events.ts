/**
 * events: every event sent (event channel, posted interrupt) is seen by the guest exactly once.
 * Checked after the run (src/stress/end-of-run.ts): delivered = consumed + still pending, read
 * through the true translation.
 */
import { defineProperty } from '../../trace/property.js';

export const PROP_EVENTS = 8;

/** The finding's `c`: which count did not add up (a = sent, b = seen or pending). */
export const END_EVENTS_EVTCHN = 1;
export const END_EVENTS_POSTED = 2;

export const events = defineProperty({
  id: PROP_EVENTS,
  name: 'events',
  kind: 'safety',
  description: 'every event sent (event channel, posted interrupt) is seen by the guest exactly once',
  fills: { cache: true, gpa: false, pfn: false },
  fields: {
    check: '"event-channels" or "posted-interrupts"',
    sent: 'events delivered (event channels) or posted (posted interrupts)',
    seen: 'of those, taken by the guest or still pending at the end',
  },
  details: (a, b, c) => ({ check: c === END_EVENTS_EVTCHN ? 'event-channels' : c === END_EVENTS_POSTED ? 'posted-interrupts' : undefined, sent: a, seen: b }),
  describe: (d) => {
    const sent = Number(d.sent);
    const seen = Number(d.seen);
    if (d.check === 'event-channels') return `event channels: ${sent} events delivered, ${seen} seen by the guest or still pending: ${sent > seen ? `${sent - seen} lost` : `${seen - sent} duplicated (or garbage counted from a freed, poisoned page)`}`;
    if (d.check === 'posted-interrupts') return `posted interrupts: ${sent} posted, ${seen} taken by the guest or still pending: ${sent > seen ? `${sent - seen} lost` : `${seen - sent} duplicated (or garbage from a freed page)`}`;
    return 'events not conserved';
  },
});
