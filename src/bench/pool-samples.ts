/**
 * Figures over several timing threads: each variant's kept samples from every thread pooled, then
 * summarized (median, quartiles, MAD) with its ratio to its floor's pooled median.
 */
import { summarizeVariants, type BatchStats, type BatchVariant } from '../harness/batch-timer.js';

export interface ThreadSamples {
  readonly stats: readonly BatchStats[];
  readonly samples: readonly Float64Array[];
}

export function poolThreadStats(threads: readonly ThreadSamples[]): BatchStats[] {
  const first = threads[0];
  if (!first) return [];
  const variants: BatchVariant[] = first.stats.map((s) =>
    s.floor === undefined ? { name: s.name, run: noBatch } : { name: s.name, floor: s.floor, run: noBatch },
  );
  const pooled = first.stats.map((_, i) => {
    const parts = threads.map((t) => t.samples[i] ?? new Float64Array(0));
    const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  });
  const gc = first.stats.map((_, i) => ({
    dropped: threads.reduce((n, t) => n + (t.stats[i]?.gcDropped ?? 0), 0),
    flagged: threads.some((t) => t.stats[i]?.gcFlagged === true),
  }));
  return summarizeVariants(variants, pooled, first.stats[0]?.batchSize ?? 0, gc);
}

function noBatch(n: number): number {
  return n;
}
