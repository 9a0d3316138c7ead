/**
 * The VM buffer: run configuration (read-only once threads start), the gpc-list lock, and the
 * MMU-notifier counters.
 *
 *   line 0   config: NVCPUS NGPCS STRATEGY BUG_MASK PAGE_SHIFT ORACLES TRACE_DEPTH THREADS
 *                    WORKLOAD GUEST_STEPS SEED EVENT_PERMILLE STEAL_PERMILLE POST_PERMILLE
 *                    PROTOCOL INVAL_TARGETS
 *   line 1   config, continued: EVICTION_REQUEST XEN_ATTACH FIX_MASK
 *   line 2   GPC_LOCK (spinlock block, class vm.gpcLock): protects every gpc's ON_LIST
 *   line 3   MN_ACTIVE_INVALIDATE_COUNT | MMU_INVALIDATE_SEQ | RANGE_OVERFLOW | MMU_INVALIDATE_IN_PROGRESS
 *            | INVALIDATIONS_ENDED (a model instrument, no kernel counterpart)
 *   lines 4+ in-flight invalidation ranges, and the ring of ended ones (src/kvm/inval-ranges.ts;
 *            only read by the range-retry protocol's predicate, history B20)
 *   then     MN_INVALIDATE_LOCK (spinlock block, class vm.mnInvalidateLock)
 *   then     MN_UPDATER_WAITING | MN_UPDATER_WAKE (the mn_memslots_update_rcuwait stand-in)
 *            | GPC_INVAL_RANGE_START | GPC_INVAL_RANGE_END | GPC_INVALIDATE_WQ (dwmw2-range-2024 only)
 *
 * Config slots: Guard: written once by the main thread before any worker starts | Readers: all.
 */
import { CACHE_LINE_INTS, allocateSharedInts } from '../mem/shared-buffer.js';
import { CACHE_USERS, USER_NESTED_VMX, USER_STEAL_TIME, USER_XEN_RUNSTATE, USER_XEN_SHINFO, workloadBit } from './cache-users.js';
import { spinLockInit } from '../sync/spinlock.js';
import { LockClass } from '../sync/lock-classes.js';

export const VM_NVCPUS = 0;
export const VM_NGPCS = 1;
/** The entry-check strategy's id (src/kvm/strategies/registry.ts). */
export const VM_STRATEGY = 2;
/** Bug switches (bug-switches.ts). */
export const VM_BUG_MASK = 3;
export const VM_PAGE_SHIFT = 4;
/** 1: oracles on (default); 0: off, to measure what they cost. */
export const VM_ORACLES = 5;
export const VM_TRACE_DEPTH = 6;
export const VM_THREADS = 7;
/** Workload bits (WORKLOAD_*). */
export const VM_WORKLOAD = 8;
/** Upper bound of guest steps per vmentry. */
export const VM_GUEST_STEPS = 9;
export const VM_SEED = 10;
/** Per mille of exits that are an EVTCHNOP_send hypercall. */
export const VM_EVENT_PERMILLE = 11;
/** Per mille of loop iterations that raise STEAL_UPDATE (a sched-in). */
export const VM_STEAL_PERMILLE = 12;
/** Per mille of guest steps that post a nested interrupt to another vCPU. */
export const VM_POST_PERMILLE = 13;

/** The protocol variant's id (its index in src/kvm/protocols/registry.ts, then the run's extras); 0 = mainline. */
export const VM_PROTOCOL = 14;
/** What the notifier invalidates: INVAL_MIXED (cached and spare pages, paced) or INVAL_UNRELATED (spare pages only, always in flight). */
export const VM_INVAL_TARGETS = 15;
/** Request bits an invalidation's eviction of a guest-uses vCPU carries: the strategy's evictionRequest. */
export const VM_EVICTION_REQUEST = CACHE_LINE_INTS;
/** How the VMM attaches the Xen shared_info and vcpu_info caches: XEN_ATTACH_* (src/kvm/users/xen-attach.ts). */
export const VM_XEN_ATTACH = CACHE_LINE_INTS + 1;
/** Fix switches (src/kvm/fix-switches.ts): would-be upstream fixes, 0 = mainline as merged. */
export const VM_FIX_MASK = CACHE_LINE_INTS + 2;

export const INVAL_MIXED = 0;
export const INVAL_UNRELATED = 1;
export const INVAL_TARGET_NAMES = ['mixed', 'unrelated'] as const;
export type InvalTargetName = (typeof INVAL_TARGET_NAMES)[number];

/** spin_lock(&kvm->gpc_lock). */
export const VM_GPC_LOCK = 2 * CACHE_LINE_INTS;

/**
 * kvm->mn_active_invalidate_count. Guard: lock-free; raised before the gpc hook takes any gpc lock,
 * lowered only after MMU_INVALIDATE_SEQ moved (pairs with the retry predicate's loads) |
 * Writers: the notifier | Readers: hva_to_pfn_retry, oracles, stall dumps.
 */
export const VM_MN_COUNT = 3 * CACHE_LINE_INTS;
/** kvm->mmu_invalidate_seq (only goes up, wraps at 2^32: compared with !==). Guard/Writers/Readers: as VM_MN_COUNT. */
export const VM_MMU_SEQ = 3 * CACHE_LINE_INTS + 1;
/** Invalidations in flight without an in-flight range slot (src/kvm/inval-ranges.ts). Guard: lock-free Atomics.add/sub | Writers: the notifier | Readers: the range-aware retry. */
export const VM_RANGE_OVERFLOW = 3 * CACHE_LINE_INTS + 2;

