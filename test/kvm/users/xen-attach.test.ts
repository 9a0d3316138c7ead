import { describe, expect, it } from 'vitest';
import { readLock, readUnlock } from '../../../src/sync/rwlock.js';
import { buildVm } from '../../../src/stress/build-vm.js';
import { gpcCheckLocked } from '../../../src/kvm/gpc.js';
import { G_ACTIVE, G_GPA, G_UHVA, G_VALID, GPC_LOCK, gpcBase } from '../../../src/kvm/gpc-layout.js';
import { MM_ZAP, mmEventBegin, mmEventFinish } from '../../../src/kvm/host-mm-events.js';
import { VM_MMU_SEQ, VM_MN_COUNT, VM_XEN_ATTACH } from '../../../src/kvm/vm-layout.js';
import { ST_INVAL_OUTSIDE_MEMSLOTS, ST_XEN_ATTACH_GPA, ST_XEN_ATTACH_HVA, ST_XEN_ATTACH_OVERLAY } from '../../../src/kvm/thread-stats.js';
import { checkKhvaAccessLocked } from '../../../src/oracle/access-oracles.js';
import { totalFindings } from '../../../src/trace/findings.js';
import { hvaRangeHitsMemslot, srcuReadLock, srcuReadUnlock } from '../../../src/mem/memslots.js';
import { isOverlayFilePage, overlayFilePage } from '../../../src/mem/host-mm-layout.js';
import { vpageToGfn } from '../../../src/mem/host-page-table.js';
import { shinfoBytes, shinfoCache, shinfoCandidateGfn } from '../../../src/kvm/users/xen-evtchn.js';
import { vcpuInfoCache } from '../../../src/kvm/users/xen-vcpu-info.js';
import {
  XEN_ATTACH_GPA,
  XEN_ATTACH_HVA,
  XEN_ATTACH_MIXED,
  attachShinfo,
  attachShinfoAsConfigured,
  attachShinfoAtOverlay,
  attachVcpuInfo,
  overlayUhva,
  vmmUhvaOfGpa,
} from '../../../src/kvm/users/xen-attach.js';
import { resolveStressConfig, type StressOptions } from '../../../src/stress/stress-config.js';
import { UsageError } from '../../../src/util/usage-error.js';
import { testVmConfig } from '../../support/vm-config.js';
import { ControlPlane } from '../../../src/stress/control-plane.js';
import { guestFilePage } from '../../../src/kvm/users/guest-memory.js';
import { otherBankFilePage } from '../../../src/mem/host-mm-layout.js';
import { USER_XEN_SHINFO } from '../../../src/kvm/cache-users.js';
import { setEvtchn } from '../../../src/kvm/users/xen-evtchn.js';
import { peekFileWord } from '../../../src/mem/host-page-table.js';
import { flushCounters } from '../../../src/kvm/model-context.js';
import { runEndOfRunOracles } from '../../../src/stress/end-of-run.js';
import { inSrcu } from '../../support/srcu-section.js';

type Main = ReturnType<typeof buildVm>['main'];

function checkAndAccess(main: Main, g: number, len: number): { ok: boolean; clean: boolean } {
  readLock(main.gpcs, gpcBase(g) + GPC_LOCK);
  const ok = gpcCheckLocked(main, g, -1, len);
  const clean = ok ? checkKhvaAccessLocked(main, g) : true;
  readUnlock(main.gpcs, gpcBase(g) + GPC_LOCK);
  return { ok, clean };
}


