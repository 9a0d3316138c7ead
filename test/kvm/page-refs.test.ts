/**
 * Page references as GUP and kvm_release_page_* take and put them (src/kvm/page-refs.ts,
 * src/kvm/host-fault.ts, hva_to_pfn_retry in src/kvm/gpc-refresh.ts): the file page holds one,
 * hva_to_pfn takes one, hva_to_pfn_retry puts it, and a page is freed when its last reference goes.
 */
import { testVmConfig } from '../support/vm-config.js';
import { describe, expect, it } from 'vitest';
import { buildVm, type VmConfig } from '../../src/stress/build-vm.js';
import { gpcRefresh } from '../../src/kvm/gpc.js';
import { G_PFN, G_UHVA, G_VALID, gpcBase } from '../../src/kvm/gpc-layout.js';
import { guestLayout } from '../../src/kvm/guest-layout.js';
import { cacheNamed } from '../../src/kvm/cache-table.js';
import { registerProtocol } from '../../src/kvm/protocols/registry.js';
import type { ProtocolVariant } from '../../src/kvm/protocols/protocol-variant.js';
import { hostFaultInWithEpoch, kvmReleasePageUnused } from '../../src/kvm/host-fault.js';
import { MM_MIGRATE, MM_PROTECT, MM_ZAP, mmEventBegin, mmEventFinish } from '../../src/kvm/host-mm-events.js';
import type { ModelContext } from '../../src/kvm/model-context.js';
import { filePfn } from '../../src/mem/host-page-table.js';
import { PAGE_ALLOCATED, PAGE_FREE } from '../../src/mem/host-mm-layout.js';
import { pageEpoch, pageRefcount, pageState } from '../../src/mem/page-allocator.js';
import { srcuReadLock, srcuReadUnlock } from '../../src/mem/memslots.js';
import { totalFindings } from '../../src/trace/findings.js';
import { runEndOfRunOracles } from '../../src/stress/end-of-run.js';
import { checksOf, findingsOf, firing, shortStress } from '../stress/stress-support.js';

const TABLE = guestLayout(2, 4096).caches;
const stealGpc = (v: number): number => cacheNamed(TABLE, `steal-time vcpu-${v}`).index;
const stealGfn = (v: number): number => cacheNamed(TABLE, `steal-time vcpu-${v}`).gfn;

function config(overrides: Partial<VmConfig> = {}): VmConfig {
  return testVmConfig(overrides);
}

/** Every allocated page holds exactly its file page's reference, every free page none. */
function refcountsBalance(main: ModelContext): boolean {
  const mm = main.host.mm;
  for (let pfn = 0; pfn < mm.pfns; pfn++) {
    if (pageRefcount(mm, pfn) !== (pageState(mm, pfn) === PAGE_ALLOCATED ? 1 : 0)) return false;
  }
  return true;
}

function refresh(main: ModelContext, g: number): number {
  const srcu = srcuReadLock(main.ms, main.thread);
  const result = gpcRefresh(main, g, 8);
  srcuReadUnlock(main.ms, main.thread, srcu);
  return result;
}

