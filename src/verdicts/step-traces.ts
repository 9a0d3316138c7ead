/**
 * Which trace steps (src/trace/trace-steps.ts names) each replaceable protocol step decides: how
 * `gpc-lab verdicts` finds the variant step that allowed a finding from its racing steps. A step a
 * variant adds to ProtocolSteps gets one line here (its kernel function in the comment); a step with
 * no line is still listed as replaced, and a finding is then reported as "not traced to a step".
 * Cold path (report building only).
 */
const STEP_TRACES: Readonly<Record<string, readonly string[]>> = {
  // mmu_notifier_retry_cache() in hva_to_pfn_retry(): retry, or install.
  retryPredicate: ['refresh-retry', 'refresh-install', 'refresh-install-after-invalidation-in-window'],
  // gfn_to_pfn_cache_invalidate_start(): what it clears, whom it evicts.
  invalidationHook: ['invalidate-start', 'invalidate-clear', 'evict-vcpu', 'vcpu-evicted'],
  // kvm_gpc_check(): a passing check is the access it lets through; a failing one starts the refresh.
  check: ['khva-access', 'event-sent', 'refresh-start', 'vcpu_info-moved-in-page'],
  // hva_to_pfn(): the pfn it resolved.
  resolvePfn: ['refresh-faulted-in'],
  // The eviction's request bits: the vCPU's exit and the requests it handles.
  evictionRequest: ['evict-vcpu', 'vcpu-evicted', 'vcpu-exit', 'handle-requests', 'entry-cancel'],
  // kvm_set_memory_region() / kvm_set_memslot().
  memslotUpdate: ['memslot-publish', 'memslot-srcu-drained', 'memslot-wait-invalidations', 'memslot-generation-final', 'memslot-delete-returned'],
  // kvm_xen_set_evtchn_fast()'s lock in irq context: the event it sent or deferred.
  irqReadLock: ['event-sent', 'event-dropped'],
  // The vmentry check of the guest-uses registers.
  entryCheck: ['vcpu-enter', 'entry-check-fail', 'entry-cancel', 'hw-load-pfn', 'guest-run'],
  // The seed RFC's KVM_REQ_GPC_INVALIDATE handler (seed-2021): it re-validates the vCPU's caches at its requests.
  gpcInvalidateRequest: ['handle-requests', 'hw-load-pfn', 'refresh-start', 'refresh-install'],
  // KVM's own reads of a nested page through khva (nested_lock_vapic / nested_lock_pi_desc in has_events, check_events, vmx_complete_nested_posted_interrupt).
  nestedHostAccess: ['nested-host-access', 'refresh-start', 'refresh-retry', 'refresh-install'],
  // A nested VM-exit to L1 and L1's VMRESUME (nested_vmx_vmexit, nested_get_vmcs12_pages).
  nestedVmexit: ['nested-vmexit-to-L1+vmresume', 'hw-load-pfn'],
  // dwmw2-range-2024 (v3 1-4/5): the range recorded at invalidate_range_start.
  rangeStartLocked: ['invalidate-start'],
  // The gpc hook at invalidate_range_end: the mm's change (and a free) happen before it clears.
  invalidationHookAtEnd: ['invalidate-end', 'invalidate-clear', 'mm-change', 'page-free'],
  // The wake of refreshes waiting in gpc_wait_for_invalidations at the count's 1 -> 0.
  countZeroWake: ['invalidate-end'],
  // hva_to_pfn_retry before it drops the lock (needs_invalidation set) and before it relocks (the wait).
  retryBeforeUnlock: ['refresh-drop-lock', 'refresh-retry'],
  retryBeforeRelock: ['refresh-faulted-in', 'refresh-retry', 'refresh-install'],
};

/** The trace step names `step` decides (empty for a step with no line above). */
export function traceStepsOf(step: string): readonly string[] {
  return STEP_TRACES[step] ?? [];
}

/** Whether trace step `traceStep` (a full name such as "refresh-install(valid=1)") is one `step` decides. */
export function decides(step: string, traceStep: string): boolean {
  return traceStepsOf(step).some((prefix) => traceStep === prefix || traceStep.startsWith(`${prefix}(`) || traceStep.startsWith(`${prefix} `));
}
