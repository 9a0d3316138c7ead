/**
 * Fix switches: would-be upstream fixes for candidate upstream bugs the model found on the faithful
 * mainline (docs/VERDICTS.md). A run-config bitmask (VM_FIX_MASK), like the bug switches
 * (bug-switches.ts) but the other way round: mainline as merged runs with the mask 0, and a switch
 * turns a proposed fix on at the place it would live. Each thread calls `setFixSwitches(mask)` once
 * at start (openModelContext); the hot path tests one module variable: `if (isFixOn(FIX_X))`.
 *
 * Rule: a fix switch changes the protocol toward a proposed fix, never an oracle.
 */

/**
 * S1 (docs/UPSTREAM-SPEC.md S1, docs/VERDICTS.md): an invalidation whose range hits no memslot
 * bumps no mmu_invalidate_seq, so a refresh of an HVA cache outside every memslot in whose
 * unlocked window the invalidation ends (having unmapped the page after hva_to_pfn read the pte)
 * installs a page the mm has unmapped. The fix: range_end
 * bumps the seq for every invalidation (the "seq++ for every invalidation on the gpc path" of
 * docs/UPSTREAM-SPEC.md S1; dwmw2's needs_invalidation flag,
 * 20240821202814.711673-1-dwmw2@infradead.org, closes it the same way for the cache being refreshed).
 */
import { maskFromNames, namesFromMask } from '../util/named-switches.js';
export const FIX_HVA_SEQ_MISS = 1 << 0;
/**
 * The nested-VMX variants' findings (src/kvm/protocols/seed-2021.ts, griffoul-v4.ts): each switch
 * is the change to the variant's posted code that turns its finding off (bits 8.. so that other
 * variants' switches can take the low ones).
 *
 * seed-apic-check-polarity: vmx_guest_apic_has_interrupt reads khva only when
 * kvm_gfn_to_pfn_cache_check passes (the RFC's diff reads it when the check fails).
 */
export const FIX_SEED_APIC_CHECK_POLARITY = 1 << 8;
/** seed-check-pi-desc: pi_desc converted to a gpc, as the thread meant to do next: nested_vmx_check_guest_maps checks it too, and vmx_complete_nested_posted_interrupt reads PIR through it after a check. */
export const FIX_SEED_CHECK_PI_DESC = 1 << 9;
/** griffoul-host-refresh-reloads: nested_gpc_lock_if_active raises KVM_REQ_GET_NESTED_STATE_PAGES when it refreshes a vCPU's cache, so vmcs02 is rewritten before the next entry. */
export const FIX_GRIFFOUL_HOST_REFRESH_RELOADS = 1 << 10;
/** griffoul-refresh-unlocked: vmx_complete_nested_posted_interrupt never refreshes the vAPIC cache while it holds the PI descriptor cache's read lock (drop it, refresh, start again). */
export const FIX_GRIFFOUL_REFRESH_UNLOCKED = 1 << 11;
/**
 * dwmw2-range-2024 only (src/kvm/protocols/dwmw2-range-2024.ts): v3 4/5 moved the gpc hook to
 * invalidate_range_end, so from range_start until range_end a valid cache keeps a page the mm is
 * unmapping and may free (Sean Christopherson, Zw8GBOtvNhPhSzuw@google.com: a secondary MMU must
 * drop its mappings in range_start). The fix: range_start also runs mainline's hook (clear valid),
 * the series' range_end hook and wait stay. No effect under any other protocol.
 */
export const FIX_DWMW2_INVALIDATE_AT_START = 1 << 1;
/**
 * dwmw2-range-2024 only: v3 1/5 keeps the hook's !is_error_noslot_pfn(gpc->pfn) test beside the
 * new needs_invalidation test, but while hva_to_pfn_retry runs gpc->pfn is still the old pfn:
 * KVM_PFN_ERR_FAULT on a cache just activated (or after deactivate or a failed refresh). An
 * invalidation of the new uhva that ends during such a refresh then clears nothing,
 * needs_invalidation stays set, and the refresh installs the page the mm took away. The fix: the
 * hook tests needs_invalidation alone (the pfn test only guarded the old `valid` test). No effect
 * under any other protocol.
 */
export const FIX_DWMW2_HOOK_ANY_PFN = 1 << 2;

export interface FixSwitchInfo {
  readonly name: string;
  readonly mask: number;
  /** The candidate upstream bug it fixes (docs/VERDICTS.md). */
  readonly fixes: string;
  readonly description: string;
  /** The protocol variant whose finding it fixes; absent: a candidate upstream bug of mainline (the campaign turns those on). */
  readonly variant?: string;
}

