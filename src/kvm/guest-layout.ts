/**
 * Where things are in one VM: the guest-physical layout (one memslot per cache user, sized by its
 * declaration in cache-users.ts, then the spare and the dummy slot), the cache table built from it,
 * and the thread indices. Pure data from the vCPU count and page size; every thread derives the
 * same layout.
 *
 *   slot u (u < users)  the region of user u (CACHE_USERS[u].pages per vCPU, or in all)
 *   slot SPARE          8 gfns, never cached: targets of unrelated invalidations
 *   slot DUMMY          1 gfn, added and deleted to bump the generation (xen_shinfo_test)
 *
 *   host windows: WINDOWS_PER_SLOT per slot, then the overlay window: OVERLAY_PAGES guest-RAM
 *   file pages after both banks, mapped at host virtual pages that no memslot ever covers (the Xen
 *   overlay page a VMM attaches shared_info at by HVA: docs/UPSTREAM-SPEC.md 4.1 and S1)
 *
 *   threads: vcpu v = v; then notifier, evtchn, juggler, main (THREAD_ROLES_AFTER_VCPUS)
 */
import { CACHE_USERS } from './cache-users.js';
import { buildCacheTable, type CacheTable } from './cache-table.js';

export const SPARE_PAGES = 8;
/** Host virtual windows per memslot (current + retiring + one free to move into). */
export const WINDOWS_PER_SLOT = 3;
/** File pages of the overlay window (memory no memslot maps). */
export const OVERLAY_PAGES = 1;
/** The thread roles after the vCPUs, in thread-index order. */
export const THREAD_ROLES_AFTER_VCPUS = ['notifier', 'evtchn', 'juggler', 'main'] as const;

export interface GuestLayout {
  readonly vcpus: number;
  readonly gfns: number;
  /** Gfns of the users' regions (slots before the spare one): [0, userGfns) may be cached. */
  readonly userGfns: number;
  /** Memslots: first gfn and pages of each. */
  readonly slotBase: readonly number[];
  readonly slotPages: readonly number[];
  readonly slots: number;
  /** The spare slot (unrelated invalidations' targets) and the dummy slot (generation bumps). */
  readonly slotSpare: number;
  readonly slotDummy: number;
  /** Slots a memslot move may re-point (every slot but the dummy one). */
  readonly movableSlots: readonly number[];
  /** Largest slot: the size of a host virtual window. */
  readonly windowPages: number;
  /** Host virtual windows: WINDOWS_PER_SLOT per slot, then the overlay window. */
  readonly windows: number;
  /** The overlay window (mapped at build, never in a memslot, never unmapped). */
  readonly overlayWindow: number;
  readonly caches: CacheTable;
  /** Number of caches (caches.caches.length). */
  readonly gpcs: number;
  readonly threadNotifier: number;
  readonly threadEvtchn: number;
  readonly threadJuggler: number;
  readonly threadMain: number;
  /** Threads with a flight-recorder ring, SRCU line and stats line (workers + main). */
  readonly threads: number;
  /** Name of each thread index ("vcpu-0", ..., "notifier", "main"). */
  readonly threadNames: readonly string[];
}

export function guestLayout(vcpus: number, pageSize = 4096): GuestLayout {
  const slotPages = [...CACHE_USERS.map((u) => (u.perVcpu ? u.pages * vcpus : u.pages)), SPARE_PAGES, 1];
  const slotBase: number[] = [];
  let next = 0;
  for (const pages of slotPages) {
    slotBase.push(next);
    next += pages;
  }
  const users = CACHE_USERS.length;
  const caches = buildCacheTable(vcpus, pageSize, slotBase.slice(0, users));
  const threadNames = [...Array.from({ length: vcpus }, (_, v) => `vcpu-${v}`), ...THREAD_ROLES_AFTER_VCPUS];
  return {
    vcpus,
    gfns: next,
    userGfns: slotBase[users]!,
    slotBase,
    slotPages,
    slots: slotPages.length,
    slotSpare: users,
    slotDummy: users + 1,
    movableSlots: slotPages.map((_, s) => s).filter((s) => s !== users + 1),
    windowPages: Math.max(...slotPages),
    windows: slotPages.length * WINDOWS_PER_SLOT + 1,
    overlayWindow: slotPages.length * WINDOWS_PER_SLOT,
    caches,
    gpcs: caches.caches.length,
    threadNotifier: vcpus,
    threadEvtchn: vcpus + 1,
    threadJuggler: vcpus + 2,
    threadMain: vcpus + 3,
    threads: vcpus + THREAD_ROLES_AFTER_VCPUS.length,
    threadNames,
  };
}

/** Spare page i (never cached) as a gfn. */
export function spareGfn(layout: GuestLayout, i: number): number {
  return layout.slotBase[layout.slotSpare]! + i;
}

/** "vcpu-0", "notifier", ...; "thread-<t>" for an index outside the layout. */
export function threadName(layout: GuestLayout, t: number): string {
  return layout.threadNames[t] ?? `thread-${t}`;
}
