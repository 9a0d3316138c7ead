/**
 * Xen event delivery on one thread, as kvm_xen_set_evtchn_fast / kvm_xen_set_evtchn /
 * kvm_xen_inject_pending_events do it (docs/UPSTREAM-SPEC.md 5.1-5.2): through shared_info and vcpu_info, through
 * the vCPU's kernel-side selector copy when vcpu_info fails its check, and never refreshing from
 * irq context. The threaded behaviour (deferral to process context, b17-trylock's fallbacks) is
 * in test/stress/threads/evtchn-loop.test.ts.
 */
import { testVmConfig } from '../../support/vm-config.js';
import { describe, expect, it } from 'vitest';
import { buildVm, type VmConfig } from '../../../src/stress/build-vm.js';
import { cacheNamed } from '../../../src/kvm/cache-table.js';
import { guestLayout } from '../../../src/kvm/guest-layout.js';
import { protocolId } from '../../../src/kvm/protocols/registry.js';
import { workloadMask, VCPU_INFO_OFFSET } from '../../../src/kvm/cache-users.js';
import { gpcActivate, gpcDeactivate } from '../../../src/kvm/gpc.js';
import { G_VALID, GPC_LOCK, gpcBase } from '../../../src/kvm/gpc-layout.js';
import { MM_MIGRATE, mmEventBegin, mmEventFinish } from '../../../src/kvm/host-mm-events.js';
import { peekFileWord } from '../../../src/mem/host-page-table.js';
import { writeLock, writeUnlock } from '../../../src/sync/rwlock.js';
import { pendingRequests, takeRequests } from '../../../src/kvm/vcpu-kick.js';
import { REQ_UNBLOCK, V_XEN_TIMER_PENDING, VCPU_INTS } from '../../../src/kvm/vcpu-layout.js';
import { openVcpuState, vcpuHandleRequests } from '../../../src/kvm/vcpu-entry.js';
import { guestStep, openGuestState } from '../../../src/kvm/users/guest-code.js';
import { EWOULDBLOCK, setEvtchn, setEvtchnFast, xenTimerCallback } from '../../../src/kvm/users/xen-evtchn.js';
import { VI_PENDING_SEL, VI_UPCALL_PENDING, pendingSelCopy, xenInjectPendingEvents } from '../../../src/kvm/users/xen-vcpu-info.js';
import {
  ST_EVENTS_CONSUMED,
  ST_EVENTS_DEFERRED,
  ST_EVENTS_SENT,
  ST_FASTPATH_TRYLOCK_FAILS,
  ST_SLOW_PATH,
  ST_VCPU_INFO_FALLBACKS,
} from '../../../src/kvm/thread-stats.js';
import { totalFindings } from '../../../src/trace/findings.js';
import { inSrcu } from '../../support/srcu-section.js';

const TABLE = guestLayout(2, 4096).caches;
const SHINFO = cacheNamed(TABLE, 'shared_info');
const vcpuInfo = (v: number) => cacheNamed(TABLE, `vcpu_info vcpu-${v}`);
const SEL = (VCPU_INFO_OFFSET >> 2) + VI_PENDING_SEL;
const UPCALL = (VCPU_INFO_OFFSET >> 2) + VI_UPCALL_PENDING;

function config(overrides: Partial<VmConfig> = {}): VmConfig {
  return testVmConfig({ traceDepth: 32, workload: workloadMask(['xen']), eventPermille: 0, stealPermille: 0, postPermille: 0, ...overrides });
}


describe('vcpu_info', () => {
  it('is a per-vCPU host-uses cache at a non-zero offset in its page, active and valid after build', () => {
    const { main } = buildVm(config());
    for (const v of [0, 1]) {
      const spec = vcpuInfo(v);
      expect(spec.usage).toBe('host');
      expect(spec.offset).toBeGreaterThan(0);
      expect(spec.offset + spec.length).toBeLessThanOrEqual(4096);
      expect(main.gpcs[gpcBase(spec.index) + G_VALID]).toBe(1);
    }
    expect(SHINFO.offset).toBe(0);
  });
});

