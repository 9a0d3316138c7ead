/**
 * livelock: refresh retries stay near normal (hva_to_pfn_retry does not spin), checked on the
 * main thread every 100 ms (src/stress/run-stress.ts, --livelock-timeout); and the memslot
 * updater is not starved: kvm_swap_active_memslots' wait for mn_active_invalidate_count == 0 ends
 * within --updater-timeout (src/kvm/swap-memslots.ts, checked while it waits).
 */
import { defineProperty } from '../../trace/property.js';

export const PROP_LIVELOCK = 13;

/** The finding's `c`: which wait. */
export const LIVELOCK_REFRESH_RETRYING = 0;
export const LIVELOCK_UPDATER_STARVED = 1;

export const livelock = defineProperty({
  id: PROP_LIVELOCK,
  name: 'livelock',
  kind: 'liveness',
  description: 'refresh retries stay near normal (hva_to_pfn_retry does not spin)',
  fills: { cache: true, gpa: true, pfn: false },
  fields: {
    check: '"refresh-retrying" (a refresh, on its cache) or "updater-starved" (the memslot updater, gpa: the first gfn of the slot it updates)',
    retries: 'refresh-retrying: retries of the refresh in progress so far',
    retryingMs: 'refresh-retrying: for how long it has been retrying',
    count: 'updater-starved: mn_active_invalidate_count when reported',
    waitedMs: 'updater-starved: how long kvm_swap_active_memslots had waited for the count to reach 0',
  },
  details: (a, b, c) => (c === LIVELOCK_UPDATER_STARVED ? { check: 'updater-starved', count: a, waitedMs: b } : { check: 'refresh-retrying', retries: a, retryingMs: b }),
  describe: (d, s) =>
    d.check === 'updater-starved'
      ? `the memslot updater (kvm_swap_active_memslots for the slot at gfn ${s.gfn ?? '?'}) has waited ${d.waitedMs} ms for mn_active_invalidate_count to reach 0 (it is ${d.count}): invalidations that overlap back to back (or one that never ends) keep it raised and starve the memslot update`
      : `a refresh of this cache has kept retrying for ${d.retryingMs} ms (${d.retries} retries) without completing: hva_to_pfn_retry keeps seeing invalidations in flight (history B20)`,
});
