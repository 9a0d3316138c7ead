/**
 * The access oracles: run at every use of a cache, they compare what the cache says with the
 * truth (page metadata, host page table, memslots). Cheap enough to leave on (a handful of loads);
 * `--oracles off` skips them to measure what they cost.
 *
 * They never look at bug switches: a finding is a property of what happened.
 */
import { PAGE_ALLOCATED } from '../mem/host-mm-layout.js';
import { ptePfn } from '../mem/host-page-table.js';
import { pageEpoch, pageOwnerGfn, pageState } from '../mem/page-allocator.js';
import {
  G_ACTIVE,
  G_GENERATION,
  G_GPA,
  G_INSTALL_EPOCH,
  G_KHVA,
  G_ON_LIST,
  G_PFN,
  G_UHVA,
  G_VALID,
  GPC_LOCK,
  gpcBase,
} from '../kvm/gpc-layout.js';
import { assertHeld } from '../sync/lockdep.js';
import { R_VPAGE, REGISTER_INTS, type GuestRegisters } from '../kvm/guest-registers.js';
import { countCheck, finding, type ModelContext } from '../kvm/model-context.js';
import { ST_OLD_GENERATION_ENTRIES } from '../kvm/thread-stats.js';
import {
  PROP_STALE_ENTRY,
  PROP_STALE_GENERATION,
  PROP_STALE_PTE,
  PROP_STATE_INVARIANT,
  PROP_UAF_GUEST,
  PROP_UAF_KHVA,
  PROP_WRONG_PAGE,
} from './properties.js';

/** Invariant codes (the finding's `a`). */
export const INV_VALID_NOT_ACTIVE = 1;
export const INV_ACTIVE_NOT_LISTED = 2;
export const INV_VALID_NO_PFN = 3;
export const INV_KHVA_NOT_PFN = 4;
export const INV_KHVA_OFFSET = 5;
export const INVARIANT_NAMES: Record<number, string> = {
  1: 'valid but not active',
  2: 'active but not on the gpc list',
  3: 'valid with pfn or khva = none',
  4: 'khva does not map the cached pfn',
  5: 'khva offset differs from the gpa offset',
};

/**
 * The caller holds g's read lock and its check just passed; it is about to use khva. Checks:
 * state invariants, the page behind pfn (allocated, same epoch as at install, backing gpa's gfn),
 * the pte still mapping pfn, and the generation not older than the caller's SRCU section.
 * Returns true if all held.
 */
