/**
 * The protocol steps the flight recorder logs, and what each event's slots hold. Every event also
 * carries the thread, the global order, mmu_invalidate_seq, mn_active_invalidate_count and the
 * memslot generation; its cache slot is a gpc index (or -1). The table below (STEPS) says, per
 * step, what its gpa and pfn slots hold and the label of its arg, so reports name every value.
 */
export const STEP_VCPU_ENTER = 1;
export const STEP_ENTRY_CHECK_FAIL = 2;
export const STEP_ENTRY_CANCEL = 3;
export const STEP_GUEST_RUN = 4;
export const STEP_VCPU_EXIT = 5;
export const STEP_REQUESTS = 6;
export const STEP_HW_LOAD = 7;
export const STEP_REFRESH_START = 8;
export const STEP_REFRESH_UNLOCKED = 9;
export const STEP_REFRESH_FAULTED = 10;
export const STEP_REFRESH_RETRY = 11;
export const STEP_REFRESH_INSTALL = 12;
export const STEP_REFRESH_FAIL = 13;
export const STEP_KHVA_ACCESS = 16;
export const STEP_INV_START = 17;
export const STEP_INV_CLEAR = 18;
export const STEP_INV_EVICT = 19;
export const STEP_INV_EVICTED = 20;
export const STEP_MM_CHANGE = 21;
export const STEP_PAGE_FREE = 22;
export const STEP_INV_END = 23;
export const STEP_MEMSLOT_PUBLISH = 24; // memslot update published (arg: slot, gpa: the slot's base gfn)
export const STEP_MEMSLOT_DRAINED = 25; // SRCU readers of the old copy gone (arg: slot, gpa: the slot's base gfn)
export const STEP_ACTIVATE = 26;
export const STEP_DEACTIVATE = 27;
export const STEP_EVENT_SENT = 28;
export const STEP_EVENT_DROPPED = 29;
export const STEP_FINDING = 31;
export const STEP_MEMSLOT_COUNT_WAIT = 41; // memslot swap waits for mn_active_invalidate_count == 0 (arg: the count seen, gpa: the slot's base gfn)
export const STEP_MEMSLOT_GENERATION = 42; // memslot swap's final generation store, after the kicks (arg: the generation, gpa: the slot's base gfn)
export const STEP_MEMSLOT_DELETE_RETURNED = 43; // a DELETE's ioctl returned: its old memory is retired (arg: the DELETE's number, gpa: the slot's base gfn)
export const STEP_INV_END_NO_MEMSLOT = 40; // invalidate_range_end of a range outside every memslot: count-- only (arg: target)
export const STEP_REFRESH_SEQLESS_WINDOW = 48; // the retry check installs although invalidations ended in the unlocked window (S1; arg: how many)
export const STEP_GMEM_INV_START = 62; // guest_memfd invalidation start (itazuri-gmem-rfc2): active_invalidate_count++, the gpc hook on the bound slots' uhvas (arg: the file page)
export const STEP_GMEM_INV_END = 63; // guest_memfd invalidation end: seq++ if bound, active_invalidate_count-- (arg: the file page)
export const STEP_VCPU_INFO_MOVED = 50; // vcpu_info re-registered at another offset in its page (cache: vcpu_info, gpa: the new gpa, pfn slot: the old offset, arg: the new offset)
export const STEP_NESTED_HOST_ACCESS = 60; // KVM's own access to a nested guest-uses page through khva, outside guest mode (protocols seed-2021 / griffoul-v4; pfn: khva's page, arg: hardwarePfn, the pfn vmcs02 holds)
export const STEP_NESTED_L1_VMEXIT = 61; // L2 exited to L1 and L1 resumed it: nested_vmx_vmexit, then VMRESUME -> nested_get_vmcs12_pages (protocols seed-2021 / griffoul-v4; arg: 1 if the reload succeeded)

/**
 * How a report shows an arg: a plain number, a 0/1 flag, a vCPU (thread) index, request bits, a
 * negative errno, an mm-change kind (MM_KIND_NAMES), a property id, or an invalidation target
 * (>= 0: its first host virtual page, labelled as declared; < 0: guest-RAM file page -1 - arg,
 * labelled filePage).
 */
