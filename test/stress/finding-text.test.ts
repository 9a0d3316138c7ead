import { describe, expect, it } from 'vitest';
import { nameFinding } from '../../src/stress/finding-text.js';
import { PROP_EVENTS, END_EVENTS_EVTCHN } from '../../src/oracle/properties/events.js';
import type { FindingRecord } from '../../src/trace/findings.js';

function record(a: number, b: number, c: number): FindingRecord {
  return { property: PROP_EVENTS, thread: 0, cache: 0, gpa: -1, pfn: -1, a, b, c, traceSeq: 1, snapshot: -1 };
}

describe('finding text', () => {
  it('a count the end-of-run check clamped at 2^31-1 reads as saturated, with its cause, not as 2147483647 events', () => {
    const { details, message } = nameFinding(record(5535, 2147483647, END_EVENTS_EVTCHN), { pageShift: 12, messages: [] });
    expect(String(details.seen)).toMatch(/^saturated/);
    expect(message).not.toContain('2147483647');
    expect(message).toMatch(/5535 sent, saturated .* the guest counted garbage from freed, poisoned pages/);
  });

  it('an ordinary count stays a number', () => {
    const { details, message } = nameFinding(record(5535, 5000, END_EVENTS_EVTCHN), { pageShift: 12, messages: [] });
    expect(details.seen).toBe(5000);
    expect(message).toContain('535 lost');
  });
});