describe('page references (one thread)', () => {
  it('after activation and refreshes that migrate, zap, write-protect (the same pfn back), every page holds only its file reference', () => {
    const { main } = buildVm(config());
    expect(refcountsBalance(main)).toBe(true);
    const g = stealGpc(0);
    for (const kind of [MM_PROTECT, MM_MIGRATE, MM_ZAP, MM_PROTECT]) {
      mmEventBegin(main, kind, stealGfn(0));
      mmEventFinish(main, kind, stealGfn(0));
      expect(refresh(main, g)).toBe(0);
      expect(pageRefcount(main.host.mm, main.gpcs[gpcBase(g) + G_PFN]!)).toBe(1);
    }
    expect(refcountsBalance(main)).toBe(true);
    runEndOfRunOracles(main, true);
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('a page held through hva_to_pfn outlives the mm zapping it, and is freed (epoch bumped) at the put', () => {
    const { main } = buildVm(config());
    const mm = main.host.mm;
    const g = stealGpc(1);
    const vpage = main.gpcs[gpcBase(g) + G_UHVA]! >> main.pageShift;
    const page = hostFaultInWithEpoch(main, vpage);
    expect(page).toBe(filePfn(mm, stealGfn(1)));
    expect(pageRefcount(mm, page)).toBe(2);
    const epoch = pageEpoch(mm, page);
    mmEventBegin(main, MM_ZAP, stealGfn(1));
    mmEventFinish(main, MM_ZAP, stealGfn(1));
    expect(filePfn(mm, stealGfn(1))).toBe(-1);
    expect(pageState(mm, page)).toBe(PAGE_ALLOCATED);
    expect(pageEpoch(mm, page)).toBe(epoch);
    expect(pageRefcount(mm, page)).toBe(1);
    kvmReleasePageUnused(main, g, page);
    expect(pageState(mm, page)).toBe(PAGE_FREE);
    expect(pageEpoch(mm, page)).toBe(epoch + 1);
    expect(pageRefcount(mm, page)).toBe(0);
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('a migration inside hva_to_pfn_retry\'s unlocked window: the refresher\'s page survives it, the retry puts it (freed then), and the install holds no reference', () => {
    // resolvePfn = mainline's hva_to_pfn, and once, right after it, the mm migrates that page (as
    // the notifier thread would while the refresher has dropped gpc->lock).
    let seen: { page: number; state: number; refs: number; fileNow: number } | null = null;
    let armed = false;
    const variant: ProtocolVariant = {
      name: 'test-migrate-in-window',
      summary: 'test fixture: one migration of the page hva_to_pfn just returned',
      source: 'test/kvm/page-refs.test.ts (not shipped)',
      steps: {
        resolvePfn: function hvaToPfnThenMigrate(ctx: ModelContext, vpage: number): number {
          const pfn = hostFaultInWithEpoch(ctx, vpage);
          if (armed && pfn >= 0) {
            armed = false;
            const gfn = stealGfn(0);
            mmEventBegin(ctx, MM_MIGRATE, gfn);
            mmEventFinish(ctx, MM_MIGRATE, gfn);
            seen = { page: pfn, state: pageState(ctx.host.mm, pfn), refs: pageRefcount(ctx.host.mm, pfn), fileNow: filePfn(ctx.host.mm, gfn) };
          }
          return pfn;
        },
      },
      stepSources: { resolvePfn: 'hva_to_pfn, then a migration of its page (test fixture)' },
    };
    const { main } = buildVm(config({ protocol: registerProtocol(variant) }));
    const mm = main.host.mm;
    const g = stealGpc(0);
    const base = gpcBase(g);
    mmEventBegin(main, MM_PROTECT, stealGfn(0));
    mmEventFinish(main, MM_PROTECT, stealGfn(0));
    const before = main.gpcs[base + G_PFN]!;
    expect(main.gpcs[base + G_VALID]).toBe(0);
    armed = true;
    expect(refresh(main, g)).toBe(0);
    expect(seen).not.toBeNull();
    const s = seen!;
    // When the migration was done, the refresher's GUP reference kept the old page alive.
    expect(s.page).toBe(before);
    expect(s.state).toBe(PAGE_ALLOCATED);
    expect(s.refs).toBe(1);
    expect(s.fileNow).not.toBe(before);
    // The retry put it: freed; the cache installed the new page and holds no reference on it.
    expect(pageState(mm, before)).toBe(PAGE_FREE);
    expect(main.gpcs[base + G_PFN]).toBe(s.fileNow);
    expect(pageRefcount(mm, s.fileNow)).toBe(1);
    expect(main.gpcs[base + G_VALID]).toBe(1);
    expect(refcountsBalance(main)).toBe(true);
    runEndOfRunOracles(main, true);
    expect(totalFindings(main.findings)).toBe(0);
  });
});

describe('page references under stress (real threads)', () => {
  for (const strategy of ['locked', 'generation'] as const) {
    it(`strategy ${strategy}: refreshes retry and pages are freed, and every reference balances at the end`, async () => {
      const report = await shortStress({ strategy, duration: 2 });
      expect(report.internalErrors).toEqual([]);
      expect(firing(report)).toBe('none');
      expect(findingsOf(report, 'leaks')).toBe(0);
      expect(checksOf(report, 'leaks')).toBeGreaterThan(0);
      expect(report.totals.refreshRetries).toBeGreaterThan(0);
      expect(report.totals.pagesFreed).toBeGreaterThan(0);
    });
  }
});