/**
 * kvm->mmu_invalidate_in_progress: raised (kvm_mmu_invalidate_begin) and lowered
 * (kvm_mmu_invalidate_end) only by invalidations whose host virtual range overlaps a slot of the
 * active memslots. Guard: lock-free Atomics.add/sub (upstream: mmu_lock for write) | Writers: the
 * notifier | Readers: stall dumps, tests. Mainline's retry does not read it (pfncache.c's comment:
 * the gpc hook runs before it is raised).
 */
export const VM_MMU_IN_PROGRESS = 3 * CACHE_LINE_INTS + 3;

/**
 * Invalidations that reached range_end (counted at its start, after the mm change and before any
 * seq++ or count--), over the run: a model instrument with no kernel
 * counterpart, read by the refresh to see whether an invalidation ended inside its unlocked window
 * (docs/UPSTREAM-SPEC.md S1; src/kvm/gpc-seqless-window.ts). Only goes up (wraps: compared as an
 * int32 difference). Guard: lock-free Atomics.add | Writers: the notifier | Readers:
 * hva_to_pfn_retry.
 */
export const VM_INVALIDATIONS_ENDED = 3 * CACHE_LINE_INTS + 4;

/** First int of the invalidation-range tables (src/kvm/inval-ranges.ts owns their layout). */
export const VM_RANGES_BASE = 4 * CACHE_LINE_INTS;
/** In-flight range slots, and ended-range ring entries (a power of two). */
export const VM_RANGE_SLOTS = 16;
export const VM_ENDED_RING = 64;
export const VM_RANGE_INTS = 4;

const VM_RANGES_END = VM_RANGES_BASE + (VM_RANGE_SLOTS + VM_ENDED_RING) * VM_RANGE_INTS;

/**
 * spin_lock(&kvm->mn_invalidate_lock) (spinlock block, class vm.mnInvalidateLock): guards every
 * change of VM_MN_COUNT, and the memslot updater's "count == 0, then publish" (so an invalidation's
 * start and end see the same memslots). Takers: the notifier (count++ at start, count-- at end),
 * the main thread's memslot swap (with spinTryLock only: the main thread never blocks).
 */
export const VM_MN_INVALIDATE_LOCK = Math.ceil(VM_RANGES_END / CACHE_LINE_INTS) * CACHE_LINE_INTS;
/**
 * kvm->mn_memslots_update_rcuwait's task: 1 while the memslot updater waits for VM_MN_COUNT to
 * reach 0. Guard: VM_MN_INVALIDATE_LOCK | Writers: the updater (prepare_to_rcuwait /
 * finish_rcuwait) | Readers: invalidate_range_end's 1 -> 0 transition (rcuwait_wake_up).
 */
export const VM_MN_UPDATER_WAITING = VM_MN_INVALIDATE_LOCK + CACHE_LINE_INTS;
/** The wake word: bumped and notified by rcuwait_wake_up. Guard: lock-free | Writers: the notifier | Readers: the updater (Atomics.waitAsync). */
export const VM_MN_UPDATER_WAKE = VM_MN_UPDATER_WAITING + 1;

/**
 * dwmw2's range record (dwmw2-range-2024, v3 2/5: kvm->mmu_gpc_invalidate_range_start / _end):
 * the smallest uhva range [START, END) (bytes) holding every invalidation in flight since the count
 * was last 0. Guard: VM_MN_INVALIDATE_LOCK | Writers: the notifier at range_start (only with that
 * variant) | Readers: refreshers' gpc_wait_for_invalidations (under the lock). Unused by mainline.
 */
export const VM_GPC_INVAL_RANGE_START = VM_MN_UPDATER_WAITING + 2;
export const VM_GPC_INVAL_RANGE_END = VM_MN_UPDATER_WAITING + 3;
/** kvm->gpc_invalidate_wq's wake word (v3 3/5): bumped and notified at the count's 1 -> 0. Guard: lock-free | Writers: the notifier | Readers: refreshers waiting (Atomics.wait). */
export const VM_GPC_INVALIDATE_WQ = VM_MN_UPDATER_WAITING + 4;

export const VM_INTS = VM_MN_UPDATER_WAITING + CACHE_LINE_INTS;

/** Workload bits: one per cache user (src/kvm/cache-users.ts), for the hot paths' tests. */
export const WORKLOAD_XEN = workloadBit(USER_XEN_SHINFO);
export const WORKLOAD_STEAL = workloadBit(USER_STEAL_TIME);
export const WORKLOAD_NESTED = workloadBit(USER_NESTED_VMX);
export const WORKLOAD_RUNSTATE = workloadBit(USER_XEN_RUNSTATE);
export const WORKLOAD_ALL = (1 << CACHE_USERS.length) - 1;


/** A zeroed VM buffer with its gpc-list and mn_invalidate locks initialized. Cold path. */
export function createVmBuffer(): SharedArrayBuffer {
  const buffer = allocateSharedInts(VM_INTS);
  spinLockInit(new Int32Array(buffer), VM_GPC_LOCK, LockClass.VM_GPC_LOCK);
  spinLockInit(new Int32Array(buffer), VM_MN_INVALIDATE_LOCK, LockClass.VM_MN_INVALIDATE_LOCK);
  return buffer;
}
