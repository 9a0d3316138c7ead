/** The two steps of a finding's interleaving that raced: what the report and the trace name first. */
import type { InterleavingEvent, StressFinding } from './stress-report.js';

/** Steps that change what a cache or page is (the writes of a race); the others only read it. */
const CHANGES = ['refresh-install', 'refresh-fail', 'invalidate-clear', 'page-free', 'mm-change', 'activate', 'deactivate', 'memslot-publish', 'memslot-generation'];

function changes(e: InterleavingEvent): boolean {
  return CHANGES.some((p) => e.step.startsWith(p));
}

/**
 * The two racing steps, Go-race-detector style: `own`, the last step of the thread that found it
 * touching the finding's page or cache, and `other`, the last step of another thread before the
 * finding touching the same page or cache, preferring one that changed it (an install, a clear, a
 * free) over one that only read it. Either may be absent (an end-of-run finding has no own step).
 */
export function racingSteps(finding: Pick<StressFinding, 'interleaving' | 'thread'>): { other?: InterleavingEvent; own?: InterleavingEvent } {
  const events = finding.interleaving;
  const last = events[events.length - 1];
  if (!last || last.step !== 'FINDING') return {};
  const touches = (e: InterleavingEvent): boolean => (last.pfn !== undefined && e.pfn === last.pfn) || (last.cache !== undefined && e.cache === last.cache);
  let own: InterleavingEvent | undefined;
  let otherChange: InterleavingEvent | undefined;
  let otherRead: InterleavingEvent | undefined;
  for (let i = events.length - 2; i >= 0; i--) {
    const e = events[i]!;
    if (!touches(e)) continue;
    if (e.thread === last.thread) own ??= e;
    else if (changes(e)) otherChange ??= e;
    else otherRead ??= e;
  }
  const other = otherChange ?? otherRead;
  return { ...(other ? { other } : {}), ...(own ? { own } : {}) };
}
