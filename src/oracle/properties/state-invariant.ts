/**
 * state-invariant: valid => active, active <=> on the gpc list, valid => pfn and khva are real,
 * khva maps the cached pfn at gpa's offset. Checked at every host access through khva, at refresh
 * start under the write lock, and at rest after the run (src/stress/end-of-run.ts, `c` = AT_REST).
 * Two more where upstream asserts (or relies on) them: no one else made the cache valid while
 * hva_to_pfn_retry had dropped its lock (its `WARN_ON_ONCE(gpc->valid)` after relocking), and
 * when the notifier's gpc hook returns, no listed cache is valid for a page of the invalidated
 * range (what gfn_to_pfn_cache_invalidate_start promises: checked by the notifier, at the
 * invalidation itself).
 */
import { G_ACTIVE, G_GPA, G_KHVA, G_ON_LIST, G_PFN, G_UHVA, G_VALID, GPC_LOCK, gpcBase } from '../../kvm/gpc-layout.js';
import { assertHeld } from '../../sync/lockdep.js';
import { readLock, readUnlock } from '../../sync/rwlock.js';
import { countCheck, finding, type ModelContext } from '../../kvm/model-context.js';
import { defineProperty } from '../../trace/property.js';

export const PROP_STATE_INVARIANT = 7;

/** Invariant codes (the finding's `a`, at an access or a refresh). */
export const INV_VALID_NOT_ACTIVE = 1;
export const INV_ACTIVE_NOT_LISTED = 2;
export const INV_VALID_NO_PFN = 3;
export const INV_KHVA_NOT_PFN = 4;
export const INV_KHVA_OFFSET = 5;
/** hva_to_pfn_retry relocked and found the cache valid (upstream's WARN_ON_ONCE(gpc->valid)). */
export const INV_VALID_DURING_REFRESH = 6;
/** The notifier's gpc hook returned and a listed cache is still valid for a page of its range. */
export const INV_VALID_AFTER_INVALIDATION = 7;
const INVARIANT_NAMES: Record<number, string> = {
  1: 'valid but not active',
  2: 'active but not on the gpc list',
  3: 'valid with pfn or khva = none',
  4: 'khva does not map the cached pfn',
  5: 'khva offset differs from the gpa offset',
  6: 'valid when hva_to_pfn_retry relocked (only this refresh may set it, at its install)',
  7: 'valid for a page of the range the invalidation hook just invalidated',
};

/** The finding's `c` of the end-of-run check (a = valid, b = active * 2 | on-list * 4). */
export const END_INVARIANT = 9;

export const stateInvariant = defineProperty({
  id: PROP_STATE_INVARIANT,
  name: 'state-invariant',
  kind: 'safety',
  description: 'valid => active, active <=> on the list, valid => pfn and khva real, khva offset = gpa offset, not valid while refreshing, not valid in an invalidated range',
  fills: { cache: true, gpa: true, pfn: true },
  fields: {
    check: '"in-use" (an access or a refresh saw it) or "at-rest" (after the run)',
    invariant: 'in use: the invariant that broke',
    khva: 'in use: the cache\'s khva (absent: none)',
    vpage: 'invalidated: the cache\'s host virtual page, inside the invalidated range',
    valid: 'at rest: the cache\'s valid flag',
    active: 'at rest: its active flag',
    onList: 'at rest: whether it is on the gpc list',
  },
  details: (a, b, c) =>
    c === END_INVARIANT
      ? { check: 'at-rest', valid: a !== 0, active: (b & 2) !== 0, onList: (b & 4) !== 0 }
      : a === INV_VALID_AFTER_INVALIDATION
        ? { check: 'in-use', invariant: INVARIANT_NAMES[a]!, vpage: b }
        : { check: 'in-use', invariant: INVARIANT_NAMES[a] ?? `invariant ${a}`, khva: b < 0 ? undefined : b },
  describe: (d) =>
    d.check === 'at-rest'
      ? `at the end: valid=${d.valid ? 1 : 0} active=${d.active ? 1 : 0} on-list=${d.onList ? 1 : 0} (valid => active, active <=> on the list)`
      : typeof d.vpage === 'number'
        ? `${d.invariant} (host virtual page ${d.vpage})`
        : `${d.invariant} (khva ${typeof d.khva === 'number' ? `0x${d.khva.toString(16)}` : 'none'})`,
});