describe('the VMM attaches the Xen caches by GPA or by HVA (docs/UPSTREAM-SPEC.md 5.3)', () => {
  it('shared_info attached by HVA is an HVA cache at the hva its candidate gpa maps to now, and its accesses pass every oracle', () => {
    const { main } = buildVm(testVmConfig());
    const g = shinfoCache(main);
    const gpa = shinfoCandidateGfn(main, 1) << main.pageShift;
    expect(inSrcu(main, () => attachShinfo(main, 1, true))).toBe(0);
    const base = gpcBase(g);
    expect(main.gpcs[base + G_GPA]).toBe(-1);
    expect(main.gpcs[base + G_UHVA]).toBe(vmmUhvaOfGpa(main, gpa));
    expect(checkAndAccess(main, g, shinfoBytes(main))).toEqual({ ok: true, clean: true });
    // Back to GPA by re-activation (KVM_XEN_ATTR_TYPE_SHARED_INFO): the same page.
    expect(inSrcu(main, () => attachShinfo(main, 1, false))).toBe(0);
    expect(main.gpcs[base + G_GPA]).toBe(gpa);
    expect(checkAndAccess(main, g, shinfoBytes(main))).toEqual({ ok: true, clean: true });
    expect(main.counters[ST_XEN_ATTACH_HVA]).toBe(1);
    expect(main.counters[ST_XEN_ATTACH_GPA]! >= 2).toBe(true); // buildVm's own attach at setup, plus this one
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('vcpu_info attached by HVA keeps its 0x540 offset in the uhva', () => {
    const { main } = buildVm(testVmConfig());
    const g = vcpuInfoCache(main, 1);
    expect(inSrcu(main, () => attachVcpuInfo(main, 1, true))).toBe(0);
    const base = gpcBase(g);
    expect(main.gpcs[base + G_GPA]).toBe(-1);
    expect(main.gpcs[base + G_UHVA]! & main.offsetMask).toBe(0x540);
    expect(checkAndAccess(main, g, 64)).toEqual({ ok: true, clean: true });
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('shared_info at the overlay page: an HVA in no memslot, backed by a file page no gfn names; usable, and an invalidation of it raises the count, clears the cache and bumps no seq', () => {
    const { main } = buildVm(testVmConfig());
    const g = shinfoCache(main);
    const base = gpcBase(g);
    const uhva = overlayUhva(main);
    const vpage = uhva >> main.pageShift;
    const idx = srcuReadLock(main.ms, main.thread);
    expect(hvaRangeHitsMemslot(main.ms, vpage, vpage + 1)).toBe(false);
    srcuReadUnlock(main.ms, main.thread, idx);
    expect(isOverlayFilePage(main.host.mm, vpageToGfn(main.host.mm, vpage))).toBe(true);
    expect(inSrcu(main, () => attachShinfoAtOverlay(main))).toBe(0);
    expect(main.gpcs[base + G_UHVA]).toBe(uhva);
    expect(checkAndAccess(main, g, shinfoBytes(main))).toEqual({ ok: true, clean: true });
    expect(main.counters[ST_XEN_ATTACH_OVERLAY]).toBe(1);

    const seq = Atomics.load(main.vm, VM_MMU_SEQ);
    const target = overlayFilePage(main.host.mm, 0);
    mmEventBegin(main, MM_ZAP, target);
    expect(Atomics.load(main.vm, VM_MN_COUNT)).toBe(1);
    expect(main.gpcs[base + G_VALID]).toBe(0);
    mmEventFinish(main, MM_ZAP, target);
    expect(Atomics.load(main.vm, VM_MN_COUNT)).toBe(0);
    expect(Atomics.load(main.vm, VM_MMU_SEQ)).toBe(seq);
    expect(main.counters[ST_INVAL_OUTSIDE_MEMSLOTS]).toBe(1);
    // The HVA cache is still active; a check fails until a refresh re-faults the (swapped-in) page.
    expect(main.gpcs[base + G_ACTIVE]).toBe(1);
    expect(checkAndAccess(main, g, shinfoBytes(main)).ok).toBe(false);
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('events delivered into the overlay page count as pending at the end (conserved), though no gfn reaches them', () => {
    const { main } = buildVm(testVmConfig());
    expect(inSrcu(main, () => attachShinfoAtOverlay(main))).toBe(0);
    expect(inSrcu(main, () => setEvtchn(main, 1))).toBe(1);
    expect(inSrcu(main, () => setEvtchn(main, 1))).toBe(0); // already pending: counted again (one counter per port)
    expect(peekFileWord(main.host, overlayFilePage(main.host.mm, 0), 1)).toBe(2);
    flushCounters(main);
    const totals = runEndOfRunOracles(main, true);
    expect(totals.eventsSent).toBe(2);
    expect(totals.eventsPending).toBe(2);
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('shared_info attached by HVA onto re-created memory (the other bank) is held to the file page its uhva maps: no wrong-page', async () => {
    const { main } = buildVm(testVmConfig());
    const plane = new ControlPlane(main, 0);
    expect(await plane.deleteAndCreate(USER_XEN_SHINFO)).toBe(true);
    const gfn = shinfoCandidateGfn(main, 2);
    expect(guestFilePage(main, gfn)).toBe(otherBankFilePage(main.host.mm, gfn));
    expect(inSrcu(main, () => attachShinfo(main, 2, true))).toBe(0);
    const g = shinfoCache(main);
    expect(vpageToGfn(main.host.mm, main.gpcs[gpcBase(g) + G_UHVA]! >> main.pageShift)).toBe(otherBankFilePage(main.host.mm, gfn));
    expect(checkAndAccess(main, g, shinfoBytes(main))).toEqual({ ok: true, clean: true });
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('under --xen-attach hva every shared_info activation is by HVA (a candidate page\'s hva or, now and then, the overlay page\'s)', () => {
    const { main } = buildVm(testVmConfig({ xenAttach: XEN_ATTACH_HVA }));
    for (let i = 0; i < 40; i++) expect(inSrcu(main, () => attachShinfoAsConfigured(main, i % 3))).toBe(0);
    expect(main.gpcs[gpcBase(shinfoCache(main)) + G_GPA]).toBe(-1);
    expect(main.counters[ST_XEN_ATTACH_HVA]! >= 40).toBe(true);
    expect(main.counters[ST_XEN_ATTACH_OVERLAY]! > 0).toBe(true);
  });

  it('--xen-attach gpa never attaches by HVA; mixed attaches both ways', () => {
    const gpaVm = buildVm(testVmConfig({ xenAttach: XEN_ATTACH_GPA })).main;
    for (let i = 0; i < 40; i++) expect(inSrcu(gpaVm, () => attachShinfoAsConfigured(gpaVm, i % 3))).toBe(0);
    expect(gpaVm.counters[ST_XEN_ATTACH_HVA]).toBe(0);
    const mixed = buildVm(testVmConfig({ xenAttach: XEN_ATTACH_MIXED })).main;
    expect(mixed.vm[VM_XEN_ATTACH]).toBe(XEN_ATTACH_MIXED);
    for (let i = 0; i < 40; i++) expect(inSrcu(mixed, () => attachShinfoAsConfigured(mixed, i % 3))).toBe(0);
    expect(mixed.counters[ST_XEN_ATTACH_HVA]! > 0 && mixed.counters[ST_XEN_ATTACH_GPA]! > 0).toBe(true);
  });

  it('bad --xen-attach and --fix values are usage errors naming what is allowed', () => {
    // What a JavaScript caller or the CLI may pass, past the option types.
    const both = { xenAttach: 'both' } as unknown as StressOptions;
    expect(() => resolveStressConfig(both)).toThrow(UsageError);
    expect(() => resolveStressConfig(both)).toThrow(/--xen-attach must be one of gpa, hva, mixed/);
    expect(() => resolveStressConfig({ fix: 'nope' })).toThrow(/--fix must be one of hva-seq-miss, dwmw2-invalidate-at-start, dwmw2-hook-any-pfn, got 'nope'/);
    const config = resolveStressConfig({ fix: ['hva-seq-miss'], xenAttach: 'hva' });
    expect(config.fixes).toEqual(['hva-seq-miss']);
    expect(config.xenAttach).toBe('hva');
    expect(resolveStressConfig({}).xenAttach).toBe('mixed');
  });
});
