/**
 * The oracle hooks at the protocol points that use a cache: the kvm code calls these, and each
 * runs the checks of the properties that watch that point (src/oracle/properties/<name>.ts).
 * They compare what the cache says with the truth (page metadata, host page table, memslots);
 * cheap enough to leave on (a handful of loads); `--oracles off` skips them to measure what they
 * cost.
 *
 * They never look at bug switches: a finding is a property of what happened.
 */
import { G_GPA, G_KHVA, G_PFN, G_UHVA, GPC_LOCK, gpcBase } from '../kvm/gpc-layout.js';
import { vpageToGfn } from '../mem/host-page-table.js';
import { fileGfn } from '../mem/host-mm-layout.js';
import { assertHeld } from '../sync/lockdep.js';
import type { ModelContext } from '../kvm/model-context.js';
import { checkInstalledPageLocked, checkPageKeptLocked } from './properties/uaf-khva.js';
import { checkPageOwnerLocked } from './properties/wrong-page.js';
import { checkPteMapsPfnLocked } from './properties/stale-pte.js';
import { checkGenerationCurrentLocked } from './properties/stale-generation.js';
import { checkInUseInvariantsLocked } from './properties/state-invariant.js';
import { checkHostWriteLocked } from './properties/lost-write.js';
import { LW_EVTCHN_EVENT, LW_RUNSTATE_RECORD, LW_STEAL_RECORD, LW_VCPU_INFO_SELECTOR } from './retired-memory.js';
import { USER_STEAL_TIME, USER_XEN_RUNSTATE, USER_XEN_SHINFO, USER_XEN_VCPU_INFO } from '../kvm/cache-users.js';

/** Refresh start, under the write lock: state-invariant. */
export { checkCacheStateLocked } from './properties/state-invariant.js';
/** A guest step through a hardware register: uaf-guest-mode. */
export { checkHardwareAccess } from './properties/uaf-guest-mode.js';
/** A write by the vCPU hardware into a guest-uses page: lost-write. */
export { checkHardwareWrite } from './properties/lost-write.js';
/** A committed vmentry: stale-entry. */
export { checkEntryTranslation } from './properties/stale-entry.js';

/**
 * The caller holds g's read lock and its check just passed; it is about to use khva. Checks:
 * state invariants, the page behind pfn (allocated, same epoch as at install, backing gpa's gfn),
 * the pte still mapping pfn, the generation not older than the caller's SRCU section, and (a
 * host-uses cache: the access is a write) that pfn is not memory a memslot DELETE took away before
 * the caller's SRCU section began (lost-write).
 * Returns true if all held.
 */
export function checkKhvaAccessLocked(ctx: ModelContext, g: number): boolean {
  if (!ctx.oracles) return true;
  const gpcs = ctx.gpcs;
  const base = gpcBase(g);
  assertHeld(gpcs, base + GPC_LOCK, 'any');
  const pfn = gpcs[base + G_PFN]!;
  const khva = gpcs[base + G_KHVA]!;
  const cachedGpa = gpcs[base + G_GPA]!;
  // An HVA cache (gpa INVALID_GPA, docs/UPSTREAM-SPEC.md 4.1) has no gfn of its own: the truth it
  // is held to is the file page its uhva maps now, at the uhva's offset. Its generation is unused
  // (4.2), so the stale-generation check does not apply to it.
  const hvaCache = cachedGpa < 0;
  const gpa = hvaCache ? hvaCacheTruthGpa(ctx, gpcs[base + G_UHVA]!) : cachedGpa;
  let ok = checkInUseInvariantsLocked(ctx, g, base, gpa, pfn, khva);
  if (!ok && pfn < 0) return false;
  if (!checkInstalledPageLocked(ctx, g, base, gpa, pfn)) return false;
  if (!checkPageOwnerLocked(ctx, g, gpa, pfn)) ok = false;
  if (!checkPteMapsPfnLocked(ctx, g, base, gpa, pfn)) ok = false;
  if (!hvaCache && ctx.srcuGeneration >= 0 && !checkGenerationCurrentLocked(ctx, g, base, gpa, pfn)) ok = false;
  const kind = hostWriteKind(ctx, g);
  if (kind >= 0 && !checkHostWriteLocked(ctx, g, pfn, kind)) ok = false;
  return ok;
}

/** What a host-uses access through cache g writes (lost-write's kind), or -1 for a guest-uses cache (its load of a register writes nothing). */
function hostWriteKind(ctx: ModelContext, g: number): number {
  const spec = ctx.layout.caches.caches[g]!;
  if (spec.usage === 'guest') return -1;
  switch (spec.user) {
    case USER_STEAL_TIME:
      return LW_STEAL_RECORD;
    case USER_XEN_SHINFO:
      return LW_EVTCHN_EVENT;
    case USER_XEN_VCPU_INFO:
      return LW_VCPU_INFO_SELECTOR;
    case USER_XEN_RUNSTATE:
      return LW_RUNSTATE_RECORD;
    default:
      return -1;
  }
}

/**
 * The "gpa" an HVA cache's truth is: the gfn whose memory the file page its uhva maps is (either
 * bank: fileGfn), times pageSize, plus the uhva's offset; -1 if unmapped. An overlay page (memory no
 * gfn names) stands for itself. The wrong-page check compares the pfn's owner the same way.
 */
function hvaCacheTruthGpa(ctx: ModelContext, uhva: number): number {
  const filePage = uhva < 0 ? -1 : vpageToGfn(ctx.host.mm, uhva >> ctx.pageShift);
  return filePage < 0 ? -1 : (fileGfn(ctx.host.mm, filePage) << ctx.pageShift) + (uhva & ctx.offsetMask);
}

/**
 * After the access: the page must not have been freed during it (a free needs the write lock the
 * caller's read lock excludes). Returns true if it held.
 */
export function checkKhvaAfterAccessLocked(ctx: ModelContext, g: number): boolean {
  if (!ctx.oracles) return true;
  const base = gpcBase(g);
  assertHeld(ctx.gpcs, base + GPC_LOCK, 'any');
  return checkPageKeptLocked(ctx, g, base);
}