export type ArgKind = 'number' | 'flag' | 'vcpu' | 'requests' | 'errno' | 'mm-kind' | 'property' | 'inval-target';

export interface StepArg {
  readonly label: string;
  readonly as: ArgKind;
  /** 0 means "nothing to say" for this step: the arg is left out. */
  readonly zeroAbsent?: boolean;
}

export interface StepInfo {
  readonly name: string;
  /** What the gpa slot holds: 'gfn' (a guest physical address, shown as its gfn) or the label of another value; absent: unused. */
  readonly gpa?: string;
  /** What the pfn slot holds: 'pfn' (a host page) or the label of another value; absent: unused. */
  readonly pfn?: string;
  /** The arg's label and kind; absent: unused (0). */
  readonly arg?: StepArg;
}

const n = (label: string, zeroAbsent = false): StepArg => ({ label, as: 'number', zeroAbsent });

export const STEPS: Readonly<Record<number, StepInfo>> = {
  [STEP_VCPU_ENTER]: { name: 'vcpu-enter(IN_GUEST_MODE)', arg: n('session') },
  // hwGeneration: the generation the hardware's pages were loaded at (the generation strategy only; 0 otherwise).
  [STEP_ENTRY_CHECK_FAIL]: { name: 'entry-check-fail', pfn: 'pfn', arg: n('hwGeneration', true) },
  [STEP_ENTRY_CANCEL]: { name: 'entry-cancel', arg: { label: 'pending', as: 'requests' } },
  // cache: the vAPIC gpc, pfn: the hardware's vAPIC pfn.
  [STEP_GUEST_RUN]: { name: 'guest-run', pfn: 'pfn', arg: n('piPfn') },
  [STEP_VCPU_EXIT]: { name: 'vcpu-exit(OUTSIDE_GUEST_MODE)', arg: { label: 'kicked', as: 'flag', zeroAbsent: true } },
  [STEP_REQUESTS]: { name: 'handle-requests', arg: { label: 'requests', as: 'requests' } },
  [STEP_HW_LOAD]: { name: 'hw-load-pfn', pfn: 'pfn', arg: n('epoch') },
  // pfn: the cache's pfn before the refresh.
  [STEP_REFRESH_START]: { name: 'refresh-start', gpa: 'gfn', pfn: 'pfn', arg: { label: 'valid', as: 'flag' } },
  [STEP_REFRESH_UNLOCKED]: { name: 'refresh-drop-lock', gpa: 'gfn', pfn: 'pfn', arg: n('seqSnapshot') },
  [STEP_REFRESH_FAULTED]: { name: 'refresh-faulted-in', gpa: 'gfn', pfn: 'pfn', arg: n('uhvaPage') },
  [STEP_REFRESH_RETRY]: { name: 'refresh-retry', gpa: 'gfn', pfn: 'pfn', arg: n('countSeen') },
  [STEP_REFRESH_INSTALL]: { name: 'refresh-install(valid=1)', gpa: 'gfn', pfn: 'pfn', arg: n('retries') },
  [STEP_REFRESH_SEQLESS_WINDOW]: { name: 'refresh-install-after-invalidation-in-window(no seq moved)', gpa: 'gfn', pfn: 'pfn', arg: n('invalidationsEnded') },
  [STEP_REFRESH_FAIL]: { name: 'refresh-fail', gpa: 'gfn', arg: { label: 'errno', as: 'errno' } },
  [STEP_KHVA_ACCESS]: { name: 'khva-access', pfn: 'pfn', arg: n('value') },
  [STEP_INV_START]: { name: 'invalidate-start(count++)', arg: { label: 'uhvaPage', as: 'inval-target' } },
  // arg: the first host virtual page of the invalidated range.
  [STEP_INV_CLEAR]: { name: 'invalidate-clear(valid=0)', gpa: 'gfn', pfn: 'pfn', arg: n('uhvaPage') },
  [STEP_INV_EVICT]: { name: 'evict-vcpu(WAIT)', arg: { label: 'vcpu', as: 'vcpu' } },
  [STEP_INV_EVICTED]: { name: 'vcpu-evicted', arg: { label: 'vcpu', as: 'vcpu' } },
  // gpa: the file page's gfn (none for a window munmap), pfn: the old page.
  [STEP_MM_CHANGE]: { name: 'mm-change', gpa: 'gfn', pfn: 'pfn', arg: { label: 'kind', as: 'mm-kind' } },
  [STEP_PAGE_FREE]: { name: 'page-free', gpa: 'gfn', pfn: 'pfn', arg: n('epoch') },
  [STEP_INV_END]: { name: 'invalidate-end(seq++,count--)', arg: { label: 'uhvaPage', as: 'inval-target' } },
  [STEP_INV_END_NO_MEMSLOT]: { name: 'invalidate-end(no memslot: count-- only)', arg: { label: 'uhvaPage', as: 'inval-target' } },
  [STEP_MEMSLOT_PUBLISH]: { name: 'memslot-publish', gpa: 'gfn', arg: n('slot') },
  [STEP_MEMSLOT_DRAINED]: { name: 'memslot-srcu-drained', gpa: 'gfn', arg: n('slot') },
  [STEP_MEMSLOT_COUNT_WAIT]: { name: 'memslot-wait-invalidations', gpa: 'gfn', arg: n('count') },
  [STEP_MEMSLOT_GENERATION]: { name: 'memslot-generation-final', gpa: 'gfn', arg: n('generation') },
  [STEP_MEMSLOT_DELETE_RETURNED]: { name: 'memslot-delete-returned', gpa: 'gfn', arg: n('deleteNumber') },
  [STEP_ACTIVATE]: { name: 'activate', gpa: 'gfn', pfn: 'pfn' },
  [STEP_DEACTIVATE]: { name: 'deactivate', gpa: 'gfn', pfn: 'pfn' },
  [STEP_EVENT_SENT]: { name: 'event-sent', pfn: 'pfn', arg: n('port') },
  // errno: why kvm_xen_set_evtchn's shared_info refresh failed (the event is dropped).
  [STEP_EVENT_DROPPED]: { name: 'event-dropped', arg: { label: 'errno', as: 'errno', zeroAbsent: true } },
  [STEP_FINDING]: { name: 'FINDING', gpa: 'gfn', pfn: 'pfn', arg: { label: 'property', as: 'property' } },
  [STEP_VCPU_INFO_MOVED]: { name: 'vcpu_info-moved-in-page', gpa: 'gfn', pfn: 'fromOffset', arg: n('toOffset') },
  [STEP_NESTED_HOST_ACCESS]: { name: 'nested-host-access(khva)', gpa: 'gfn', pfn: 'pfn', arg: n('hardwarePfn') },
  [STEP_NESTED_L1_VMEXIT]: { name: 'nested-vmexit-to-L1+vmresume', arg: { label: 'reloaded', as: 'flag' } },
  [STEP_GMEM_INV_START]: { name: 'gmem-invalidate-start(count++)', gpa: 'gfn', arg: n('filePage') },
  [STEP_GMEM_INV_END]: { name: 'gmem-invalidate-end(seq++,count--)', gpa: 'gfn', arg: n('filePage') },
};

export function stepName(step: number): string {
  return STEPS[step]?.name ?? `step#${step}`;
}

/** The step ids by name (the first id of a name), built once on first use: the inverse of stepName. */
let idsByName: Map<string, number> | null = null;

export function stepIdByName(name: string): number | undefined {
  if (idsByName === null) {
    idsByName = new Map();
    for (const [id, info] of Object.entries(STEPS)) if (!idsByName.has(info.name)) idsByName.set(info.name, Number(id));
  }
  return idsByName.get(name);
}

/** mm-change kinds (arg of STEP_MM_CHANGE). */
export const MM_MIGRATE = 1;
export const MM_ZAP = 2;
export const MM_PROTECT = 3;
export const MM_UNMAP_WINDOW = 4;
/** guest_memfd events (itazuri-gmem-rfc2 only): their invalidation does not go through the MMU notifier. */
export const MM_GMEM_PUNCH_HOLE = 5;
export const MM_GMEM_CONVERT = 6;
export const MM_KIND_NAMES: Record<number, string> = { 1: 'migrate', 2: 'zap', 3: 'write-protect', 4: 'munmap', 5: 'gmem-punch-hole', 6: 'gmem-convert' };
