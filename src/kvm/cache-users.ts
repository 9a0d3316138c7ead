/**
 * The gpc's users, as data: which caches each one has, whose they are (VM-wide or one set per
 * vCPU), how the cache is used (host-uses: KVM reads/writes through khva under the read lock;
 * guest-uses: the vCPU "hardware" uses the pfn in guest mode), where it points (GPA or HVA) and
 * how many guest pages of its own memslot the user needs. The guest layout (guest-layout.ts) and
 * the cache table (cache-table.ts) are built from this list; nothing else knows how many caches
 * there are or where they sit.
 *
 * Adding a user: one entry here (its position is its USER_* id), its module under users/ (what it
 * does with its caches), and the call that runs it (docs/ARCHITECTURE.md, "How to add").
 */
import { STEAL_RECORD_BYTES } from './users/page-fields.js';
import { runstateGpc1Length, runstateGpc1Offset, runstateGpc2Length } from './users/runstate-area.js';

export type CacheUsage = 'host' | 'guest';
export type AddressKind = 'gpa' | 'hva';

/** One cache of a user (per owner, when the user is per vCPU). */
export interface CacheDecl {
  /** Name in reports; a per-vCPU cache gets " vcpu-<v>" appended. */
  readonly name: string;
  readonly usage: CacheUsage;
  /** The page of the user's own memslot region (per owner) the cache is activated at. */
  readonly page: number;
  /** Bytes from the start of that page. */
  readonly offset: number;
  /** When the offset differs per owner (the runstate area crosses a page for some vCPUs): it, instead of `offset`. */
  readonly ownerOffset?: (owner: number, pageSize: number) => number;
  /**
   * Bytes the user maps (kvm_gpc_activate's len), from the VM's vCPU count, page size and the
   * owner (-1 for a VM-wide user). 0: the VMM leaves it inactive (runstate2 when the area fits one page).
   */
  readonly length: (vcpus: number, pageSize: number, owner: number) => number;
}

export interface CacheUser {
  readonly name: string;
  /** The upstream code the user models. */
  readonly source: string;
  /** The `--workload` name that turns the user on (its caches are activated, its code runs). */
  readonly workload: string;
  /** One set of caches per vCPU (owner v), or one VM-wide set (owner -1). */
  readonly perVcpu: boolean;
  readonly addressKind: AddressKind;
  /** Pages of the user's memslot region: per vCPU when perVcpu, else in all. */
  readonly pages: number;
  readonly caches: readonly CacheDecl[];
}

/** Pages the Xen shared_info may be placed at (the juggler re-points it between them, as xen_shinfo_test does). */
export const SHINFO_CANDIDATES = 3;

/** Bytes of shared_info the delivery touches: one pending counter per port (= per vCPU). */
function shinfoLength(vcpus: number): number {
  return vcpus * 4;
}
/** The steal-time record: version, value. */
function stealRecordLength(): number {
  return STEAL_RECORD_BYTES;
}
/** sizeof(struct vcpu_info): kvm_gpc_activate(vcpu_info_cache, gpa, sizeof(struct vcpu_info)). */
export const VCPU_INFO_BYTES = 64;
/**
 * Where vcpu_info sits in its page: a guest puts it in its per-cpu data, at any offset with
 * off + 64 <= 4096 (KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO, docs/UPSTREAM-SPEC.md 5.3); shared_info is always at 0.
 */
export const VCPU_INFO_OFFSET = 0x540;
function vcpuInfoLength(): number {
  return VCPU_INFO_BYTES;
}
function wholePage(_vcpus: number, pageSize: number): number {
  return pageSize;
}

/** The nested user's pages in its per-vCPU part of its region. */
export const NESTED_PAGE_VAPIC = 0;
export const NESTED_PAGE_PI = 1;

export const USER_XEN_SHINFO = 0;
export const USER_STEAL_TIME = 1;
export const USER_NESTED_VMX = 2;
export const USER_XEN_VCPU_INFO = 3;
export const USER_XEN_RUNSTATE = 4;

export const CACHE_USERS: readonly CacheUser[] = [
  {
    name: 'xen-shinfo',
    source: 'arch/x86/kvm/xen.c: kvm->arch.xen.shinfo_cache, kvm_xen_set_evtchn_fast',
    workload: 'xen',
    perVcpu: false,
    addressKind: 'gpa',
    pages: SHINFO_CANDIDATES,
    caches: [{ name: 'shared_info', usage: 'host', page: 0, offset: 0, length: shinfoLength }],
  },
  {
    name: 'steal-time',
    source: 'arch/x86/kvm/x86.c: record_steal_time (upstream uses a gfn_to_hva_cache; modelled as a gpc, like pv_time)',
    workload: 'steal',
    perVcpu: true,
    addressKind: 'gpa',
    pages: 1,
    caches: [{ name: 'steal-time', usage: 'host', page: 0, offset: 0, length: stealRecordLength }],
  },
  {
    name: 'nested-vmx',
    source: 'the seed RFC (2021): nested_get_vmcs12_pages with guest-uses caches for the vmcs02 pages',
    workload: 'nested',
    perVcpu: true,
    addressKind: 'gpa',
    pages: 2,
    caches: [
      { name: 'vAPIC page', usage: 'guest', page: NESTED_PAGE_VAPIC, offset: 0, length: wholePage },
      { name: 'PI descriptor', usage: 'guest', page: NESTED_PAGE_PI, offset: 0, length: wholePage },
    ],
  },
  {
    name: 'xen-vcpu-info',
    source: 'arch/x86/kvm/xen.c: vcpu->arch.xen.vcpu_info_cache, kvm_xen_set_evtchn_fast, kvm_xen_inject_pending_events',
    workload: 'xen',
    perVcpu: true,
    addressKind: 'gpa',
    pages: 1,
    caches: [{ name: 'vcpu_info', usage: 'host', page: 0, offset: VCPU_INFO_OFFSET, length: vcpuInfoLength }],
  },
  {
    name: 'xen-runstate',
    source: 'arch/x86/kvm/xen.c: vcpu->arch.xen.runstate_cache / runstate2_cache, kvm_xen_update_runstate_guest',
    workload: 'runstate',
    perVcpu: true,
    addressKind: 'gpa',
    pages: 2,
    caches: [
      // KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_ADDR: gpc1 covers the rest of the first page (sz1), gpc2 the rest of the area.
      { name: 'runstate_cache', usage: 'host', page: 0, offset: 0, ownerOffset: runstateGpc1Offset, length: runstateGpc1Length },
      { name: 'runstate2_cache', usage: 'host', page: 1, offset: 0, length: runstateGpc2Length },
    ],
  },
];

/** The `--workload` names, in user order (users sharing a workload, as xen's shared_info and vcpu_info do, give it once). */
export const WORKLOAD_NAMES: readonly string[] = [...new Set(CACHE_USERS.map((u) => u.workload))];

/** The workload bit of user u: its workload name's bit (the VM config's VM_WORKLOAD mask has one bit per workload name; users of one workload share it). */
export function workloadBit(user: number): number {
  return 1 << WORKLOAD_NAMES.indexOf(CACHE_USERS[user]!.workload);
}

/** The mask of the named workloads; unknown names are ignored (the config validates them). */
export function workloadMask(names: readonly string[]): number {
  let mask = 0;
  CACHE_USERS.forEach((u, i) => {
    if (names.includes(u.workload)) mask |= workloadBit(i);
  });
  return mask;
}

/** The nested user's guest-uses registers, in the order of its caches above. */
export const NESTED_REG_VAPIC = 0;
export const NESTED_REG_PI = 1;
