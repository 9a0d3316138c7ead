/**
 * The properties the oracles check (DESIGN 6). A finding names one of them. The report lists, per
 * property, how many checks were made and how many findings.
 */
export const PROP_UAF_KHVA = 0;
export const PROP_UAF_GUEST = 1;
export const PROP_FREE_WHILE_IN_GUEST = 2;
export const PROP_STALE_PTE = 3;
export const PROP_STALE_GENERATION = 4;
export const PROP_STALE_ENTRY = 5;
export const PROP_WRONG_PAGE = 6;
export const PROP_STATE_INVARIANT = 7;
export const PROP_EVENTS = 8;
export const PROP_RECORDS = 9;
export const PROP_LOCK_SANITY = 10;
export const PROP_LEAKS = 11;
export const PROP_STALL = 12;
export const PROP_LIVELOCK = 13;
export const PROPERTY_COUNT = 14;

export interface PropertyInfo {
  readonly id: number;
  readonly name: string;
  readonly description: string;
  readonly kind: 'safety' | 'liveness';
}

export const PROPERTIES: readonly PropertyInfo[] = [
  { id: PROP_UAF_KHVA, name: 'uaf-khva', kind: 'safety', description: 'host access through khva (under the read lock, check passed) touched a freed or re-used page' },
  { id: PROP_UAF_GUEST, name: 'uaf-guest-mode', kind: 'safety', description: 'the vCPU "hardware" in guest mode touched a freed or re-used page (guest-uses pfn)' },
  { id: PROP_FREE_WHILE_IN_GUEST, name: 'free-while-in-guest', kind: 'safety', description: 'a page was freed while a vCPU in guest mode was using it' },
  { id: PROP_STALE_PTE, name: 'stale-pte', kind: 'safety', description: 'valid under the read lock, but the host pte no longer maps the cached pfn' },
  { id: PROP_STALE_GENERATION, name: 'stale-generation', kind: 'safety', description: 'valid under the read lock with a memslot generation older than the reader\'s SRCU section' },
  { id: PROP_STALE_ENTRY, name: 'stale-entry', kind: 'safety', description: 'a vCPU entered guest mode with a guest-uses translation from a memslot generation older than the one current at entry' },
  { id: PROP_WRONG_PAGE, name: 'wrong-page', kind: 'safety', description: 'the cached pfn backs a different gfn than the cache\'s gpa' },
  { id: PROP_STATE_INVARIANT, name: 'state-invariant', kind: 'safety', description: 'valid => active, active <=> on the list, valid => pfn and khva real, khva offset = gpa offset' },
  { id: PROP_EVENTS, name: 'events', kind: 'safety', description: 'every event sent (event channel, posted interrupt) is seen by the guest exactly once' },
  { id: PROP_RECORDS, name: 'records', kind: 'safety', description: 'a record never goes backwards and ends equal to its writer\'s last value (read through the true translation)' },
  { id: PROP_LOCK_SANITY, name: 'lock-sanity', kind: 'safety', description: 'lock words stay sane (no corruption, all free at the end)' },
  { id: PROP_LEAKS, name: 'leaks', kind: 'safety', description: 'no page or kernel mapping leaked at the end' },
  { id: PROP_STALL, name: 'stall', kind: 'liveness', description: 'every thread makes progress (watchdog, --stall-timeout)' },
  { id: PROP_LIVELOCK, name: 'livelock', kind: 'liveness', description: 'refresh retries stay near normal (hva_to_pfn_retry does not spin)' },
];
