/**
 * The evtchn thread under stress: irq-context deliveries that find shared_info invalid are
 * deferred to process context and still arrive (the events conservation balances), and only the
 * b17-trylock protocol ever falls back on a read_trylock.
 */
import { describe, expect, it } from 'vitest';
import { checksOf, findingsOf, firing, shortStress } from '../stress-support.js';

describe('the evtchn thread', () => {
  it('mainline: irq deliveries that find shared_info invalid are deferred and delivered from process context, vcpu_info fallbacks happen, every event is consumed or pending, and no read_trylock ever fails', async () => {
    const report = await shortStress({ workload: 'xen', duration: 3, seed: 5 });
    expect(report.internalErrors).toEqual([]);
    expect(firing(report)).toBe('none');
    expect(report.protocol.name).toBe('mainline');
    const t = report.totals;
    expect(t.eventsFromIrq).toBeGreaterThan(0);
    expect(t.eventsDeferred).toBeGreaterThan(0);
    expect(t.vcpuInfoFallbacks).toBeGreaterThan(0);
    expect(t.eventsConsumed).toBeGreaterThan(0);
    expect(checksOf(report, 'events')).toBeGreaterThan(0);
    expect(findingsOf(report, 'events')).toBe(0);
    expect(t.eventsConsumed + t.eventsPendingAtEnd).toBe(t.eventsSent);
    expect(t.fastPathTrylockFails).toBe(0);
  });

  it('b17-trylock: with every invalidation write-locking shared_info (invalidate-no-read-precheck) the irq fast path falls back on failed read_trylocks, where mainline under the same load has none; both stay clean', async () => {
    const load = { workload: 'steal,xen', invalidate: 'unrelated', inflight: 2, invalRate: 50000, eventRate: 50000, juggleRate: 0, memslotRate: 0, bug: 'invalidate-no-read-precheck', duration: 2, seed: 3 } as const;
    const trylock = await shortStress({ ...load, protocol: 'b17-trylock' });
    const mainline = await shortStress({ ...load });
    for (const r of [trylock, mainline]) {
      expect(r.internalErrors).toEqual([]);
      expect(firing(r)).toBe('none');
      expect(r.totals.eventsSent).toBeGreaterThan(0);
    }
    expect(trylock.protocol.name).toBe('b17-trylock');
    expect(trylock.totals.fastPathTrylockFails).toBeGreaterThan(0);
    expect(mainline.totals.fastPathTrylockFails).toBe(0);
  });
});
