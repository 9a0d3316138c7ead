/**
 * `itazuri-gmem-rfc2`: Takahiro Itazuri, "KVM: pfncache: guest_memfd support" RFC v2 (26 Feb 2026,
 * 20260226135309.29493-1-itazur@amazon.com; not merged; history B21), on the gfn_to_pfn_cache of
 * mainline. What it changes, and where the model has it:
 *
 *   2/7 "KVM: pfncache: Resolve PFNs via kvm_gmem_get_pfn() for gmem-backed GPAs" (-3): not a
 *       step here. The model's guest_memfd is mappable (GUEST_MEMFD_FLAG_MMAP) and hva_to_pfn
 *       returns the same file page kvm_gmem_get_pfn would; and the data oracles take the host pte
 *       as the truth of a uhva, which a page taken from the file without faulting the pte in
 *       would contradict (stale-pte, "the pte maps nothing") for a reason that is not a bug.
 *   3/7 (vmap for NO_DIRECT_MAP gmem): not modelled (the model's kernel mapping is not a direct map).
 *   4/7-6/7: renames. 6/7 "KVM: Rename mn_* invalidate-related fields to generic ones" (-7) makes
 *       mn_active_invalidate_count `active_invalidate_count` (the model's VM_MN_COUNT) and
 *       mn_invalidate_lock `invalidate_lock`: nothing else changes.
 *   7/7 "KVM: pfncache: Invalidate on gmem invalidation and memattr updates" (-8): guest_memfd
 *       punch holes (__kvm_gmem_invalidate_start/_end) and memory-attribute conversions
 *       (kvm_vm_set_mem_attributes) raise active_invalidate_count and call the gpc hook on the
 *       HVA ranges of the bound memslots, then bump the seq before the count drops:
 *       src/kvm/gmem-invalidate.ts, run by the notifier thread's guest_memfd events, which exist
 *       only because this variant backs its workloads' memslots with guest_memfd (`gmemBacked`).
 *
 * --bug gmem-skips-gpc-invalidation reverts 7/7 (RFC v1: the events reach no cache).
 */
import type { ProtocolVariant } from './protocol-variant.js';

export const ITAZURI_GMEM_RFC2: ProtocolVariant = {
  name: 'itazuri-gmem-rfc2',
  summary: 'guest_memfd-backed memslots whose punch holes and conversions reach the caches by their own path, counted in active_invalidate_count (Itazuri RFC v2, history B21, not merged)',
  source: 'Takahiro Itazuri, "KVM: pfncache: guest_memfd support" RFC v2, 26 Feb 2026 (20260226135309.29493-1-itazur@amazon.com; 7/7: 20260226135309.29493-8-itazur@amazon.com)',
  // No step of the refresh or the check changes (see above): the series' invalidation path is the
  // guest_memfd events' own bracket (src/kvm/gmem-invalidate.ts), which its guest_memfd slots enable.
  steps: {},
  stepSources: {},
  workloads: ['steal', 'xen'],
  gmemBacked: ['steal', 'xen'],
  inapplicableBugs: {
    'guest-uses-no-evict': 'a guest-uses (nested) cache switch: the series adds no guest-uses cache and its workloads (steal, xen) have none',
    'entry-check-before-mode': 'a guest-uses (nested) entry-check switch: no guest-uses cache in the series\' workloads',
  },
};
