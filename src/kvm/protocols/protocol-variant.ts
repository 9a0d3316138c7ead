/**
 * A protocol variant: one module that names the protocol steps it replaces and where each comes
 * from (DESIGN 11). `mainline` (mainline.ts) supplies every step; a variant supplies only what it
 * changes, and `resolveProtocol` (registry.ts) fills the rest from mainline. Bug switches stay one-
 * line reverts inside the steps (src/kvm/bug-switches.ts) and combine with any variant.
 *
 * Threads pick the steps once: openModelContext puts the resolved ProtocolSteps on `ctx.protocol`,
 * and the protocol's entry points (gpcCheckLocked, mmuNotifierRetryCache, gpcInvalidateStart, ...)
 * dispatch through it, so their callers never change. One variant per run: every call site stays
 * monomorphic. The hot steps take and return numbers and allocate nothing, like the code they
 * replace; memslotUpdate is the main thread's control plane (cold, async).
 */
import type { MemslotOp } from '../../mem/memslot-update.js';
import type { MemslotSwapStats } from '../swap-memslots.js';
import type { ModelContext } from '../model-context.js';
import type { GuestRegisters } from '../guest-registers.js';

/** What the control plane gives the memslot-update step (src/stress/control-plane.ts). */
export interface MemslotUpdateHooks {
  /** synchronize_srcu gives up (the update then completes without the drain) when this says the run is over. */
  readonly shouldGiveUp: () => boolean;
  /** Runs once the old copy's readers drained after the update's last swap, before the vCPUs are kicked (a DELETE retires its old window here); null: nothing. */
  readonly afterDrain: (() => void) | null;
  /** Where the updater counts its swaps and its waits for in-flight invalidations (the report's memslot counters). */
  readonly stats: MemslotSwapStats;
  /** The updater's wait for in-flight invalidations longer than this (ms) is a livelock finding ("updater-starved"); default 2000. */
  readonly starvedAfterMs?: number;
}

