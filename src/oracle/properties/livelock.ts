/**
 * livelock: refresh retries stay near normal (hva_to_pfn_retry does not spin). Checked on the
 * main thread every 100 ms (src/stress/run-stress.ts, --livelock-timeout).
 */
import { defineProperty } from '../../trace/property.js';

export const PROP_LIVELOCK = 13;

export const livelock = defineProperty({
  id: PROP_LIVELOCK,
  name: 'livelock',
  kind: 'liveness',
  description: 'refresh retries stay near normal (hva_to_pfn_retry does not spin)',
  fills: { cache: true, gpa: false, pfn: false },
  fields: {
    retries: 'retries of the refresh in progress so far',
    retryingMs: 'for how long it has been retrying',
  },
  details: (a, b) => ({ retries: a, retryingMs: b }),
  describe: (d) =>
    `a refresh of this cache has kept retrying for ${d.retryingMs} ms (${d.retries} retries) without completing: hva_to_pfn_retry keeps seeing invalidations in flight (history B20)`,
});
