/**
 * The catalog of injectable bugs (DESIGN 7, issue 4): each historical bug of the gfn_to_pfn_cache
 * (history file, section B) or flaw of the seed discussion, as a bug switch (src/kvm/bug-switches.ts)
 * that reverts one fix at the place where the fix lives, with its source, what goes wrong, which
 * general property should catch it, and the workload that gives it a chance to happen.
 *
 * The workload is part of the experiment, not of the detection: a switch in refresh needs
 * refreshes, a switch in activate needs a juggler. The oracles never see this file.
 */
import type { StressOptions } from '../stress/stress-config.js';

/** What a catalog entry is expected to produce. */
export type BugKind =
  /** a safety property must fire */
  | 'safety'
  /** a liveness property (stall, livelock) must fire */
  | 'liveness'
  /** no finding: a cost, shown as fast-path fallbacks and invalidation time against the reference */
  | 'cost';

export interface BugEntry {
  /** The name `gpc-lab campaign --bug` takes (the switch's name, or a workload's name for B20). */
  readonly name: string;
  /** The bug switch it turns on; '' for a workload run on the reference protocol (B20). */
  readonly switchName: string;
  /** History entry (pfncache-history.md section B) or 'seed'/'model'. */
  readonly history: string;
  /** Commit or seed line whose fix the switch reverts. */
  readonly source: string;
  /** What goes wrong, in KVM terms. */
  readonly wrong: string;
  readonly kind: BugKind;
  /** The properties that should catch it (any one of them counts). */
  readonly expect: readonly string[];
  /** The stress workload of each run (no --bug, duration, seed: the campaign sets those). */
  readonly stress: Omit<StressOptions, 'bug' | 'duration' | 'seed' | 'json' | 'stopOnFinding'>;
  /**
   * Seconds per attempt when only the end-of-run oracles (leaks, lock words) can see the bug: the
   * campaign repeats attempts of this length until a finding or the budget. Default: one attempt.
   */
  readonly attemptS?: number;
  /** For a workload entry: the options that cure it (run as its reference, must be clean). */
  readonly cure?: Omit<StressOptions, 'bug' | 'duration' | 'seed' | 'json' | 'stopOnFinding'>;
  /** Why its time to first finding is bounded below (a timeout, the end of an attempt), if it is. */
  readonly slowBecause?: string;
  /** Why the campaign leaves it out (no stress workload reaches it), if it does. */
  readonly notInCampaign?: string;
}