describe('event delivery (kvm_xen_set_evtchn_fast)', () => {
  it('an event sets the port pending in shared_info and the word bit and upcall_pending in the target vCPU\'s vcpu_info, kicks with UNBLOCK, and the guest takes it', () => {
    const { main } = buildVm(config());
    expect(inSrcu(main, () => setEvtchnFast(main, 1, false))).toBe(1);
    expect(peekFileWord(main.host, SHINFO.gfn, 1)).toBe(1);
    expect(peekFileWord(main.host, vcpuInfo(1).gfn, SEL)).toBe(1);
    expect(peekFileWord(main.host, vcpuInfo(1).gfn, UPCALL)).toBe(1);
    expect(peekFileWord(main.host, vcpuInfo(0).gfn, SEL)).toBe(0);
    expect(pendingRequests(main.vcpus, 1) & REQ_UNBLOCK).toBe(REQ_UNBLOCK);
    takeRequests(main.vcpus, 1);
    // Already pending: delivered (rc 0), no selector work, no second kick.
    expect(inSrcu(main, () => setEvtchnFast(main, 1, false))).toBe(0);
    expect(pendingRequests(main.vcpus, 1)).toBe(0);
    expect(main.counters[ST_EVENTS_SENT]).toBe(2);

    const gs = openGuestState(main, 1);
    guestStep(main, 1, gs);
    expect(main.counters[ST_EVENTS_CONSUMED]).toBe(2);
    expect(peekFileWord(main.host, SHINFO.gfn, 1)).toBe(0);
    expect(peekFileWord(main.host, vcpuInfo(1).gfn, SEL)).toBe(0);
    expect(peekFileWord(main.host, vcpuInfo(1).gfn, UPCALL)).toBe(0);
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('a failed vcpu_info check still delivers: the word bit goes to the kernel-side copy, and the vCPU folds it into vcpu_info (refreshing it) before it enters', () => {
    const { main } = buildVm(config());
    const vi = vcpuInfo(0);
    mmEventBegin(main, MM_MIGRATE, vi.gfn);
    mmEventFinish(main, MM_MIGRATE, vi.gfn);
    expect(main.gpcs[gpcBase(vi.index) + G_VALID]).toBe(0);
    expect(inSrcu(main, () => setEvtchnFast(main, 0, true))).toBe(1);
    expect(main.counters[ST_VCPU_INFO_FALLBACKS]).toBe(1);
    expect(pendingSelCopy(main, 0)).toBe(1);
    expect(peekFileWord(main.host, vi.gfn, SEL)).toBe(0);
    expect(peekFileWord(main.host, SHINFO.gfn, 0)).toBe(1);
    expect(pendingRequests(main.vcpus, 0) & REQ_UNBLOCK).toBe(REQ_UNBLOCK);
    // The delivery did not refresh vcpu_info (only kvm_xen_inject_pending_events does).
    expect(main.gpcs[gpcBase(vi.index) + G_VALID]).toBe(0);

    const vs = openVcpuState(main, 0);
    inSrcu(main, () => vcpuHandleRequests(main, vs));
    expect(pendingSelCopy(main, 0)).toBe(0);
    expect(main.gpcs[gpcBase(vi.index) + G_VALID]).toBe(1);
    expect(peekFileWord(main.host, vi.gfn, SEL)).toBe(1);
    expect(peekFileWord(main.host, vi.gfn, UPCALL)).toBe(1);
    guestStep(main, 0, openGuestState(main, 0));
    expect(main.counters[ST_EVENTS_CONSUMED]).toBe(1);
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('with vcpu_info inactive the kernel-side copy keeps the bit (nothing is folded) until vcpu_info is activated again', () => {
    const { main } = buildVm(config());
    const vi = vcpuInfo(1);
    inSrcu(main, () => gpcDeactivate(main, vi.index));
    expect(inSrcu(main, () => setEvtchn(main, 1))).toBe(1);
    expect(inSrcu(main, () => xenInjectPendingEvents(main, 1))).toBe(0);
    expect(pendingSelCopy(main, 1)).toBe(1);
    expect(inSrcu(main, () => gpcActivate(main, vi.index, (vi.gfn << 12) + vi.offset, vi.length))).toBe(0);
    expect(inSrcu(main, () => xenInjectPendingEvents(main, 1))).toBe(1);
    expect(pendingSelCopy(main, 1)).toBe(0);
    expect(peekFileWord(main.host, vi.gfn, SEL)).toBe(1);
  });

  it('in irq context a failed shared_info check returns -EWOULDBLOCK and changes nothing (no refresh); the process-context slow path refreshes and delivers', () => {
    const { main } = buildVm(config());
    mmEventBegin(main, MM_MIGRATE, SHINFO.gfn);
    mmEventFinish(main, MM_MIGRATE, SHINFO.gfn);
    const base = gpcBase(SHINFO.index);
    expect(main.gpcs[base + G_VALID]).toBe(0);
    expect(inSrcu(main, () => setEvtchnFast(main, 0, true))).toBe(-EWOULDBLOCK);
    expect(main.gpcs[base + G_VALID]).toBe(0);
    expect(main.counters[ST_EVENTS_SENT]).toBe(0);
    expect(pendingRequests(main.vcpus, 0)).toBe(0);
    expect(inSrcu(main, () => setEvtchn(main, 0))).toBe(1);
    expect(main.counters[ST_SLOW_PATH]).toBe(1);
    expect(main.gpcs[base + G_VALID]).toBe(1);
    expect(peekFileWord(main.host, SHINFO.gfn, 0)).toBe(1);
    expect(totalFindings(main.findings)).toBe(0);
  });
});

describe('the Xen timer (xen_timer_callback, hard irq)', () => {
  it('with shared_info invalid the expiry is deferred (timer_pending, UNBLOCK), a second expiry does not run, and the vCPU delivers it from process context while it handles requests', () => {
    const { main } = buildVm(config());
    mmEventBegin(main, MM_MIGRATE, SHINFO.gfn);
    mmEventFinish(main, MM_MIGRATE, SHINFO.gfn);
    const pendingAt = 1 * VCPU_INTS + V_XEN_TIMER_PENDING;
    expect(inSrcu(main, () => xenTimerCallback(main, 1))).toBe(-EWOULDBLOCK);
    expect(main.vcpus[pendingAt]).toBe(1);
    expect(pendingRequests(main.vcpus, 1) & REQ_UNBLOCK).toBe(REQ_UNBLOCK);
    expect(inSrcu(main, () => xenTimerCallback(main, 1))).toBe(0);
    expect(main.vcpus[pendingAt]).toBe(1);
    expect(main.counters[ST_EVENTS_SENT]).toBe(0);

    inSrcu(main, () => vcpuHandleRequests(main, openVcpuState(main, 1)));
    expect(main.vcpus[pendingAt]).toBe(0);
    expect(main.counters[ST_EVENTS_DEFERRED]).toBe(1);
    expect(main.counters[ST_EVENTS_SENT]).toBe(1);
    expect(main.gpcs[gpcBase(SHINFO.index) + G_VALID]).toBe(1);
    expect(peekFileWord(main.host, SHINFO.gfn, 1)).toBe(1);
    expect(totalFindings(main.findings)).toBe(0);
  });
});

describe('protocol b17-trylock (history B17)', () => {
  it('in irq context a shared_info lock a writer holds makes the fast path fall back (-EWOULDBLOCK, counted) instead of blocking', () => {
    const { main } = buildVm(config({ protocol: protocolId('b17-trylock') }));
    const lock = gpcBase(SHINFO.index) + GPC_LOCK;
    writeLock(main.gpcs, lock);
    const rc = inSrcu(main, () => setEvtchnFast(main, 0, true));
    writeUnlock(main.gpcs, lock);
    expect(rc).toBe(-EWOULDBLOCK);
    expect(main.counters[ST_FASTPATH_TRYLOCK_FAILS]).toBe(1);
    expect(main.counters[ST_EVENTS_SENT]).toBe(0);
    expect(inSrcu(main, () => setEvtchnFast(main, 0, true))).toBe(1);
    expect(main.counters[ST_FASTPATH_TRYLOCK_FAILS]).toBe(1);
  });

  it('in irq context a vcpu_info lock a writer holds sends the word bit to the kernel-side copy; the event is delivered', () => {
    const { main } = buildVm(config({ protocol: protocolId('b17-trylock') }));
    const lock = gpcBase(vcpuInfo(1).index) + GPC_LOCK;
    writeLock(main.gpcs, lock);
    const rc = inSrcu(main, () => setEvtchnFast(main, 1, true));
    writeUnlock(main.gpcs, lock);
    expect(rc).toBe(1);
    expect(main.counters[ST_FASTPATH_TRYLOCK_FAILS]).toBe(1);
    expect(main.counters[ST_VCPU_INFO_FALLBACKS]).toBe(1);
    expect(pendingSelCopy(main, 1)).toBe(1);
  });
});
