/**
 * History B20: a stream of overlapping invalidations of pages no cache uses keeps
 * mn_active_invalidate_count above 0, and upstream's retry (any invalidation in flight) never lets
 * a refresh finish; the range-retry protocol (Sean Christopherson's counter-proposal) does.
 */
import { describe, expect, it } from 'vitest';
import { findingsOf, firing, shortStress } from '../stress/stress-support.js';

// xen: the juggler's re-activations refresh shared_info. With the count never 0 the memslot updater
// waits forever too (kvm_swap_active_memslots), so memslot updates trigger no refresh.
const LIVELOCK_WORKLOAD = { workload: 'steal,xen', invalidate: 'unrelated', inflight: 2, livelockTimeout: 0.5, duration: 2 } as const;

describe('refreshes under unrelated invalidations that never stop (history B20)', () => {
  it('mainline (--protocol mainline): a refresh keeps retrying past the livelock timeout, and the finding gives its retry count', async () => {
    const report = await shortStress({ ...LIVELOCK_WORKLOAD, protocol: 'mainline' });
    expect(report.protocol.name).toBe('mainline');
    expect(findingsOf(report, 'livelock'), firing(report)).toBeGreaterThan(0);
    const livelock = report.findings.find((f) => f.property === 'livelock')!;
    expect(livelock.message).toMatch(/kept retrying for \d+ ms \(\d+ retries\)/);
    expect(report.totals.maxRefreshRetries).toBeGreaterThan(100);
    expect(report.totals.invalidationsThatCleared).toBeLessThan(report.totals.invalidations / 10);
  });

  it('range-retry (--protocol range-retry): the same workload, every refresh completes with few retries; only the memslot updater still starves (the count is never 0)', async () => {
    const report = await shortStress({ ...LIVELOCK_WORKLOAD, protocol: 'range-retry', updaterTimeout: 0.5 });
    expect(report.protocol.name).toBe('range-retry');
    expect(report.findings.filter((f) => f.details.check !== 'updater-starved').map((f) => f.property)).toEqual([]);
    expect(report.totals.refreshes).toBeGreaterThan(0);
    expect(report.totals.maxRefreshRetries).toBeLessThan(10);
    expect(report.totals.invalidations).toBeGreaterThan(1000);
  });

  it('--retry range, the old alias of --protocol range-retry, stays safe under the full mixed workload (overlapping invalidations, memslot moves, juggling): no oracle fires', async () => {
    const report = await shortStress({ retry: 'range', duration: 3, memslotRate: 50, inflight: 3 });
    expect(report.protocol.name).toBe('range-retry');
    expect(report.internalErrors).toEqual([]);
    expect(firing(report)).toBe('none');
    expect(report.totals.pagesFreed).toBeGreaterThan(0);
    expect(report.totals.refreshRetries).toBeGreaterThan(0);
  });
});