export const BUG_CATALOG: readonly BugEntry[] = [
  {
    name: 'refresh-skips-retry',
    switchName: 'refresh-skips-retry',
    history: 'B1',
    source: '58cd407ca4c6 "KVM: Fix multiple races in gfn=>pfn cache refresh" (6.0-rc1)',
    wrong: 'hva_to_pfn_retry installs the pfn without the count/seq retry: an invalidation already in flight frees that page, and readers of the valid cache use it (use-after-free)',
    kind: 'safety',
    // state-invariant: the pfn installed while the invalidation is in flight is seen as its hook returns.
    expect: ['uaf-khva', 'uaf-guest-mode', 'free-while-in-guest', 'stale-pte', 'wrong-page', 'state-invariant'],
    stress: { vcpus: 2 },
  },
  {
    name: 'refresh-valid-before-resolve',
    switchName: 'refresh-valid-before-resolve',
    history: 'B2',
    source: '58cd407ca4c6, v1 2/2 "KVM: Do not speculatively mark pfn cache valid to \'fix\' race" (20220420004859.3298837-3-seanjc@google.com)',
    wrong: 'refresh sets valid with placeholder pfn = ERR, khva = NULL, then drops the lock to resolve the pfn: a concurrent check passes and the reader dereferences NULL + offset',
    kind: 'safety',
    expect: ['state-invariant', 'events', 'records', 'uaf-khva'],
    stress: { vcpus: 2 },
  },
  {
    name: 'refresh-without-mutex',
    switchName: 'refresh-without-mutex',
    history: 'B3',
    source: '93984f19e7bc "KVM: Fully serialize gfn=>pfn cache refresh via mutex" (6.0-rc1)',
    wrong: 'two refreshes of one cache (event channel slow path, vCPU hypercalls, the juggler) run at once: one installs its pfn under the other\'s gpa, or unmaps the mapping the other installed',
    kind: 'safety',
    expect: ['wrong-page', 'state-invariant', 'uaf-khva', 'stale-pte', 'leaks', 'events'],
    stress: { vcpus: 2, workload: 'xen', juggleRate: 1000, eventRate: 20000 },
  },
  {
    name: 'activate-reinits-locks',
    switchName: 'activate-reinits-locks',
    history: 'B9',
    source: '52491a38b2c2 "KVM: Initialize gfn_to_pfn_cache locks in dedicated helper" (CVE-2022-49884)',
    wrong: 'activate runs rwlock_init on a lock that an event-channel sender holds for read: its read_unlock then underflows the fresh lock, users hang, or a writer (the notifier) gets in beside a reader',
    kind: 'safety',
    // Lost mutual exclusion shows as a reader using a page the notifier is taking away.
    expect: ['lock-sanity', 'stall', 'stale-pte', 'uaf-khva', 'state-invariant', 'events'],
    stress: { vcpus: 2, workload: 'xen', juggleRate: 2000, eventRate: 20000, stallTimeout: 0.5 },
    attemptS: 1,
    slowBecause: 'the corrupted lock makes its users hang: the watchdog reports the stall after --stall-timeout (0.5 s here); a corruption without a hang is seen by the end-of-run lock oracle when the attempt (1 s) ends',
  },
  {
    name: 'check-refresh-ignore-active',
    switchName: 'check-refresh-ignore-active',
    history: 'B10',
    source: 'ecbcf030b456 "KVM: Reject attempts to consume or refresh inactive gfn_to_pfn_cache" (CVE-2022-49882)',
    wrong: 'refresh of a deactivated cache makes it valid while it is off the notifier list, and check accepts it: invalidations miss it',
    kind: 'safety',
    expect: ['state-invariant', 'uaf-khva', 'stale-pte'],
    stress: { vcpus: 2, workload: 'xen', juggleRate: 1000 },
  },
  {
    name: 'check-ignores-generation',
    switchName: 'check-ignores-generation',
    history: 'seed',
    source: 'the seed discussion (dwmw2, 16 Nov 2021): kvm_gpc_check must compare the memslot generation',
    wrong: 'a reader uses a gpa -> uhva translation from before a completed memslot update',
    kind: 'safety',
    expect: ['stale-generation'],
    stress: { vcpus: 2, workload: 'steal', memslotRate: 200 },
  },
  {
    name: 'guest-uses-no-evict',
    switchName: 'guest-uses-no-evict',
    history: 'seed',
    source: 'the seed\'s guest_uses_pa mode (982ed0de4753): invalidating a guest-uses cache must evict its vCPU (KVM_REQ_GPC_INVALIDATE with WAIT)',
    wrong: 'the notifier clears valid but does not wait for the vCPU to leave guest mode, then frees the page the vCPU hardware is using',
    kind: 'safety',
    expect: ['free-while-in-guest', 'uaf-guest-mode', 'events', 'records'],
    stress: { vcpus: 2, workload: 'nested' },
  },
  {
    name: 'entry-check-before-mode',
    switchName: 'entry-check-before-mode',
    history: 'seed',
    source: 'the seed\'s nested_vmx_check_guest_maps(), called after vcpu->mode = IN_GUEST_MODE (dwmw2, 16 Nov 2021)',
    wrong: 'the entry check runs before the vCPU publishes IN_GUEST_MODE: an invalidation between the two clears valid and sees the vCPU outside guest mode, so nobody stops it entering with the page being freed',
    kind: 'safety',
    expect: ['free-while-in-guest', 'uaf-guest-mode', 'events', 'records'],
    stress: { vcpus: 2, workload: 'nested', invalRate: 20000 },
  },
  {
    name: 'invalidate-no-read-precheck',
    switchName: 'invalidate-no-read-precheck',
    history: 'B18',
    source: '21dadfcd665e "KVM: pfncache: check the need for invalidation under read lock first" (6.9)',
    wrong: 'every invalidation, even of unrelated pages, write-locks every cache: with the B17 trylock fast path (protocol b17-trylock) event-channel deliveries from irq fall back (read_trylock fails) and the notifier hook takes longer. A cost, not a safety bug',
    kind: 'cost',
    expect: [],
    // Only unrelated invalidations, no juggling, no memslot updates: with the fix nothing else
    // write-locks shared_info, so the reference's fast path never falls back (history D: ~0). The
    // fallbacks exist only where the irq fast path uses read_trylock: mainline 6.17 blocks
    // (read_lock_irqsave), so the entry runs on the B17 patch, protocol b17-trylock.
    stress: { vcpus: 2, workload: 'steal,xen', invalidate: 'unrelated', protocol: 'b17-trylock', inflight: 2, invalRate: 50000, eventRate: 50000, juggleRate: 0, memslotRate: 0 },
  },
  {
    name: 'unrelated-invalidation-livelock',
    switchName: '',
    history: 'B20',
    source: 'open upstream (6.17): dwmw2\'s livelock series (20240821202814.711673-1-dwmw2@infradead.org) and Sean Christopherson\'s counter-proposal (Zw8DINUkJJKDByXE@google.com)',
    wrong: 'with invalidations of unrelated pages always in flight, mn_active_invalidate_count never reaches 0 and every refresh retries forever (the reference protocol, --protocol mainline)',
    kind: 'liveness',
    expect: ['livelock'],
    // xen: the juggler's re-activations of shared_info refresh. With the count never 0, the memslot
    // updater waits forever too (kvm_swap_active_memslots), so memslot updates trigger no refresh.
    stress: { vcpus: 2, workload: 'steal,xen', invalidate: 'unrelated', inflight: 2, livelockTimeout: 0.3 },
    // The memslot updater still starves under this workload on the cure too (range-retry does not
    // change kvm_swap_active_memslots' wait for the count): a livelock "updater-starved" finding
    // after --updater-timeout, which is not what this cure is about, so its bound is lifted here.
    cure: { vcpus: 2, workload: 'steal,xen', invalidate: 'unrelated', inflight: 2, livelockTimeout: 0.3, protocol: 'range-retry', updaterTimeout: 3600 },
    slowBecause: 'a livelock is a refresh still retrying after --livelock-timeout (0.3 s here), sampled every 100 ms',
  },
  {
    name: 'invalidate-skips-clear',
    switchName: 'invalidate-skips-clear',
    history: 'model',
    source: 'gfn_to_pfn_cache_invalidate_start clearing valid (982ed0de4753)',
    wrong: 'the notifier hook does not clear valid: the cache keeps a pfn the mm frees',
    kind: 'safety',
    // state-invariant: the notifier's check as the hook returns (the cache still valid in its range).
    expect: ['state-invariant', 'uaf-khva', 'stale-pte', 'uaf-guest-mode', 'free-while-in-guest', 'events', 'records'],
    stress: { vcpus: 2 },
  },
  {
    name: 'khva-keeps-old-offset',
    switchName: 'khva-keeps-old-offset',
    history: 'B11',
    source: '8332f0ed4f18 "KVM: Update gfn_to_pfn_cache khva when it moves within the same page" (6.1-rc7)',
    wrong: 'a refresh to another offset in the same page keeps the old khva offset: the guest re-registers its vcpu_info elsewhere in the page (KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO), and event deliveries still write evtchn_pending_sel at the old offset, where the guest no longer looks',
    kind: 'safety',
    // state-invariant: the next delivery through vcpu_info sees khva's offset differ from the gpa's;
    // events: at the end, the selector bits are where the guest does not look.
    expect: ['state-invariant', 'events'],
    // The juggler asks a vCPU to re-register its vcpu_info at another offset every 4th turn (250/s
    // here); the vCPU does it at its next exit (src/kvm/users/xen-vcpu-info-move.ts).
    stress: { vcpus: 2, workload: 'xen', juggleRate: 1000 },
  },
  {
    name: 'deactivate-skips-unmap',
    switchName: 'deactivate-skips-unmap',
    history: 'model',
    source: 'kvm_gpc_deactivate unmapping the old khva outside the locks',
    wrong: 'deactivate forgets to unmap the old kernel mapping (a kmap leak)',
    kind: 'safety',
    expect: ['leaks'],
    stress: { vcpus: 2, workload: 'xen' },
    attemptS: 0.5,
    slowBecause: 'leaks are counted by the end-of-run oracle: each attempt must end first',
  },
  {
    name: 'refresh-leaks-lock-on-error',
    switchName: 'refresh-leaks-lock-on-error',
    history: 'B15',
    source: '6addfcf27139 "KVM: pfncache: simplify locking and make more self-contained" (the missed unlock Sean found, fixed with guard(mutex))',
    wrong: 'a failed refresh returns with refreshLock held: the next refresh, activate or deactivate of that cache hangs',
    kind: 'liveness',
    expect: ['stall'],
    stress: { vcpus: 2, workload: 'xen', stallTimeout: 0.5 },
    slowBecause: 'a stall is no progress for --stall-timeout (0.5 s here)',
  },
  {
    name: 'activate-nests-list-lock',
    switchName: 'activate-nests-list-lock',
    history: 'model',
    source: 'the lock order vm.gpcLock -> gpc.lock of the notifier (docs/LOCKING.md)',
    wrong: 'activate takes vm.gpcLock inside gpc.lock, the notifier the other way round (an ABBA deadlock)',
    kind: 'safety',
    expect: ['lock-sanity', 'stall'],
    stress: { vcpus: 2, workload: 'xen', lockdep: true, stallTimeout: 1 },
    attemptS: 0.5,
    slowBecause: 'lockdep-lite records the inverted order in its graph; the report turns it into a finding when the attempt (0.5 s) ends (or the watchdog sees the deadlock)',
  },
  {
    name: 'refresh-reuse-leaks-ref',
    switchName: 'refresh-reuse-leaks-ref',
    history: 'B4',
    source: '3dddf65b4f4c "KVM: Put the extra pfn reference when reusing a pfn in the gpc cache" (6.0-rc1)',
    wrong: 'an invalidation clears valid without moving the page (a write-protect), the next refresh gets the same pfn back from hva_to_pfn, reuses the old khva and keeps the page reference GUP took: the page is pinned forever (a leak)',
    kind: 'safety',
    expect: ['leaks'],
    // The default mix has write-protects, whose refreshes get the same pfn back.
    stress: { vcpus: 2 },
    attemptS: 0.5,
    slowBecause: 'a leaked reference is seen by the end-of-run oracle (each page\'s count against its holders): each attempt must end first',
  },
  {
    name: 'refresh-error-puts-old-page',
    switchName: 'refresh-error-puts-old-page',
    history: 'B5',
    source: '79593c086eb9 "KVM: avoid double put_page with gfn-to-pfn cache" (5.18-rc1)',
    wrong: 'a memslot update leaves the cache\'s gpa without a uhva; the refresh\'s error path puts the old page, a reference the cache does not hold (since B6 it holds none): the page is freed while its file still maps it, and the mm\'s own put later finds no reference (a double put, use-after-free)',
    kind: 'safety',
    expect: ['leaks', 'uaf-khva', 'records'],
    // DELETE/CREATE (kvm_set_memslot, docs/UPSTREAM-SPEC.md 3.3) leaves a steal-time gpa in an
    // INVALID slot, then in none, until the CREATE: a refresh then meets an error hva (B5's path).
    stress: { vcpus: 2, workload: 'steal', memslotOps: 'delete-create', memslotRate: 200 },
  },
  {
    name: 'invalidate-end-leaks-count',
    switchName: 'invalidate-end-leaks-count',
    history: 'model',
    source: 'invalidate_range_end lowering mn_active_invalidate_count',
    wrong: 'an invalidation never lowers the count: every later refresh retries forever',
    kind: 'liveness',
    expect: ['livelock', 'stall'],
    stress: { vcpus: 2, workload: 'steal', livelockTimeout: 0.3, stallTimeout: 1 },
    slowBecause: 'a livelock is a refresh still retrying after --livelock-timeout (0.3 s here)',
  },
  {
    name: 'runstate-lock-order',
    switchName: 'runstate-lock-order',
    history: 'B12',
    source: '23e60258aeaf "KVM: x86/xen: Fix lockdep warning on \'recursive\' gpc locking" (6.2-rc4): gpc1 (lock_set_subclass 1) before gpc2',
    wrong: 'the runstate update of an area whose update byte is on the second page takes gpc2 before gpc1, the others gpc1 before gpc2: two orders of the two gpc locks (an ABBA once writers queue on both)',
    kind: 'safety',
    expect: ['lock-sanity'],
    stress: { vcpus: 4, workload: 'runstate', lockdep: true, stallTimeout: 1 },
    attemptS: 0.5,
    slowBecause: 'lockdep-lite records the inverted subclass order in its graph; the report turns it into a finding when the attempt (0.5 s) ends',
  },
  {
    name: 'gmem-skips-gpc-invalidation',
    switchName: 'gmem-skips-gpc-invalidation',
    history: 'B21',
    source: 'Takahiro Itazuri RFC v2 7/7 "KVM: pfncache: Invalidate on gmem invalidation and memattr updates" (20260226135309.29493-8-itazur@amazon.com); without it, RFC v1 (20251203144159.6131-*-itazur@amazon.com)',
    wrong: 'a guest_memfd punch hole or private/shared conversion takes the page away without the MMU notifier, and nothing else invalidates the caches: they stay valid on a page the guest_memfd freed (stale mapping, use-after-free)',
    kind: 'safety',
    // state-invariant: the check as the guest_memfd hook would have returned (the cache still valid on the range).
    expect: ['state-invariant', 'uaf-khva', 'stale-pte', 'wrong-page', 'events', 'records', 'lost-write'],
    // Only the itazuri-gmem-rfc2 protocol has guest_memfd slots (and so guest_memfd events).
    stress: { vcpus: 2, workload: 'steal,xen', protocol: 'itazuri-gmem-rfc2' },
  },
];

/** The entry called `name` (or whose switch has that alias). Cold path. */
export function findBugEntry(name: string, aliasOf: (name: string) => string | undefined): BugEntry | undefined {
  return BUG_CATALOG.find((e) => e.name === name) ?? BUG_CATALOG.find((e) => e.switchName !== '' && e.switchName === aliasOf(name));
}