/** One typed function per replaceable step of the protocol. */
export interface ProtocolSteps {
  /**
   * mmu_notifier_retry_cache: must hva_to_pfn_retry try again? Called under the cache's write
   * lock with the seq snapshot taken before the lock was dropped; `gfn` is the guest-RAM file page
   * the refresh resolves, `vpage` its host virtual page, `g` the cache. Mainline: src/kvm/mmu-retry.ts.
   */
  readonly retryPredicate: (ctx: ModelContext, seqSnapshot: number, gfn: number, vpage: number, g: number) => boolean;
  /**
   * gfn_to_pfn_cache_invalidate_start: the gpc's MMU-notifier hook for uhvas in [start, end), after
   * the count was raised and before the mm changes anything; clears what overlaps and collects
   * guest-uses vCPUs in ctx.evictList. Mainline: src/kvm/gpc-invalidate.ts.
   */
  readonly invalidationHook: (ctx: ModelContext, start: number, end: number) => void;
  /** kvm_gpc_check under the cache's read (or write) lock; no side effects. Mainline: src/kvm/gpc.ts. */
  readonly check: (ctx: ModelContext, g: number, gpa: number, len: number) => boolean;
  /**
   * hva_to_pfn inside hva_to_pfn_retry, with no gpc lock held: the pfn of host virtual page
   * `vpage` (setting ctx.lastFaultEpoch), or a negative errno. The pfn comes with one page
   * reference taken for the caller (GUP's), which hva_to_pfn_retry puts (kvm_release_page_unused on
   * a retry, kvm_release_page_clean at install). Mainline: src/kvm/host-fault.ts.
   */
  readonly resolvePfn: (ctx: ModelContext, vpage: number) => number;
  /**
   * The request bits an invalidation's eviction of a guest-uses vCPU carries (0: none).
   * Mainline (src/kvm/mmu-notifier.ts): the entry strategy's (ctx.evictionRequest).
   */
  readonly evictionRequest: (ctx: ModelContext) => number;
  /**
   * kvm_set_memory_region + kvm_set_memslot on the main thread, under slots_lock: check the change
   * (0, or -EINVAL / -EEXIST with nothing published), then its swaps (each: wait for in-flight
   * invalidations, publish, synchronize_srcu, kvm_arch_memslots_updated, final generation).
   * Mainline: src/kvm/set-memslot.ts.
   */
  readonly memslotUpdate: (main: ModelContext, op: MemslotOp, hooks: MemslotUpdateHooks) => Promise<number>;
  /**
   * The read lock of gpc lock word `lock` in hard-irq context (kvm_xen_set_evtchn_fast from the
   * Xen timer or irqfd_wakeup): true if it is held on return; false means "treat the cache as
   * invalid" (the fast path returns -EWOULDBLOCK and the event is deferred). Mainline
   * (src/kvm/users/xen-evtchn.ts): read_lock_irqsave, which blocks and always returns true.
   */
  readonly irqReadLock: (ctx: ModelContext, lock: number) => boolean;
  /**
   * The vmentry check of a vCPU's guest-uses registers (as EntryStrategy.check,
   * src/kvm/strategies/). Optional: mainline has none of its own (the run's `--strategy` gives
   * it); a variant that replaces it overrides the strategy's check in every vCPU (openVcpuState).
   */
  readonly entryCheck?: (ctx: ModelContext, gr: GuestRegisters) => boolean;
  /**
   * What vcpu_enter_guest does with a KVM_REQ_GPC_INVALIDATE it takes (outside guest mode, SRCU
   * held). Optional: mainline (src/kvm/vcpu-entry.ts) reloads the guest-uses pages
   * (nested_get_vmcs12_pages, as for KVM_REQ_GET_NESTED_STATE_PAGES); the 2021 RFC does nothing
   * ("It just wanted to wake us") and leaves the reload to its entry check.
   */
  readonly gpcInvalidateRequest?: (ctx: ModelContext, gr: GuestRegisters) => void;
  /**
   * KVM's own accesses to the nested guest-uses pages outside guest mode, once per entry after the
   * requests and before IN_GUEST_MODE (kvm_check_and_inject_events -> check_events ->
   * vmx_complete_nested_posted_interrupt; kvm_vcpu_has_events -> has_events). Optional: mainline
   * has no nested gpcs, so none (the hardware alone uses the pages).
   */
  readonly nestedHostAccess?: (ctx: ModelContext, gr: GuestRegisters) => void;
  /**
   * After a guest-mode exit, in the exit handler: now and then L2 exits to L1 (nested_vmx_vmexit)
   * and L1 resumes it (VMLAUNCH/VMRESUME -> nested_vmx_enter_non_root_mode ->
   * nested_get_vmcs12_pages). Optional: mainline's model keeps L2 running (no L1 exits).
   */
  readonly nestedVmexit?: (ctx: ModelContext, gr: GuestRegisters) => void;
  /**
   * kvm_mmu_notifier_invalidate_range_start, under mn_invalidate_lock right after
   * mn_active_invalidate_count++ (`firstCount`: the count is now 1): the variant records the
   * invalidated uhva range [start, end) (bytes). Optional: mainline keeps no range (src/kvm/mmu-notifier.ts).
   */
  readonly rangeStartLocked?: (ctx: ModelContext, start: number, end: number, firstCount: boolean) => void;
  /**
   * kvm_mmu_notifier_invalidate_range_end, after kvm_handle_hva_range and before the count is
   * dropped: a gpc hook run at the end of the invalidation (its page change is done) for uhvas in
   * [start, end). Optional: mainline invalidates the caches at range_start only (invalidationHook).
   */
  readonly invalidationHookAtEnd?: (ctx: ModelContext, start: number, end: number) => void;
  /**
   * kvm_mmu_notifier_invalidate_range_end, after the count's 1 -> 0 transition (beside
   * rcuwait_wake_up of the memslot updater). Optional: mainline wakes only the updater.
   */
  readonly countZeroWake?: (ctx: ModelContext) => void;
  /**
   * hva_to_pfn_retry, each round, under the write lock just before it is dropped to resolve the
   * pfn of cache `g`. Optional: mainline only snapshots the seq there (src/kvm/gpc-refresh.ts).
   */
  readonly retryBeforeUnlock?: (ctx: ModelContext, g: number) => void;
  /**
   * hva_to_pfn_retry, each round, after hva_to_pfn and the map, before the write lock is taken
   * again (no gpc lock held). Optional: mainline relocks at once.
   */
  readonly retryBeforeRelock?: (ctx: ModelContext, g: number) => void;
}