export const FIX_SWITCHES: readonly FixSwitchInfo[] = [
  {
    name: 'hva-seq-miss',
    mask: FIX_HVA_SEQ_MISS,
    fixes: 'S1 hva-seq-miss (candidate upstream bug, docs/VERDICTS.md)',
    description: 'invalidate_range_end bumps mmu_invalidate_seq even when the range hits no memslot, so hva_to_pfn_retry retries after an invalidation of an HVA outside every memslot',
  },
  {
    name: 'seed-apic-check-polarity',
    variant: 'seed-2021',
    mask: FIX_SEED_APIC_CHECK_POLARITY,
    fixes: 'protocol seed-2021: vmx_guest_apic_has_interrupt reads the vAPIC khva when the cache check fails (uaf-khva, stale-generation)',
    description: 'vmx_guest_apic_has_interrupt reads vPPR through khva only if kvm_gfn_to_pfn_cache_check passed (else 0xff)',
  },
  {
    name: 'seed-check-pi-desc',
    variant: 'seed-2021',
    mask: FIX_SEED_CHECK_PI_DESC,
    fixes: 'protocol seed-2021: nested_vmx_check_guest_maps does not cover the PI descriptor (uaf-guest-mode, free-while-in-guest on the PI page)',
    description: 'pi_desc as a gpc: nested_vmx_check_guest_maps also checks it, vmx_complete_nested_posted_interrupt reads PIR through it after a check',
  },
  {
    name: 'griffoul-host-refresh-reloads',
    variant: 'griffoul-v4',
    mask: FIX_GRIFFOUL_HOST_REFRESH_RELOADS,
    fixes: 'protocol griffoul-v4: a refresh in nested_lock_vapic / nested_lock_pi_desc leaves vmcs02 on the old pfn and kvm_gpc_invalid passes (uaf-guest-mode)',
    description: 'nested_gpc_lock_if_active raises KVM_REQ_GET_NESTED_STATE_PAGES when it refreshes a vCPU-owned cache',
  },
  {
    name: 'griffoul-refresh-unlocked',
    variant: 'griffoul-v4',
    mask: FIX_GRIFFOUL_REFRESH_UNLOCKED,
    fixes: 'protocol griffoul-v4: vmx_complete_nested_posted_interrupt refreshes the vAPIC cache holding the PI descriptor read lock (deadlock with the notifier: livelock, stall)',
    description: 'vmx_complete_nested_posted_interrupt drops the PI descriptor lock before refreshing the vAPIC cache, then starts again',
  },
  {
    name: 'dwmw2-invalidate-at-start',
    variant: 'dwmw2-range-2024',
    mask: FIX_DWMW2_INVALIDATE_AT_START,
    fixes: "dwmw2-range-2024's invalidation at range_end only (Sean Christopherson's review of v3 4/5, Zw8GBOtvNhPhSzuw@google.com)",
    description: 'with --protocol dwmw2-range-2024, invalidate_range_start also clears valid on the caches it overlaps (mainline\'s gfn_to_pfn_cache_invalidate_start), keeping the series\' range_end hook and wait; no effect under other protocols',
  },
  {
    name: 'dwmw2-hook-any-pfn',
    variant: 'dwmw2-range-2024',
    mask: FIX_DWMW2_HOOK_ANY_PFN,
    fixes: "dwmw2-range-2024's range_end hook skipping a refresh in flight whose old pfn is KVM_PFN_ERR_FAULT (v3 1/5 keeps !is_error_noslot_pfn(gpc->pfn))",
    description: 'with --protocol dwmw2-range-2024, the range_end hook clears needs_invalidation on an overlapping cache whatever its (old) pfn, so a refresh of a cache just activated retries; no effect under other protocols',
  },
];

/** The switch called `name`, or undefined. Cold path. */
export function findFixSwitch(name: string): FixSwitchInfo | undefined {
  return FIX_SWITCHES.find((f) => f.name === name);
}

/** The mask for a list of fix names; throws RangeError naming an unknown one. Cold path. */
export function fixMaskFromNames(names: readonly string[]): number {
  return maskFromNames('fix switch', FIX_SWITCHES, findFixSwitch, names);
}

/** The names of the fixes in `mask`. Cold path. */
export function fixNamesFromMask(mask: number): string[] {
  return namesFromMask(FIX_SWITCHES, mask);
}

/** This thread's copy of the run's fix mask (set once at thread start, before the hot loop). */
let fixMask = 0;

/** Sets this thread's fix mask (from the VM config slot). */
export function setFixSwitches(mask: number): void {
  fixMask = mask | 0;
}

/** True if the fix (a FIX_* bit) is on in this run. One module-variable test. */
export function isFixOn(fix: number): boolean {
  return (fixMask & fix) !== 0;
}
