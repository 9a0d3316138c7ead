/**
 * state-invariant: valid => active, active <=> on the gpc list, valid => pfn and khva are real,
 * khva maps the cached pfn at gpa's offset. Checked at every host access through khva, at refresh
 * start under the write lock, and at rest after the run (src/stress/end-of-run.ts, `c` = AT_REST).
 */
import { G_ACTIVE, G_GPA, G_KHVA, G_ON_LIST, G_PFN, G_VALID, GPC_LOCK, gpcBase } from '../../kvm/gpc-layout.js';
import { assertHeld } from '../../sync/lockdep.js';
import { countCheck, finding, type ModelContext } from '../../kvm/model-context.js';
import { defineProperty } from '../../trace/property.js';

export const PROP_STATE_INVARIANT = 7;

/** Invariant codes (the finding's `a`, at an access or a refresh). */
export const INV_VALID_NOT_ACTIVE = 1;
export const INV_ACTIVE_NOT_LISTED = 2;
export const INV_VALID_NO_PFN = 3;
export const INV_KHVA_NOT_PFN = 4;
export const INV_KHVA_OFFSET = 5;
const INVARIANT_NAMES: Record<number, string> = {
  1: 'valid but not active',
  2: 'active but not on the gpc list',
  3: 'valid with pfn or khva = none',
  4: 'khva does not map the cached pfn',
  5: 'khva offset differs from the gpa offset',
};

/** The finding's `c` of the end-of-run check (a = valid, b = active * 2 | on-list * 4). */
export const END_INVARIANT = 9;

export const stateInvariant = defineProperty({
  id: PROP_STATE_INVARIANT,
  name: 'state-invariant',
  kind: 'safety',
  description: 'valid => active, active <=> on the list, valid => pfn and khva real, khva offset = gpa offset',
  fills: { cache: true, gpa: true, pfn: true },
  fields: {
    check: '"in-use" (an access or a refresh saw it) or "at-rest" (after the run)',
    invariant: 'in use: the invariant that broke',
    khva: 'in use: the cache\'s khva (absent: none)',
    valid: 'at rest: the cache\'s valid flag',
    active: 'at rest: its active flag',
    onList: 'at rest: whether it is on the gpc list',
  },
  details: (a, b, c) =>
    c === END_INVARIANT
      ? { check: 'at-rest', valid: a !== 0, active: (b & 2) !== 0, onList: (b & 4) !== 0 }
      : { check: 'in-use', invariant: INVARIANT_NAMES[a] ?? `invariant ${a}`, khva: b < 0 ? undefined : b },
  describe: (d) =>
    d.check === 'at-rest'
      ? `at the end: valid=${d.valid ? 1 : 0} active=${d.active ? 1 : 0} on-list=${d.onList ? 1 : 0} (valid => active, active <=> on the list)`
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
