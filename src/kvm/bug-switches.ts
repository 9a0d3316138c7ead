/**
 * Bug switches: a run-config bitmask, readable by every thread, that turns on deliberate protocol
 * breakages at the place where the real fix lives (DESIGN 7). The reference protocol runs with the
 * mask 0. Each thread calls `setBugSwitches(vm config mask)` once at start; the hot path then tests
 * one module variable: `if (isBugOn(BUG_X))`.
 *
 * Rule: a switch changes the protocol, never an oracle. Detection must come from the general
 * oracles (src/oracle), which do not know which switch is on.
 *
 * The historical catalog (source commit or seed line, what goes wrong, which property should catch
 * it, and the workload that gives it a chance) is src/bugs/catalog.ts; this file only holds the
 * bits, so that worker bundles stay small.
 */
import { maskFromNames, namesFromMask } from '../util/named-switches.js';

/** kvm_gpc_check skips the memslot-generation compare (what the generation check protects). */
export const BUG_CHECK_IGNORES_GENERATION = 1 << 0;
/** hva_to_pfn_retry installs the pfn without the count/seq retry (history B1). */
export const BUG_REFRESH_SKIPS_RETRY = 1 << 1;
/** The notifier's gpc hook does not clear `valid` (the cache keeps a pfn the mm is freeing). */
export const BUG_INVALIDATE_SKIPS_CLEAR = 1 << 2;
/** The vCPU runs its entry check before it publishes IN_GUEST_MODE (the Dekker order broken). */
export const BUG_ENTRY_CHECK_BEFORE_MODE = 1 << 3;
/** refresh does not fail on an inactive cache (history B10: valid but off the list). */
export const BUG_REFRESH_IGNORES_ACTIVE = 1 << 4;
/** refresh keeps the old khva offset when the gpa moves within the page (history B11). */
export const BUG_KHVA_KEEPS_OLD_OFFSET = 1 << 5;
/** deactivate forgets to unmap the old khva (a kmap leak). */
export const BUG_DEACTIVATE_SKIPS_UNMAP = 1 << 6;
/** activate re-initializes the cache's locks (history B9: rwlock_init under a reader). */
export const BUG_ACTIVATE_REINITS_LOCKS = 1 << 7;
/** A failed refresh returns with refreshLock still held (a missed unlock: the next refresh hangs). */
export const BUG_REFRESH_LEAKS_LOCK_ON_ERROR = 1 << 8;

/** invalidate_range_end forgets count-- (an unbalanced invalidation: every later refresh retries forever). */
export const BUG_INVALIDATE_END_LEAKS_COUNT = 1 << 9;

/** activate takes vm.gpcLock while holding the cache's write lock (the notifier takes them the other way round). */
export const BUG_ACTIVATE_NESTS_LIST_LOCK = 1 << 10;

/** hva_to_pfn_retry marks the cache valid (placeholder pfn/khva) before the pfn is resolved (history B2, 5.17). */
export const BUG_REFRESH_VALID_BEFORE_RESOLVE = 1 << 11;
/** kvm_gpc_refresh does not take refreshLock: concurrent refreshes of one cache (history B3, before 93984f19e7bc). */
export const BUG_REFRESH_WITHOUT_MUTEX = 1 << 12;
/** kvm_gpc_check does not fail on an inactive cache (history B10, the check half of ecbcf030b456). */
export const BUG_CHECK_IGNORES_ACTIVE = 1 << 13;
/** The notifier's gpc hook clears a guest-uses cache but does not evict its vCPU (the seed's guest_uses_pa). */
export const BUG_GUEST_USES_NO_EVICT = 1 << 14;
/** The notifier's gpc hook write-locks every listed cache, with no read-lock overlap pre-check (history B18). */
export const BUG_INVALIDATE_NO_READ_PRECHECK = 1 << 15;
/** hva_to_pfn_retry does not put hva_to_pfn's reference when the refresh reuses the cache's pfn (history B4, before 3dddf65b4f4c). */
export const BUG_REFRESH_REUSE_LEAKS_REF = 1 << 16;
/** A refresh whose uhva became invalid puts the cache's old page, a reference it does not hold (history B5, before 79593c086eb9). */
export const BUG_REFRESH_ERROR_PUTS_OLD_PAGE = 1 << 17;

/** The non-atomic runstate update takes the cache holding the update byte first: gpc2 before gpc1 when that byte is on the second page (history B12's order reversed). */
export const BUG_RUNSTATE_LOCK_ORDER = 1 << 18;
/**
 * guest_memfd invalidations (punch hole, conversion) do not reach the caches: itazuri-gmem-rfc2
 * without its 7/7 (20260226135309.29493-8-itazur@amazon.com), i.e. RFC v1 (history B21).
 * Only guest_memfd slots (that variant) have such events. Bit 24: far from the others' next bits.
 */
export const BUG_GMEM_SKIPS_GPC_INVALIDATION = 1 << 24;
/** Name, mask and what it breaks, for `--bug NAME` and `gpc-lab bugs`. */
export interface BugSwitchInfo {
  readonly name: string;
  readonly mask: number;
  readonly description: string;
  /** Older names that still select this switch. */
  readonly aliases?: readonly string[];
}