/** At a host access (caller holds g's read lock, its check passed): the invariants of a valid cache. */
export function checkInUseInvariantsLocked(ctx: ModelContext, g: number, base: number, gpa: number, pfn: number, khva: number): boolean {
  countCheck(ctx, PROP_STATE_INVARIANT);
  const gpcs = ctx.gpcs;
  let invariant = 0;
  if (gpcs[base + G_VALID] !== 0 && gpcs[base + G_ACTIVE] === 0) invariant = INV_VALID_NOT_ACTIVE;
  else if (gpcs[base + G_ACTIVE] !== 0 && Atomics.load(gpcs, base + G_ON_LIST) === 0) invariant = INV_ACTIVE_NOT_LISTED;
  else if (pfn < 0 || khva < 0) invariant = INV_VALID_NO_PFN;
  else if (khva >> ctx.pageShift !== pfn) invariant = INV_KHVA_NOT_PFN;
  else if ((khva & ctx.offsetMask) !== (gpa & ctx.offsetMask)) invariant = INV_KHVA_OFFSET;
  if (invariant === 0) return true;
  finding(ctx, PROP_STATE_INVARIANT, g, gpa, pfn, invariant, khva, 0);
  return false;
}

/**
 * At a protocol point where the caller holds g's write lock (refresh, before it changes anything):
 * valid => active => on the list. Catches a cache made valid while off the list (history B10),
 * which no reader's check would ever let through.
 */
export function checkCacheStateLocked(ctx: ModelContext, g: number): boolean {
  if (!ctx.oracles) return true;
  const gpcs = ctx.gpcs;
  const base = gpcBase(g);
  assertHeld(gpcs, base + GPC_LOCK, 'write');
  countCheck(ctx, PROP_STATE_INVARIANT);
  const valid = gpcs[base + G_VALID] !== 0;
  const active = gpcs[base + G_ACTIVE] !== 0;
  let invariant = 0;
  if (valid && !active) invariant = INV_VALID_NOT_ACTIVE;
  else if (active && Atomics.load(gpcs, base + G_ON_LIST) === 0) invariant = INV_ACTIVE_NOT_LISTED;
  if (invariant === 0) return true;
  finding(ctx, PROP_STATE_INVARIANT, g, gpcs[base + G_GPA]!, gpcs[base + G_PFN]!, invariant, gpcs[base + G_KHVA]!, 0);
  return false;
}

/**
 * hva_to_pfn_retry, after it retook g's write lock: `WARN_ON_ONCE(gpc->valid)` ("Other tasks must
 * wait for _this_ refresh to complete"): only the refresher sets valid, the hook only clears it.
 */
export function checkNotValidAfterRelockLocked(ctx: ModelContext, g: number): boolean {
  if (!ctx.oracles) return true;
  const gpcs = ctx.gpcs;
  const base = gpcBase(g);
  assertHeld(gpcs, base + GPC_LOCK, 'write');
  countCheck(ctx, PROP_STATE_INVARIANT);
  if (gpcs[base + G_VALID] === 0) return true;
  finding(ctx, PROP_STATE_INVARIANT, g, gpcs[base + G_GPA]!, gpcs[base + G_PFN]!, INV_VALID_DURING_REFRESH, gpcs[base + G_KHVA]!, 0);
  return false;
}

/**
 * After the notifier's gpc hook returned for host virtual pages [firstVpage, firstVpage + pages)
 * (the invalidation still in flight, its count raised): no cache on the list is valid (with a real
 * pfn) for a uhva in that range. Each cache is read under its read lock. Allocation-free.
 */
export function checkInvalidatedRangeClear(ctx: ModelContext, firstVpage: number, pages: number): boolean {
  if (!ctx.oracles) return true;
  const gpcs = ctx.gpcs;
  const start = firstVpage << ctx.pageShift;
  const end = (firstVpage + pages) << ctx.pageShift;
  let clear = true;
  for (let g = 0; g < ctx.layout.gpcs; g++) {
    const base = gpcBase(g);
    if (Atomics.load(gpcs, base + G_ON_LIST) === 0) continue;
    countCheck(ctx, PROP_STATE_INVARIANT);
    readLock(gpcs, base + GPC_LOCK);
    const uhva = gpcs[base + G_UHVA]!;
    const pfn = gpcs[base + G_PFN]!;
    if (gpcs[base + G_VALID] !== 0 && pfn >= 0 && uhva >= start && uhva < end) {
      finding(ctx, PROP_STATE_INVARIANT, g, gpcs[base + G_GPA]!, pfn, INV_VALID_AFTER_INVALIDATION, uhva >> ctx.pageShift, 0);
      clear = false;
    }
    readUnlock(gpcs, base + GPC_LOCK);
  }
  return clear;
}
