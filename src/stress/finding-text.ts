/**
 * Words for findings: the names of threads and caches, and each recorded finding's named fields and
 * sentence (decoded by its property's module). The interleaving is in interleaving.ts.
 */
import type { FindingRecord } from '../trace/findings.js';
import { PROPERTIES } from '../oracle/properties.js';
import type { DetailContext, DetailValue, FindingDetails, FindingSubject } from '../trace/property.js';
import { threadName, type GuestLayout } from '../kvm/guest-layout.js';
import { cacheLabel } from '../kvm/cache-table.js';

export { threadName };

export function cacheName(layout: GuestLayout, g: number): string {
  return cacheLabel(layout.caches, g);
}

/** Drops the absent (undefined) values, so JSON has no key for them. */
function presentOnly(details: FindingDetails): Record<string, DetailValue> {
  const out: Record<string, DetailValue> = {};
  for (const [k, v] of Object.entries(details)) if (v !== undefined) out[k] = v;
  return out;
}

/** A recorded finding's common fields, named details and sentence, decoded by its property's module. */
export interface NamedFinding {
  subject: FindingSubject;
  details: Record<string, DetailValue>;
  message: string;
}

/** Names a recorded finding's fields (absent ones left out) and says what it means. Cold path. */
export function nameFinding(r: FindingRecord, ctx: DetailContext): NamedFinding {
  const spec = PROPERTIES[r.property];
  if (!spec) return { subject: {}, details: {}, message: `finding of unknown property ${r.property}` };
  const subject: { cache?: number; gpa?: number; gfn?: number; pfn?: number } = {};
  if (spec.fills.cache && r.cache >= 0) subject.cache = r.cache;
  if (spec.fills.gpa && r.gpa >= 0) {
    subject.gpa = r.gpa;
    subject.gfn = r.gpa >> ctx.pageShift;
  }
  if (spec.fills.pfn && r.pfn >= 0) subject.pfn = r.pfn;
  const details = markSaturated(presentOnly(spec.details(r.a, r.b, r.c, ctx)));
  return { subject, details, message: spec.describe(details, subject) };
}

/**
 * A finding field is an Int32: a count the end-of-run check clamped (sums of garbage read from
 * freed, poisoned pages in the unsafe baselines) reads as "saturated", not as 2147483647 events.
 */
function markSaturated(details: Record<string, number | string | boolean>): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(details)) {
    out[k] = v === 2147483647 ? 'saturated (>= 2^31-1: a sum of garbage from freed, poisoned pages)' : v === -2147483648 ? 'saturated (<= -2^31)' : v;
  }
  return out;
}