export const BUG_SWITCHES: readonly BugSwitchInfo[] = [
  { name: 'check-ignores-generation', mask: BUG_CHECK_IGNORES_GENERATION, description: 'kvm_gpc_check skips the memslot generation compare' },
  { name: 'refresh-skips-retry', mask: BUG_REFRESH_SKIPS_RETRY, description: 'hva_to_pfn_retry accepts the pfn without the count/seq retry (B1)' },
  { name: 'invalidate-skips-clear', mask: BUG_INVALIDATE_SKIPS_CLEAR, description: 'the notifier gpc hook does not clear valid' },
  { name: 'entry-check-before-mode', mask: BUG_ENTRY_CHECK_BEFORE_MODE, description: 'vCPU entry check runs before mode = IN_GUEST_MODE' },
  { name: 'refresh-valid-before-resolve', mask: BUG_REFRESH_VALID_BEFORE_RESOLVE, description: 'refresh marks the cache valid (placeholder pfn/khva) before the pfn is resolved (B2)' },
  { name: 'refresh-without-mutex', mask: BUG_REFRESH_WITHOUT_MUTEX, description: 'kvm_gpc_refresh is not serialized by refreshLock (B3)' },
  { name: 'check-refresh-ignore-active', mask: BUG_CHECK_IGNORES_ACTIVE | BUG_REFRESH_IGNORES_ACTIVE, description: 'check and refresh do not fail on an inactive cache (B10)', aliases: ['refresh-ignores-active'] },
  { name: 'guest-uses-no-evict', mask: BUG_GUEST_USES_NO_EVICT, description: 'invalidating a guest-uses cache does not evict its vCPU (seed guest_uses_pa)' },
  { name: 'invalidate-no-read-precheck', mask: BUG_INVALIDATE_NO_READ_PRECHECK, description: 'the notifier write-locks every cache without a read-lock overlap pre-check (B18: a cost)' },
  { name: 'khva-keeps-old-offset', mask: BUG_KHVA_KEEPS_OLD_OFFSET, description: 'refresh within the same page keeps the old khva offset (B11)' },
  { name: 'deactivate-skips-unmap', mask: BUG_DEACTIVATE_SKIPS_UNMAP, description: 'deactivate does not unmap the old khva (leak)' },
  { name: 'activate-reinits-locks', mask: BUG_ACTIVATE_REINITS_LOCKS, description: 'activate re-initializes the gpc locks (B9)' },
  { name: 'refresh-leaks-lock-on-error', mask: BUG_REFRESH_LEAKS_LOCK_ON_ERROR, description: 'a failed refresh keeps refreshLock held' },
  { name: 'activate-nests-list-lock', mask: BUG_ACTIVATE_NESTS_LIST_LOCK, description: 'activate takes vm.gpcLock inside gpc.lock (an ABBA with the notifier)' },
  { name: 'refresh-reuse-leaks-ref', mask: BUG_REFRESH_REUSE_LEAKS_REF, description: 'a refresh that reuses the same pfn keeps the reference hva_to_pfn took (B4: a page reference leak)' },
  { name: 'refresh-error-puts-old-page', mask: BUG_REFRESH_ERROR_PUTS_OLD_PAGE, description: 'a refresh whose uhva became invalid puts the old page it holds no reference on (B5: a double put)' },
  { name: 'invalidate-end-leaks-count', mask: BUG_INVALIDATE_END_LEAKS_COUNT, description: 'invalidate_range_end forgets count-- (refreshes then retry forever)' },
  { name: 'runstate-lock-order', mask: BUG_RUNSTATE_LOCK_ORDER, description: 'the runstate update takes gpc2 before gpc1 when the update byte is on the second page (B12 order reversed)' },
  { name: 'gmem-skips-gpc-invalidation', mask: BUG_GMEM_SKIPS_GPC_INVALIDATION, description: 'guest_memfd punch holes and conversions neither raise active_invalidate_count nor invalidate the caches (itazuri-gmem-rfc2 without 7/7: RFC v1)' },
];

/** The switch called `name` (or one of its aliases), or undefined. Cold path. */
export function findBugSwitch(name: string): BugSwitchInfo | undefined {
  return BUG_SWITCHES.find((b) => b.name === name || (b.aliases?.includes(name) ?? false));
}

/** The mask for a list of switch names; throws RangeError naming an unknown one. Cold path. */
export function bugMaskFromNames(names: readonly string[]): number {
  return maskFromNames('bug switch', BUG_SWITCHES, findBugSwitch, names);
}

/** The names of the switches in `mask`. Cold path. */
export function bugNamesFromMask(mask: number): string[] {
  return namesFromMask(BUG_SWITCHES, mask);
}

/** This thread's copy of the run's mask (set once at thread start, before the hot loop). */
let bugMask = 0;

/** Sets this thread's bug mask (from the VM config slot). */
export function setBugSwitches(mask: number): void {
  bugMask = mask | 0;
}

/** True if the switch (a BUG_* bit) is on in this run. One module-variable test. */
export function isBugOn(bug: number): boolean {
  return (bugMask & bug) !== 0;
}
