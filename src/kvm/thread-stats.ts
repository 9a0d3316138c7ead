/**
 * Per-thread counters. Each thread counts into a local Float64Array (plain adds, no Atomics, no
 * allocation) and flushes it into its line of the shared stats buffer every so often and at the
 * end, so the main thread can report even a thread that was killed (with its last flush).
 *
 *   thread t: STAT_COUNT counters x [LO HI] (value = HI * 2^32 + LO>>>0)
 *
 * Guard: lock-free; thread t is the only writer of its line (plain stores), the main thread reads
 * it after the run (or racily, for progress).
 */
import { allocateSharedInts } from '../mem/shared-buffer.js';
import { MAX_PROPERTIES } from '../trace/property.js';

export const ST_VMENTRIES = 0;
export const ST_ENTRY_CANCELS = 1;
export const ST_GUEST_STEPS = 2;
export const ST_KICK_EXITS = 3;
export const ST_REFRESHES = 4;
export const ST_REFRESH_RETRIES = 5;
/** A maximum, not a count. */
export const ST_MAX_RETRIES = 6;
export const ST_REFRESH_FAILS = 7;
/** Reader checks (kvm_gpc_check under the read lock) that passed / failed. */
export const ST_CHECKS_OK = 8;
export const ST_CHECKS_FAILED = 9;
/** vCPU evictions done (kicks with WAIT) / of those, evictions that had to wait. */
export const ST_EVICTIONS = 10;
export const ST_EVICTION_WAITS = 11;
export const ST_INVALIDATIONS = 12;
export const ST_MM_EVENTS = 13;
export const ST_PAGES_FREED = 14;
export const ST_EVENTS_SENT = 15;
export const ST_EVENTS_DROPPED = 16;
export const ST_EVENTS_CONSUMED = 17;
export const ST_POSTED = 18;
export const ST_NESTED_CONSUMED = 19;
export const ST_STEAL_WRITES = 20;
export const ST_JUGGLES = 21;
export const ST_MEMSLOT_UPDATES = 22;
export const ST_KICKS_SENT = 23;
export const ST_SLOW_PATH = 24;
/** Last steal value this vCPU wrote (a value). */
export const ST_LAST_STEAL = 25;
/** Last hardware tick this vCPU's "hardware" wrote into its vAPIC page (a value). */
export const ST_LAST_HW_TICK = 26;
export const ST_ENTRY_CHECKS = 27;
export const ST_GET_NESTED = 28;
export const ST_INVALIDATIONS_CLEARED = 29;
export const ST_WINDOW_UNMAPS = 30;
export const ST_ACTIVATIONS = 31;
export const ST_DEACTIVATIONS = 32;
/** vmentries whose guest-uses translation had an old generation but was unchanged (not stale). */
export const ST_OLD_GENERATION_ENTRIES = 33;
/** Microseconds spent in the notifier's gpc hook (gfn_to_pfn_cache_invalidate_start), summed. */
export const ST_INVAL_HOOK_US = 34;
/** Irq-context fast paths whose read_trylock failed (history B17/B18: a spurious slow-path fallback). */
export const ST_FASTPATH_TRYLOCK_FAILS = 35;
/** Events the irq-context fast path delivered (kvm_xen_set_evtchn_fast returned >= 0 in irq context). */
export const ST_EVENTS_FROM_IRQ = 36;
/** Events the irq fast path could not deliver (-EWOULDBLOCK) that process context then delivered (the irqfd work item, or the vCPU for its Xen timer). */
export const ST_EVENTS_DEFERRED = 37;
/** Deliveries whose vcpu_info check failed: the selector went to the vCPU's kernel-side copy. */
export const ST_VCPU_INFO_FALLBACKS = 38;
/** Runstate areas published (kvm_xen_update_runstate_guest ran to the end), and those written through both caches (the area crosses a page). */
export const ST_RUNSTATE_UPDATES = 39;
export const ST_RUNSTATE_SPLIT_UPDATES = 40;
/** Atomic (sched-out) runstate updates that gave up: a read_trylock failed, or a check failed (the atomic path never refreshes). */
export const ST_RUNSTATE_TRYLOCK_GIVEUPS = 41;
export const ST_RUNSTATE_CHECK_GIVEUPS = 42;
/** Runstate gpc2 check failures answered by kvm_gpc_activate(gpc2) and a retry (history B12). */
export const ST_RUNSTATE_GPC2_ACTIVATIONS = 43;
/** Xen shared_info / vcpu_info activations by the VMM by GPA (KVM_XEN_ATTR_TYPE_SHARED_INFO, _VCPU_INFO) and by HVA (_SHARED_INFO_HVA, _VCPU_INFO_HVA). */
export const ST_XEN_ATTACH_GPA = 44;
export const ST_XEN_ATTACH_HVA = 45;
/** Of the HVA attachments, those of shared_info at the overlay page (an HVA outside every memslot). */
export const ST_XEN_ATTACH_OVERLAY = 46;
/** Invalidations whose range hit no memslot (count only, no seq: kvm_handle_hva_range found no slot). */
export const ST_INVAL_OUTSIDE_MEMSLOTS = 47;
/** Refresh attempts in whose unlocked window (from the seq snapshot to the retry check) an invalidation ended (docs/UPSTREAM-SPEC.md S1's window; src/kvm/gpc-seqless-window.ts). */
export const ST_REFRESH_INVAL_IN_WINDOW = 48;
/** Of those, the ones the retry check let install (no count, no seq moved: S1 hva-seq-miss happened). */
export const ST_REFRESH_SEQLESS_INSTALLS = 49;
/** vcpu_info re-registrations at another offset in its page (KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO), and carry-overs of its bits left to a later exit (no memslot translated the page). */
export const ST_VCPU_INFO_MOVES = 50;
export const ST_VCPU_INFO_LATE_CARRIES = 51;
/** KVM's own accesses to the nested guest-uses pages through khva outside guest mode (protocols seed-2021 / griffoul-v4: check_events, has_events), and of them the ones whose khva page was not the page vmcs02 holds. */
export const ST_NESTED_HOST_ACCESSES = 52;
export const ST_NESTED_HOST_PFN_MISMATCH = 53;
/** L2 exits to L1 followed by L1's VMRESUME, which reloads vmcs02 (nested_get_vmcs12_pages; protocols seed-2021 / griffoul-v4). */
export const ST_NESTED_L1_VMEXITS = 54;
/** dwmw2-range-2024: gpc_wait_for_invalidations calls that found an invalidation covering the uhva in flight and waited. */
export const ST_GPC_INVAL_WAITS = 55;
/** dwmw2-range-2024: range_end hook clears of needs_invalidation on a cache whose refresh was in flight (valid still 0): that round retries. */
export const ST_GPC_INFLIGHT_INVALIDATIONS = 56;
/** itazuri-gmem-rfc2: guest_memfd invalidations (punch hole, conversion), each bracketed by active_invalidate_count. */
export const ST_GMEM_INVALIDATIONS = 57;
/** Oracle checks per property: ST_PROP_CHECKS + property (room for every property id). */
export const ST_PROP_CHECKS = 58;
export const STAT_COUNT = ST_PROP_CHECKS + MAX_PROPERTIES;

export function createStatsBuffer(threads: number): SharedArrayBuffer {
  return allocateSharedInts(threads * STAT_COUNT * 2);
}

/** Copies local counters into thread t's line. */
export function flushStats(shared: Int32Array, thread: number, local: Float64Array): void {
  const base = thread * STAT_COUNT * 2;
  for (let i = 0; i < STAT_COUNT; i++) {
    const v = local[i]!;
    const hi = Math.floor(v / 4294967296);
    shared[base + 2 * i] = (v - hi * 4294967296) | 0;
    shared[base + 2 * i + 1] = hi;
  }
}

/** Thread t's counter i (main thread). */
export function readStat(shared: Int32Array, thread: number, i: number): number {
  const base = thread * STAT_COUNT * 2;
  return shared[base + 2 * i + 1]! * 4294967296 + (shared[base + 2 * i]! >>> 0);
}
