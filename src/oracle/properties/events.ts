/**
 * events: every event sent (event channel, posted interrupt) is seen by the guest exactly once.
 * Checked after the run (src/stress/end-of-run.ts): delivered = consumed + still pending, read
 * through the true translation; and every Xen event still pending can reach the guest (its port's
 * word bit is in the vCPU's vcpu_info with upcall_pending, or in its kernel-side copy).
 */
import { defineProperty } from '../../trace/property.js';

export const PROP_EVENTS = 8;

/** The finding's `c`: which count did not add up (a = sent, b = seen or pending). */
export const END_EVENTS_EVTCHN = 1;
export const END_EVENTS_POSTED = 2;
/** An event-channel port has events pending but nothing tells its vCPU (a = events pending, b = the vCPU). */
export const END_EVENTS_NO_UPCALL = 3;

export const events = defineProperty({
  id: PROP_EVENTS,
  name: 'events',
  kind: 'safety',
  description: 'every event sent (event channel, posted interrupt) is seen by the guest exactly once',
  fills: { cache: true, gpa: false, pfn: false },
  fields: {
    check: '"event-channels", "posted-interrupts" or "event-upcall"',
    sent: 'events delivered (event channels) or posted (posted interrupts)',
    seen: 'of those, taken by the guest or still pending at the end',
    pending: 'event-upcall: events pending in shared_info for the vCPU\'s port',
    vcpu: 'event-upcall: the vCPU nothing tells (no selector bit with upcall_pending in its vcpu_info, none in its kernel-side copy)',
  },
  details: (a, b, c) =>
    c === END_EVENTS_NO_UPCALL
      ? { check: 'event-upcall', pending: a, vcpu: b }
      : { check: c === END_EVENTS_EVTCHN ? 'event-channels' : c === END_EVENTS_POSTED ? 'posted-interrupts' : undefined, sent: a, seen: b },
  describe: (d) => {
    if (d.check === 'event-upcall') return `event channels: ${Number(d.pending)} events pending for vcpu-${Number(d.vcpu)}'s port, but neither its vcpu_info (evtchn_pending_sel with upcall_pending) nor its kernel-side selector copy says so: the guest is never told`;
    const sent = Number(d.sent);
    const seen = Number(d.seen);
    // A count clamped at 2^31-1 arrives as the string "saturated ..." (src/stress/finding-text.ts).
    if (typeof d.seen === 'string' || typeof d.sent === 'string') {
      return `${d.check === 'posted-interrupts' ? 'posted interrupts' : 'event channels'}: ${String(d.sent)} sent, ${String(d.seen)} seen by the guest or still pending: the guest counted garbage from freed, poisoned pages`;
    }
    if (d.check === 'event-channels') return `event channels: ${sent} events delivered, ${seen} seen by the guest or still pending: ${sent > seen ? `${sent - seen} lost` : `${seen - sent} duplicated (or garbage counted from a freed, poisoned page)`}`;
    if (d.check === 'posted-interrupts') return `posted interrupts: ${sent} posted, ${seen} taken by the guest or still pending: ${sent > seen ? `${sent - seen} lost` : `${seen - sent} duplicated (or garbage from a freed page)`}`;
    return 'events not conserved';
  },
});
