/**
 * `mainline`: the reference protocol, upstream virt/kvm/pfncache.c as of 6.17 plus the guest-uses
 * mode (DESIGN 5). It supplies every wired step (the functions stay where the protocol map in
 * docs/MODEL.md puts them); every other variant is mainline with some steps replaced.
 */
import { mainlineGpcCheckLocked } from '../gpc.js';
import { mainlineGpcInvalidateStart } from '../gpc-invalidate.js';
import { hostFaultInWithEpoch } from '../host-fault.js';
import { mainlineEvictionRequest } from '../mmu-notifier.js';
import { mainlineRetryCache } from '../mmu-retry.js';
import { kvmSetMemslot } from '../set-memslot.js';
import { mainlineIrqReadLock } from '../users/xen-evtchn.js';
import type { ProtocolVariant } from './protocol-variant.js';

export const MAINLINE: ProtocolVariant = {
  name: 'mainline',
  summary: "upstream's gfn_to_pfn_cache (the reference): retry while any invalidation is in flight or the seq moved",
  source: 'upstream 6.17 (virt/kvm/pfncache.c)',
  steps: {
    retryPredicate: mainlineRetryCache,
    invalidationHook: mainlineGpcInvalidateStart,
    check: mainlineGpcCheckLocked,
    resolvePfn: hostFaultInWithEpoch,
    evictionRequest: mainlineEvictionRequest,
    memslotUpdate: kvmSetMemslot,
    irqReadLock: mainlineIrqReadLock,
  },
  stepSources: {
    retryPredicate: 'mmu_notifier_retry_cache(): count != 0 or seq moved (58cd407ca4c6)',
    invalidationHook: 'gfn_to_pfn_cache_invalidate_start(), read-lock pre-check first (21dadfcd665e)',
    check: 'kvm_gpc_check(): active, gpa, memslots generation, uhva, valid (ecbcf030b456)',
    resolvePfn: 'hva_to_pfn() in hva_to_pfn_retry(): GUP-fast, else a write fault',
    evictionRequest: "the entry strategy's request: KVM_REQ_OUTSIDE_GUEST_MODE with WAIT (GPC_INVALIDATE with generation, 5.17)",
    memslotUpdate: 'kvm_set_memory_region() checks, then kvm_set_memslot(): CREATE/FLAGS_ONLY one kvm_swap_active_memslots(), DELETE/MOVE two (INVALID first)',
    irqReadLock: 'kvm_xen_set_evtchn_fast(): read_lock_irqsave() on the shinfo and vcpu_info gpc locks, blocking, no trylock (xen.c, 6.17)',
  },
};
