/**
 * stale-generation: valid under the read lock with a memslot generation older than the one the
 * reader's SRCU section entered at (a translation from before a completed memslot update).
 * Checked at every host access through khva made inside an SRCU section.
 */
import { G_GENERATION } from '../../kvm/gpc-layout.js';
import { countCheck, finding, type ModelContext } from '../../kvm/model-context.js';
import { defineProperty } from '../../trace/property.js';
import { generationOlder } from '../../mem/memslots.js';

export const PROP_STALE_GENERATION = 4;

export const staleGeneration = defineProperty({
  id: PROP_STALE_GENERATION,
  name: 'stale-generation',
  kind: 'safety',
  description: 'valid under the read lock with a memslot generation older than the reader\'s SRCU section',
  fills: { cache: true, gpa: true, pfn: true },
  fields: {
    cacheGeneration: 'the memslot generation the cache was refreshed at',
    srcuGeneration: 'the generation the reader\'s SRCU section entered at',
  },
  details: (a, b) => ({ cacheGeneration: a, srcuGeneration: b }),
  describe: (d) =>
    `check passed under the read lock with memslot generation ${d.cacheGeneration}, older than generation ${d.srcuGeneration} of the reader's SRCU section: a translation from before a completed memslot update`,
});

/** Caller holds g's read lock inside an SRCU section: the cache's generation is not older than it. */
export function checkGenerationCurrentLocked(ctx: ModelContext, g: number, base: number, gpa: number, pfn: number): boolean {
  countCheck(ctx, PROP_STALE_GENERATION);
  const generation = ctx.gpcs[base + G_GENERATION]!;
  if (!generationOlder(generation, ctx.srcuGeneration)) return true;
  finding(ctx, PROP_STALE_GENERATION, g, gpa, pfn, generation, ctx.srcuGeneration, 0);
  return false;
}
