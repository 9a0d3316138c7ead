/**
 * The state invariants where upstream asserts them: hva_to_pfn_retry's WARN_ON_ONCE(gpc->valid)
 * after it relocks, and "no listed cache valid in the range" when the notifier's gpc hook returns.
 * Each fires on an injected fault and stays silent on the reference protocol.
 */
import { testVmConfig } from '../../support/vm-config.js';
import { describe, expect, it } from 'vitest';
import { buildVm, type VmConfig } from '../../../src/stress/build-vm.js';
import { gpcRefresh } from '../../../src/kvm/gpc.js';
import { G_UHVA, G_VALID, gpcBase } from '../../../src/kvm/gpc-layout.js';
import { guestLayout } from '../../../src/kvm/guest-layout.js';
import { cacheNamed } from '../../../src/kvm/cache-table.js';
import { BUG_INVALIDATE_SKIPS_CLEAR, BUG_REFRESH_VALID_BEFORE_RESOLVE, setBugSwitches } from '../../../src/kvm/bug-switches.js';
import { MM_MIGRATE, MM_PROTECT, MM_ZAP, mmEventBegin, mmEventFinish } from '../../../src/kvm/host-mm-events.js';
import type { ModelContext } from '../../../src/kvm/model-context.js';
import { srcuReadLock, srcuReadUnlock } from '../../../src/mem/memslots.js';
import { readFindingRecords, totalFindings } from '../../../src/trace/findings.js';
import {
  INV_VALID_AFTER_INVALIDATION,
  INV_VALID_DURING_REFRESH,
  PROP_STATE_INVARIANT,
  stateInvariant,
} from '../../../src/oracle/properties/state-invariant.js';
import { ST_PROP_CHECKS } from '../../../src/kvm/thread-stats.js';
import { shortStress } from '../../stress/stress-support.js';

const TABLE = guestLayout(2, 4096).caches;
const G = cacheNamed(TABLE, 'steal-time vcpu-0').index;
const GFN = cacheNamed(TABLE, 'steal-time vcpu-0').gfn;

function config(bugMask: number): VmConfig {
  return testVmConfig({ bugMask });
}

function refresh(main: ModelContext): number {
  const srcu = srcuReadLock(main.ms, main.thread);
  const result = gpcRefresh(main, G, 8);
  srcuReadUnlock(main.ms, main.thread, srcu);
  return result;
}

const invariantChecks = (main: ModelContext): number => main.counters[ST_PROP_CHECKS + PROP_STATE_INVARIANT]!;

describe('state-invariant at the protocol points upstream asserts', () => {
  it('reference: invalidations of every kind and the refreshes after them check both invariants and find nothing', () => {
    const { main } = buildVm(config(0));
    const before = invariantChecks(main);
    for (const kind of [MM_MIGRATE, MM_PROTECT, MM_ZAP]) {
      mmEventBegin(main, kind, GFN);
      mmEventFinish(main, kind, GFN);
      expect(main.gpcs[gpcBase(G) + G_VALID]).toBe(0);
      expect(refresh(main)).toBe(0);
    }
    expect(invariantChecks(main)).toBeGreaterThan(before + 6);
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('refresh-valid-before-resolve (B2) makes the cache valid while hva_to_pfn_retry has dropped its lock: the WARN_ON_ONCE(valid) after relocking fires', () => {
    // Built on the reference (its activations stay clean), then the switch on for this refresh only.
    const { main } = buildVm(config(0));
    mmEventBegin(main, MM_MIGRATE, GFN);
    mmEventFinish(main, MM_MIGRATE, GFN);
    expect(totalFindings(main.findings)).toBe(0);
    setBugSwitches(BUG_REFRESH_VALID_BEFORE_RESOLVE);
    try {
      expect(refresh(main)).toBe(0);
    } finally {
      setBugSwitches(0);
    }
    const found = readFindingRecords(main.findings).filter((f) => f.property === PROP_STATE_INVARIANT && f.a === INV_VALID_DURING_REFRESH);
    expect(found).toEqual([expect.objectContaining({ cache: G, gpa: GFN << 12 })]);
    expect(stateInvariant.describe(stateInvariant.details(INV_VALID_DURING_REFRESH, -1, 0, { pageShift: 12, messages: [] }), { cache: G, gpa: 0, gfn: 0, pfn: 0 })).toContain('hva_to_pfn_retry relocked');
  });

  it('invalidate-skips-clear: the hook returns with the cache still valid for the invalidated page, caught at once, before the mm frees it', () => {
    const { main } = buildVm(config(BUG_INVALIDATE_SKIPS_CLEAR));
    const vpage = main.gpcs[gpcBase(G) + G_UHVA]! >> 12;
    mmEventBegin(main, MM_MIGRATE, GFN);
    const found = readFindingRecords(main.findings).filter((f) => f.property === PROP_STATE_INVARIANT);
    expect(found).toEqual([expect.objectContaining({ cache: G, a: INV_VALID_AFTER_INVALIDATION, b: vpage })]);
    mmEventFinish(main, MM_MIGRATE, GFN);
  });

  it('invalidate-skips-clear under stress: the finding\'s interleaving holds the invalidation that missed the cache', async () => {
    const report = await shortStress({ bug: 'invalidate-skips-clear', duration: 1.5, stopOnFinding: true });
    expect(report.internalErrors).toEqual([]);
    const finding = report.findings.find((f) => f.property === 'state-invariant' && f.details['invariant'] === 'valid for a page of the range the invalidation hook just invalidated');
    expect(finding, report.findings.map((f) => f.message).join('\n')).toBeDefined();
    const steps = finding!.interleaving.filter((e) => e.thread === finding!.thread).map((e) => e.step);
    expect(steps).toContain('invalidate-start(count++)');
    expect(steps).toContain('invalidate-clear(valid=0)');
  });
});
