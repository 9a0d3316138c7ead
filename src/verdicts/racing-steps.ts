/**
 * A finding's interleaving split into its racing steps and the rest: the racing steps are the
 * events on the finding's subject (its cache, page or gfn) from every thread that touched it, in
 * global order, ending with the FINDING; the rest is the context the flight recorder kept (each
 * thread's last steps). Cold path (report building only).
 */
import type { InterleavingEvent, StressFinding } from '../stress/stress-report.js';

/** The gpc index of a finding's cache name ("gpc 3 (steal-time vcpu-2)"), or undefined. */
function cacheIndex(cache: string | undefined): number | undefined {
  const m = cache === undefined ? null : /^gpc (\d+)/.exec(cache);
  return m ? Number(m[1]) : undefined;
}

function onSubject(e: InterleavingEvent, cache: number | undefined, pfn: number | undefined, gfn: number | undefined): boolean {
  if (e.step === 'FINDING') return true;
  return (cache !== undefined && e.cache === cache) || (pfn !== undefined && e.pfn === pfn) || (gfn !== undefined && e.gfn === gfn);
}

export interface RacingSplit {
  readonly racing: InterleavingEvent[];
  readonly context: InterleavingEvent[];
}

/** Racing steps first, then the rest; a finding with no subject (a stall, a leak count) has all its steps racing. */
export function splitRacingSteps(finding: StressFinding): RacingSplit {
  const cache = cacheIndex(finding.cache);
  if (cache === undefined && finding.pfn === undefined && finding.gfn === undefined) return { racing: [...finding.interleaving], context: [] };
  const racing: InterleavingEvent[] = [];
  const context: InterleavingEvent[] = [];
  for (const e of finding.interleaving) (onSubject(e, cache, finding.pfn, finding.gfn) ? racing : context).push(e);
  return { racing, context };
}
