/**
 * The gpc table: one 64-slot block per gfn_to_pfn_cache.
 *
 *   +0   LOCK          rwlock block (class gpc.lock)
 *   +16  REFRESH_LOCK  mutex block (class gpc.refreshLock)
 *   +32  ACTIVE VALID GPA GENERATION UHVA PFN KHVA USAGE OWNER_VCPU ON_LIST INSTALL_EPOCH
 *   +48  statistics: REFRESHES RETRIES MAX_RETRIES REFRESH_FAILS INVALIDATED
 *
 * Addresses are byte addresses: gpa = gfn * pageSize + offset; uhva = vpage * pageSize + offset
 * (including the offset, as since 6.9); khva = pfn * pageSize + offset into host RAM. "None" is
 * -1 for all three (INVALID_GPA, KVM_HVA_ERR_BAD, NULL) and for pfn (KVM_PFN_ERR_FAULT).
 */
import { LOCK_BLOCK_INTS } from '../sync/lock-block.js';
import { allocateSharedInts } from '../mem/shared-buffer.js';

export const GPC_INTS = 64;
export const GPC_LOCK = 0;
export const GPC_REFRESH_LOCK = LOCK_BLOCK_INTS;
const F = 2 * LOCK_BLOCK_INTS;

/**
 * On the VM's gpc list, so it receives invalidations. Guard: LOCK write (+ REFRESH_LOCK) |
 * Writers: activate, deactivate | Readers: check (LOCK read), notifier hook (LOCK read), the
 * lockless entry strategy (no lock, by design), oracles.
 */
export const G_ACTIVE = F + 0;
/** The translation may be used. Guard/Readers as G_ACTIVE | Writers: refresh, deactivate, notifier hook. */
export const G_VALID = F + 1;
/** Guard: REFRESH_LOCK + LOCK write | Writers: refresh, activate | Readers: check (LOCK read), oracles. */
export const G_GPA = F + 2;
/** Memslot generation of the gpa -> uhva translation. Guard/Writers/Readers as G_GPA. */
export const G_GENERATION = F + 3;
/** Guard/Writers as G_GPA | Readers: check, notifier hook (LOCK read). */
export const G_UHVA = F + 4;
/** Guard: LOCK write | Writers: refresh install/error, deactivate | Readers: LOCK read holders, vCPU GET_NESTED (loads it into the "hardware"). */
export const G_PFN = F + 5;
/** Guard/Writers/Readers as G_PFN. */
export const G_KHVA = F + 6;
/** USAGE_HOST / USAGE_GUEST. Written once at init. */
export const G_USAGE = F + 7;
/** The vCPU a guest-uses cache belongs to (-1 for host-uses). Written once at init. */
export const G_OWNER_VCPU = F + 8;
/** Guard: VM_GPC_LOCK | Writers: activate, deactivate | Readers: notifier walk, oracles. */
export const G_ON_LIST = F + 9;
/**
 * Oracle shadow: the page epoch of PFN when it was installed (a model-only field, not in the
 * kernel). Guard: LOCK write, written with PFN | Readers: access oracles under LOCK read.
 */
export const G_INSTALL_EPOCH = F + 10;

/**
 * gpc->needs_invalidation (dwmw2-range-2024 only, v3 1/5): set by hva_to_pfn_retry before it drops
 * the lock, cleared (with VALID) by the invalidation; the retry loop ends only while it is set.
 * Guard: LOCK write | Writers: refresh (LOCK write), the notifier's hook (LOCK write) | Readers:
 * the hook's pre-check (LOCK read), the refresh (LOCK write). Always 0 under mainline.
 */
export const G_NEEDS_INVALIDATION = F + 14;

/** Statistics (only go up). Guard: REFRESH_LOCK | Writers: refresh | Readers: reports, livelock watch. */
export const G_REFRESHES = F + 16;
export const G_RETRIES = F + 17;
export const G_MAX_RETRIES = F + 18;
export const G_REFRESH_FAILS = F + 19;
/** Times the notifier cleared VALID. Guard: LOCK write | Writers: notifier | Readers: reports. */
export const G_INVALIDATED = F + 20;
/** Retries of the refresh in progress (0 when none): the livelock watch reads it. Guard: REFRESH_LOCK | Readers: main (racy). */
export const G_CURRENT_RETRIES = F + 21;

export const USAGE_HOST = 1;
export const USAGE_GUEST = 2;

export function createGpcTableBuffer(count: number): SharedArrayBuffer {
  return allocateSharedInts(count * GPC_INTS);
}

/** First slot of gpc g. */
export function gpcBase(g: number): number {
  return g * GPC_INTS;
}
