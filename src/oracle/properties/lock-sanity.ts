/**
 * lock-sanity: lock words stay sane (no corruption, nothing held at the end, the invalidation
 * counts back to 0: mn_active_invalidate_count and mmu_invalidate_in_progress), and lockdep-lite
 * (--lockdep) saw no misuse. Checked after the run
 * (src/stress/end-of-run.ts; lockdep's findings from src/stress/run-stress.ts).
 */
import { defineProperty } from '../../trace/property.js';

export const PROP_LOCK_SANITY = 10;

/** The finding's `c`: which check fired. */
export const END_LOCK_HELD = 7;
export const END_LOCK_CORRUPT = 8;
export const END_MN_COUNT = 10;
/** A lockdep-lite finding (order inversion, or a LockdepError a thread threw); `a` indexes the run's messages. */
export const END_LOCKDEP = 11;
/** mmu_invalidate_in_progress is not 0 at rest (an invalidation whose start and end disagreed on overlapping a memslot, or one never ended). */
export const END_MMU_IN_PROGRESS = 12;

export const lockSanity = defineProperty({
  id: PROP_LOCK_SANITY,
  name: 'lock-sanity',
  kind: 'safety',
  description: 'lock words stay sane (no corruption, all free at the end)',
  fills: { cache: true, gpa: false, pfn: false },
  fields: {
    check: '"corrupt", "held-at-end", "mn-count-at-end", "in-progress-at-end" or "lockdep"',
    lockState: 'corrupt, held: the lock\'s state word',
    impossibleUnlocks: 'corrupt: unlocks counted that no holder made',
    lockSlot: 'held: the lock\'s slot index in its buffer',
    count: 'mn-count-at-end: mn_active_invalidate_count after the run; in-progress-at-end: mmu_invalidate_in_progress after the run',
    message: 'lockdep: what lockdep-lite reported',
  },
  details: (a, b, c, ctx) => {
    if (c === END_LOCK_CORRUPT) return { check: 'corrupt', lockState: a, impossibleUnlocks: b };
    if (c === END_LOCK_HELD) return { check: 'held-at-end', lockState: a, lockSlot: b };
    if (c === END_MN_COUNT) return { check: 'mn-count-at-end', count: a };
    if (c === END_MMU_IN_PROGRESS) return { check: 'in-progress-at-end', count: a };
    if (c === END_LOCKDEP) return { check: 'lockdep', message: ctx.messages[a] ?? '?' };
    return {};
  },
  describe: (d) => {
    if (d.check === 'corrupt') return `lock word corrupted (state ${d.lockState}, ${d.impossibleUnlocks} impossible unlocks counted)`;
    if (d.check === 'held-at-end') return `a lock is still held after every thread stopped (state ${d.lockState})`;
    if (d.check === 'mn-count-at-end') return `mn_active_invalidate_count is ${d.count} after the run (an unbalanced invalidation)`;
    if (d.check === 'in-progress-at-end') return `mmu_invalidate_in_progress is ${d.count} after the run: an invalidation's start and end disagreed on whether it overlapped a memslot (the memslots changed between them), or one never ended`;
    if (d.check === 'lockdep') return `lockdep: ${d.message}`;
    return 'lock words not sane';
  },
});
