import { testVmConfig } from '../support/vm-config.js';
import { describe, expect, it } from 'vitest';
import { readLock, readUnlock } from '../../src/sync/rwlock.js';
import { buildVm, type VmConfig } from '../../src/stress/build-vm.js';
import { gpcActivate, gpcCheckLocked, gpcDeactivate, gpcRefresh } from '../../src/kvm/gpc.js';
import { G_ACTIVE, G_KHVA, G_PFN, G_VALID, GPC_LOCK, gpcBase } from '../../src/kvm/gpc-layout.js';
import { guestLayout } from '../../src/kvm/guest-layout.js';
import { cacheNamed } from '../../src/kvm/cache-table.js';
import { MM_MIGRATE, MM_PROTECT, MM_ZAP, mmEventBegin, mmEventFinish } from '../../src/kvm/host-mm-events.js';
import { VM_MMU_SEQ, VM_MN_COUNT } from '../../src/kvm/vm-layout.js';
import { filePfn } from '../../src/mem/host-page-table.js';
import { srcuReadLock, srcuReadUnlock } from '../../src/mem/memslots.js';
import { totalFindings } from '../../src/trace/findings.js';
import { checkKhvaAccessLocked } from '../../src/oracle/access-oracles.js';
import { BUG_KHVA_KEEPS_OLD_OFFSET } from '../../src/kvm/bug-switches.js';
import { EINVAL } from '../../src/util/errno.js';

// The 2-vCPU VM's caches, looked up by name in its cache table.
const TABLE = guestLayout(2, 4096).caches;
const GPC_SHINFO = cacheNamed(TABLE, 'shared_info').index;
const stealGpc = (v: number): number => cacheNamed(TABLE, `steal-time vcpu-${v}`).index;
const stealGfn = (v: number): number => cacheNamed(TABLE, `steal-time vcpu-${v}`).gfn;

function config(overrides: Partial<VmConfig> = {}): VmConfig {
  return testVmConfig({ traceDepth: 32, ...overrides });
}

describe('gpc (one thread)', () => {
  it('a freshly activated cache passes its check and maps the page that backs its gfn', () => {
    const { main } = buildVm(config());
    const g = stealGpc(0);
    const base = gpcBase(g);
    readLock(main.gpcs, base + GPC_LOCK);
    expect(gpcCheckLocked(main, g, -1, 8)).toBe(true);
    expect(main.gpcs[base + G_PFN]).toBe(filePfn(main.host.mm, stealGfn(0)));
    expect(checkKhvaAccessLocked(main, g)).toBe(true);
    readUnlock(main.gpcs, base + GPC_LOCK);
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('a migration invalidates the cache; refresh then maps the new page and the old one is freed', () => {
    const { main } = buildVm(config());
    const g = stealGpc(1);
    const base = gpcBase(g);
    const before = main.gpcs[base + G_PFN]!;
    mmEventBegin(main, MM_MIGRATE, stealGfn(1));
    expect(Atomics.load(main.vm, VM_MN_COUNT)).toBe(1);
    expect(main.gpcs[base + G_VALID]).toBe(0);
    mmEventFinish(main, MM_MIGRATE, stealGfn(1));
    expect(Atomics.load(main.vm, VM_MN_COUNT)).toBe(0);
    expect(Atomics.load(main.vm, VM_MMU_SEQ)).toBe(1);
    const srcu = srcuReadLock(main.ms, main.thread);
    expect(gpcRefresh(main, g, 8)).toBe(0);
    srcuReadUnlock(main.ms, main.thread, srcu);
    expect(main.gpcs[base + G_PFN]).not.toBe(before);
    expect(main.gpcs[base + G_PFN]).toBe(filePfn(main.host.mm, stealGfn(1)));
    expect(main.gpcs[base + G_VALID]).toBe(1);
  });

  it('zap and write-protect invalidate too, and the next refresh faults the page back in', () => {
    const { main } = buildVm(config());
    const g = stealGpc(0);
    const base = gpcBase(g);
    for (const kind of [MM_ZAP, MM_PROTECT]) {
      mmEventBegin(main, kind, stealGfn(0));
      mmEventFinish(main, kind, stealGfn(0));
      expect(main.gpcs[base + G_VALID]).toBe(0);
      expect(gpcRefresh(main, g, 8)).toBe(0);
      readLock(main.gpcs, base + GPC_LOCK);
      expect(gpcCheckLocked(main, g, -1, 8)).toBe(true);
      expect(checkKhvaAccessLocked(main, g)).toBe(true);
      readUnlock(main.gpcs, base + GPC_LOCK);
    }
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('deactivate clears active and valid; a refresh of an inactive cache fails with -EINVAL', () => {
    const { main } = buildVm(config());
    gpcDeactivate(main, GPC_SHINFO);
    const base = gpcBase(GPC_SHINFO);
    expect(main.gpcs[base + G_ACTIVE]).toBe(0);
    expect(main.gpcs[base + G_VALID]).toBe(0);
    expect(main.gpcs[base + G_KHVA]).toBe(-1);
    expect(gpcRefresh(main, GPC_SHINFO, 8)).toBe(-EINVAL);
  });

  it('re-pointing within the same page moves khva to the new offset (B11 fixed)', () => {
    const { main } = buildVm(config());
    const g = stealGpc(0);
    const gpa = (stealGfn(0) << 12) + 64;
    expect(gpcActivate(main, g, gpa, 8)).toBe(0);
    expect(main.gpcs[gpcBase(g) + G_KHVA]! & 4095).toBe(64);
    readLock(main.gpcs, gpcBase(g) + GPC_LOCK);
    expect(checkKhvaAccessLocked(main, g)).toBe(true);
    readUnlock(main.gpcs, gpcBase(g) + GPC_LOCK);
  });

  it('with khva-keeps-old-offset on, the state-invariant oracle catches the stale offset', () => {
    const { main } = buildVm(config({ bugMask: BUG_KHVA_KEEPS_OLD_OFFSET }));
    const g = stealGpc(0);
    expect(gpcActivate(main, g, (stealGfn(0) << 12) + 64, 8)).toBe(0);
    readLock(main.gpcs, gpcBase(g) + GPC_LOCK);
    expect(gpcCheckLocked(main, g, -1, 8)).toBe(true);
    expect(checkKhvaAccessLocked(main, g)).toBe(false);
    readUnlock(main.gpcs, gpcBase(g) + GPC_LOCK);
    expect(totalFindings(main.findings)).toBe(1);
  });
});
