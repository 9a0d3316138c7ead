/**
 * The protocol steps the flight recorder logs, with the meaning of each event's fields. Every event
 * also carries the thread, the global order, mmu_invalidate_seq and the memslot generation.
 */
export const STEP_VCPU_ENTER = 1; // mode = IN_GUEST_MODE (arg: session)
export const STEP_ENTRY_CHECK_FAIL = 2; // cache failed the entry check (pfn: hardware pfn)
export const STEP_ENTRY_CANCEL = 3; // request or kick pending: entry cancelled (arg: requests)
export const STEP_GUEST_RUN = 4; // committed to guest mode (cache: vapic gpc, pfn: hw vapic pfn, arg: hw pi pfn)
export const STEP_VCPU_EXIT = 5; // mode = OUTSIDE_GUEST_MODE (arg: 1 if kicked)
export const STEP_REQUESTS = 6; // handling requests (arg: request bits)
export const STEP_HW_LOAD = 7; // GET_NESTED_STATE_PAGES loaded the hardware pfn (cache, pfn)
export const STEP_REFRESH_START = 8; // refresh entered under refreshLock (gpa: target)
export const STEP_REFRESH_UNLOCKED = 9; // hva_to_pfn_retry dropped the write lock (arg: seq snapshot)
export const STEP_REFRESH_FAULTED = 10; // hva_to_pfn returned pfn (arg: uhva vpage)
export const STEP_REFRESH_RETRY = 11; // retaken lock, retry predicate true (arg: count)
export const STEP_REFRESH_INSTALL = 12; // valid = true with pfn
export const STEP_REFRESH_FAIL = 13; // refresh error (arg: errno)
export const STEP_CHECK_OK = 14; // reader's check passed (pfn)
export const STEP_CHECK_FAIL = 15; // reader's check failed
export const STEP_KHVA_ACCESS = 16; // access through khva (arg: what)
export const STEP_INV_START = 17; // invalidate_range_start (arg: start vpage), after count++
export const STEP_INV_CLEAR = 18; // hook cleared valid on cache (pfn)
export const STEP_INV_EVICT = 19; // eviction of vCPU arg (WAIT) begins
export const STEP_INV_EVICTED = 20; // vCPU arg is out of guest mode
export const STEP_MM_CHANGE = 21; // pte change (pfn: old pfn, arg: kind)
export const STEP_PAGE_FREE = 22; // page freed (pfn, arg: new epoch)
export const STEP_INV_END = 23; // invalidate_range_end: seq++ then count-- (arg: start vpage)
export const STEP_MEMSLOT_PUBLISH = 24; // memslot update published (arg: slot, gpa: the slot's base gfn)
export const STEP_MEMSLOT_DRAINED = 25; // SRCU readers of the old copy gone (arg: slot, gpa: the slot's base gfn)
export const STEP_ACTIVATE = 26; // activate (gpa)
export const STEP_DEACTIVATE = 27; // deactivate (pfn: old)
export const STEP_EVENT_SENT = 28; // event set pending through khva (arg: port)
export const STEP_EVENT_DROPPED = 29; // event not delivered (arg: errno)
export const STEP_KICK = 30; // kick of vCPU arg (cache: request bits)
export const STEP_FINDING = 31; // an oracle fired (arg: property)
export const STEP_MM_FAULT = 32; // guest-side fault-in of a gfn (gpa, pfn)

const names: Record<number, string> = {
  1: 'vcpu-enter(IN_GUEST_MODE)',
  2: 'entry-check-fail',
  3: 'entry-cancel',
  4: 'guest-run',
  5: 'vcpu-exit(OUTSIDE_GUEST_MODE)',
  6: 'handle-requests',
  7: 'hw-load-pfn',
  8: 'refresh-start',
  9: 'refresh-drop-lock',
  10: 'refresh-faulted-in',
  11: 'refresh-retry',
  12: 'refresh-install(valid=1)',
  13: 'refresh-fail',
  14: 'check-ok',
  15: 'check-fail',
  16: 'khva-access',
  17: 'invalidate-start(count++)',
  18: 'invalidate-clear(valid=0)',
  19: 'evict-vcpu(WAIT)',
  20: 'vcpu-evicted',
  21: 'mm-change',
  22: 'page-free',
  23: 'invalidate-end(seq++,count--)',
  24: 'memslot-publish',
  25: 'memslot-srcu-drained',
  26: 'activate',
  27: 'deactivate',
  28: 'event-sent',
  29: 'event-dropped',
  30: 'kick',
  31: 'FINDING',
  32: 'guest-fault-in',
};

export function stepName(step: number): string {
  return names[step] ?? `step#${step}`;
}

/** mm-change kinds (arg of STEP_MM_CHANGE). */
export const MM_MIGRATE = 1;
export const MM_ZAP = 2;
export const MM_PROTECT = 3;
export const MM_UNMAP_WINDOW = 4;
export const MM_KIND_NAMES: Record<number, string> = { 1: 'migrate', 2: 'zap', 3: 'write-protect', 4: 'munmap' };