export function checkKhvaAccessLocked(ctx: ModelContext, g: number): boolean {
  if (!ctx.oracles) return true;
  const gpcs = ctx.gpcs;
  const base = gpcBase(g);
  assertHeld(gpcs, base + GPC_LOCK, 'any');
  const pfn = gpcs[base + G_PFN]!;
  const khva = gpcs[base + G_KHVA]!;
  const gpa = gpcs[base + G_GPA]!;
  let ok = true;
  countCheck(ctx, PROP_STATE_INVARIANT);
  let invariant = 0;
  if (gpcs[base + G_VALID] !== 0 && gpcs[base + G_ACTIVE] === 0) invariant = INV_VALID_NOT_ACTIVE;
  else if (gpcs[base + G_ACTIVE] !== 0 && Atomics.load(gpcs, base + G_ON_LIST) === 0) invariant = INV_ACTIVE_NOT_LISTED;
  else if (pfn < 0 || khva < 0) invariant = INV_VALID_NO_PFN;
  else if (khva >> ctx.pageShift !== pfn) invariant = INV_KHVA_NOT_PFN;
  else if ((khva & ctx.offsetMask) !== (gpa & ctx.offsetMask)) invariant = INV_KHVA_OFFSET;
  if (invariant !== 0) {
    finding(ctx, PROP_STATE_INVARIANT, g, gpa, pfn, invariant, khva, 0);
    ok = false;
    if (pfn < 0) return false;
  }
  const mm = ctx.host.mm;
  countCheck(ctx, PROP_UAF_KHVA);
  const state = pageState(mm, pfn);
  const epoch = pageEpoch(mm, pfn);
  if (state !== PAGE_ALLOCATED || epoch !== gpcs[base + G_INSTALL_EPOCH]) {
    finding(ctx, PROP_UAF_KHVA, g, gpa, pfn, state, epoch, gpcs[base + G_INSTALL_EPOCH]!);
    return false;
  }
  countCheck(ctx, PROP_WRONG_PAGE);
  const owner = pageOwnerGfn(mm, pfn);
  if (owner !== gpa >> ctx.pageShift) {
    finding(ctx, PROP_WRONG_PAGE, g, gpa, pfn, owner, 0, 0);
    ok = false;
  }
  countCheck(ctx, PROP_STALE_PTE);
  const uhva = gpcs[base + G_UHVA]!;
  const mapped = uhva < 0 ? -1 : ptePfn(mm, uhva >> ctx.pageShift);
  if (mapped !== pfn) {
    finding(ctx, PROP_STALE_PTE, g, gpa, pfn, mapped, uhva >> ctx.pageShift, 0);
    ok = false;
  }
  if (ctx.srcuGeneration >= 0) {
    countCheck(ctx, PROP_STALE_GENERATION);
    const generation = gpcs[base + G_GENERATION]!;
    if (((generation - ctx.srcuGeneration) | 0) < 0) {
      finding(ctx, PROP_STALE_GENERATION, g, gpa, pfn, generation, ctx.srcuGeneration, 0);
      ok = false;
    }
  }
  return ok;
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
 * After the access: the page must not have been freed during it (a free needs the write lock the
 * caller's read lock excludes). Returns true if it held.
 */
export function checkKhvaAfterAccessLocked(ctx: ModelContext, g: number): boolean {
  if (!ctx.oracles) return true;
  const gpcs = ctx.gpcs;
  const base = gpcBase(g);
  assertHeld(gpcs, base + GPC_LOCK, 'any');
  const pfn = gpcs[base + G_PFN]!;
  if (pfn < 0) return true;
  const epoch = pageEpoch(ctx.host.mm, pfn);
  if (epoch === gpcs[base + G_INSTALL_EPOCH]) return true;
  finding(ctx, PROP_UAF_KHVA, g, gpcs[base + G_GPA]!, pfn, pageState(ctx.host.mm, pfn), epoch, gpcs[base + G_INSTALL_EPOCH]!);
  return false;
}

/**
 * The vCPU "hardware" touches `pfn`, loaded at GET_NESTED_STATE_PAGES when the page had `epoch`.
 * Returns true if the page is still that allocation.
 */
export function checkHardwareAccess(ctx: ModelContext, g: number, pfn: number, epoch: number): boolean {
  if (!ctx.oracles) return true;
  countCheck(ctx, PROP_UAF_GUEST);
  const mm = ctx.host.mm;
  if (pageEpoch(mm, pfn) === epoch && pageState(mm, pfn) === PAGE_ALLOCATED) return true;
  finding(ctx, PROP_UAF_GUEST, g, -1, pfn, pageState(mm, pfn), pageEpoch(mm, pfn), epoch);
  return false;
}

/**
 * At guest entry (committed): the hardware's registers were loaded from translations at memslot
 * generation `gr.generation` (the oldest of them), through host virtual pages R_VPAGE. `entryGen`
 * and `gr.vpageNow` are the generation and the translations of the same gfns read right after the
 * vCPU published IN_GUEST_MODE, before its entry check. A memslot update published before that
 * point is one the entry check must catch (a later one is covered by the update's kick). So: an
 * entry whose translation is older than entryGen AND differs from the translation at entry ran with
 * a stale gpa -> uhva translation (a finding on the first such register's cache: a = the registers'
 * generation, b = entryGen, c = the host virtual page it used). An old generation with unchanged
 * translations (another slot moved, the dummy slot toggled) is not stale and only counted.
 */
export function checkEntryTranslation(ctx: ModelContext, gr: GuestRegisters, entryGen: number): boolean {
  if (!ctx.oracles) return true;
  countCheck(ctx, PROP_STALE_ENTRY);
  if (((gr.generation - entryGen) | 0) >= 0) return true;
  for (let r = 0; r < gr.count; r++) {
    const used = gr.regs[r * REGISTER_INTS + R_VPAGE]!;
    if (used === gr.vpageNow[r]) continue;
    finding(ctx, PROP_STALE_ENTRY, gr.cache[r]!, -1, -1, gr.generation, entryGen, used);
    return false;
  }
  ctx.counters[ST_OLD_GENERATION_ENTRIES]! += 1;
  return true;
}
