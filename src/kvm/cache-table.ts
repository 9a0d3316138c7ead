/**
 * The cache table: every gfn_to_pfn_cache of one VM, built from the users (cache-users.ts) and the
 * vCPU count. Pure data, the same on every thread. Cache indices are assigned user by user, owner
 * by owner, cache by cache; this module is the only place that turns (user, owner, k) into an index
 * or back, so no consumer derives a cache index by arithmetic: build, notifier targets, oracles,
 * end-of-run checks and report text loop over `caches` or look a cache up here.
 *
 * Guest-uses caches also get a register: their position among their owner vCPU's guest-uses caches,
 * i.e. the slot of the vCPU's guest-uses register file (guest-registers.ts) the hardware uses.
 */
import { CACHE_USERS, workloadBit, type AddressKind, type CacheUsage } from './cache-users.js';

export interface CacheSpec {
  /** Index in the gpc table (gpc-layout.ts). */
  readonly index: number;
  /** Report name, e.g. "steal-time vcpu-0". */
  readonly name: string;
  /** Index of the user in CACHE_USERS, and its name. */
  readonly user: number;
  readonly userName: string;
  readonly usage: CacheUsage;
  /** The vCPU that owns it (guest-uses: the one whose hardware uses it), or -1 (VM-wide). */
  readonly owner: number;
  readonly addressKind: AddressKind;
  /** Where it is activated: gfn, byte offset in that page, and length in bytes. */
  readonly gfn: number;
  readonly offset: number;
  readonly length: number;
  /** Guest-uses: its register in the owner's register file; host-uses: -1. */
  readonly register: number;
  /** WORKLOAD_* bit that activates it. */
  readonly workload: number;
}

export interface CacheTable {
  readonly caches: readonly CacheSpec[];
  /** Guest-uses registers per vCPU (the same for every vCPU). */
  readonly registersPerVcpu: number;
  /** Per user: first cache index, caches per owner. */
  readonly userFirst: Int32Array;
  readonly userStride: Int32Array;
  /** Per user: the first gfn of its memslot region, and its pages per owner (or in all). */
  readonly userRegionGfn: Int32Array;
  readonly userPages: Int32Array;
  /** Per vCPU v, per register r: the cache index at [v * registersPerVcpu + r]. */
  readonly registerCache: Int32Array;
}

/**
 * Builds the table. `regionGfn[u]` is the first gfn of user u's memslot region (guest-layout.ts lays
 * the regions out); `pageSize` gives the lengths.
 */
export function buildCacheTable(vcpus: number, pageSize: number, regionGfn: readonly number[]): CacheTable {
  const caches: CacheSpec[] = [];
  const users = CACHE_USERS.length;
  const userFirst = new Int32Array(users);
  const userStride = new Int32Array(users);
  const userRegionGfn = new Int32Array(users);
  const userPages = new Int32Array(users);
  const registerCount = new Int32Array(Math.max(1, vcpus));
  const guestPerVcpu = CACHE_USERS.reduce((n, u) => n + (u.perVcpu ? u.caches.filter((c) => c.usage === 'guest').length : 0), 0);
  const registerCache = new Int32Array(vcpus * guestPerVcpu).fill(-1);
  CACHE_USERS.forEach((user, u) => {
    userFirst[u] = caches.length;
    userStride[u] = user.caches.length;
    userRegionGfn[u] = regionGfn[u]!;
    userPages[u] = user.pages;
    const owners = user.perVcpu ? vcpus : 1;
    for (let o = 0; o < owners; o++) {
      const owner = user.perVcpu ? o : -1;
      for (const decl of user.caches) {
        let register = -1;
        if (decl.usage === 'guest') {
          if (owner < 0) throw new Error(`cache user ${user.name}: a guest-uses cache needs an owner vCPU (perVcpu)`);
          register = registerCount[owner]!++;
          registerCache[owner * guestPerVcpu + register] = caches.length;
        }
        caches.push({
          index: caches.length,
          name: owner < 0 ? decl.name : `${decl.name} vcpu-${owner}`,
          user: u,
          userName: user.name,
          usage: decl.usage,
          owner,
          addressKind: user.addressKind,
          gfn: regionGfn[u]! + (owner < 0 ? 0 : owner * user.pages) + decl.page,
          offset: decl.ownerOffset ? decl.ownerOffset(owner, pageSize) : decl.offset,
          length: decl.length(vcpus, pageSize, owner),
          register,
          workload: workloadBit(u),
        });
      }
    }
  });
  return { caches, registersPerVcpu: guestPerVcpu, userFirst, userStride, userRegionGfn, userPages, registerCache };
}

/** Cache k of `user` for `owner` (a vCPU, or -1 / 0 for a VM-wide user). Hot path: a few loads. */
export function userCache(table: CacheTable, user: number, owner: number, k: number): number {
  return table.userFirst[user]! + (owner < 0 ? 0 : owner) * table.userStride[user]! + k;
}

/** Page `page` of `owner`'s part of `user`'s memslot region, as a gfn. Hot path. */
export function userGfn(table: CacheTable, user: number, owner: number, page: number): number {
  return table.userRegionGfn[user]! + (owner < 0 ? 0 : owner) * table.userPages[user]! + page;
}

/** The cache in register r of vCPU v's register file. Hot path. */
export function registerCache(table: CacheTable, v: number, r: number): number {
  return table.registerCache[v * table.registersPerVcpu + r]!;
}

/** "gpc 5 (vAPIC page vcpu-0)"; "-" for no cache. */
export function cacheLabel(table: CacheTable, g: number): string {
  const spec = table.caches[g];
  if (g < 0 || !spec) return g < 0 ? '-' : `gpc ${g}`;
  return `gpc ${g} (${spec.name})`;
}

/** The cache with this report name (e.g. "steal-time vcpu-0"). Cold path; throws if there is none. */
export function cacheNamed(table: CacheTable, name: string): CacheSpec {
  const spec = table.caches.find((c) => c.name === name);
  if (!spec) throw new RangeError(`no cache named '${name}' (known: ${table.caches.map((c) => c.name).join(', ')})`);
  return spec;
}

/** The guest-uses caches, in index order (owner by owner), optionally only those of owners [from, to). Cold path. */
export function guestUsesCaches(table: CacheTable, from = 0, to = Number.MAX_SAFE_INTEGER): readonly CacheSpec[] {
  return table.caches.filter((c) => c.usage === 'guest' && c.owner >= from && c.owner < to);
}