export type ProtocolStepName = keyof ProtocolSteps;

/** The optional steps: mainline supplies none of them (a resolved variant has each only if it supplies it). */
export const OPTIONAL_STEP_NAMES: readonly ProtocolStepName[] = [
  'entryCheck',
  'gpcInvalidateRequest',
  'nestedHostAccess',
  'nestedVmexit',
  'rangeStartLocked',
  'invalidationHookAtEnd',
  'countZeroWake',
  'retryBeforeUnlock',
  'retryBeforeRelock',
];

/** Steps mainline supplies and every resolved variant has (the optional ones: see above). */
export const WIRED_STEP_NAMES: readonly ProtocolStepName[] = ['retryPredicate', 'invalidationHook', 'check', 'resolvePfn', 'evictionRequest', 'memslotUpdate', 'irqReadLock'];

/** Every step name, in the order listings show them: the wired ones, then the optional ones. */
export const PROTOCOL_STEP_NAMES: readonly ProtocolStepName[] = [...WIRED_STEP_NAMES, ...OPTIONAL_STEP_NAMES];

export interface ProtocolVariant {
  /** `--protocol NAME`: lower-case letters, digits and dashes. */
  readonly name: string;
  /** One line: what the variant changes. */
  readonly summary: string;
  /** Where it comes from: a commit, a message id, or 'upstream 6.17'. */
  readonly source: string;
  /** The steps it replaces (mainline: every wired step). */
  readonly steps: Partial<ProtocolSteps>;
  /** For each replaced step: the commit, message id or kernel function it models. */
  readonly stepSources: Partial<Readonly<Record<ProtocolStepName, string>>>;
  /**
   * The `--workload` names whose cache users the variant changes or needs (`gpc-lab verdicts` runs
   * the variant, and mainline beside it, with each). Absent: every workload.
   */
  readonly workloads?: readonly string[];
  /** The entry-check strategy (`--strategy`) the variant's authors chose; absent: the run's. */
  readonly defaultStrategy?: string;
  /**
   * Catalog bug switches (`--bug NAME`) that do not apply to the variant, each with why (e.g. the
   * switch reverts a fix the variant replaces). Absent: every switch applies.
   */
  readonly inapplicableBugs?: Readonly<Record<string, string>>;
  /**
   * The `--workload` names whose users' memslots the variant backs with guest_memfd (SLOT_GMEM,
   * src/mem/memslots.ts): the VM is built with those slots so, and the notifier thread then also
   * performs guest_memfd events on them (src/kvm/gmem-invalidate.ts). Absent: no guest_memfd slot.
   */
  readonly gmemBacked?: readonly string[];
}

/** A variant as listings and reports show it (`gpc-lab protocols`, the stress report). */
export interface ProtocolDescription {
  readonly name: string;
  readonly summary: string;
  readonly source: string;
  /** The steps it supplies, with their sources (mainline: all of them; a variant: what it replaces). */
  readonly steps: readonly { readonly step: ProtocolStepName; readonly source: string }[];
  /** The workloads it touches (every workload when the variant names none). */
  readonly workloads?: readonly string[];
  readonly defaultStrategy?: string;
  readonly inapplicableBugs?: Readonly<Record<string, string>>;
  readonly gmemBacked?: readonly string[];
}

export function describeProtocol(variant: ProtocolVariant): ProtocolDescription {
  return {
    name: variant.name,
    summary: variant.summary,
    source: variant.source,
    steps: PROTOCOL_STEP_NAMES.filter((s) => variant.steps[s] !== undefined).map((step) => ({ step, source: variant.stepSources[step] ?? '' })),
    ...(variant.workloads !== undefined ? { workloads: variant.workloads } : {}),
    ...(variant.defaultStrategy !== undefined ? { defaultStrategy: variant.defaultStrategy } : {}),
    ...(variant.inapplicableBugs !== undefined ? { inapplicableBugs: variant.inapplicableBugs } : {}),
    ...(variant.gmemBacked !== undefined ? { gmemBacked: variant.gmemBacked } : {}),
  };
}
