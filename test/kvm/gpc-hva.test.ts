import { describe, expect, it } from 'vitest';
import { readLock, readUnlock } from '../../src/sync/rwlock.js';
import { buildVm } from '../../src/stress/build-vm.js';
import { gpcActivate, gpcActivateHva, gpcCheckLocked, gpcRefresh } from '../../src/kvm/gpc.js';
import { G_GPA, G_KHVA, G_PFN, G_UHVA, G_VALID, GPC_LOCK, gpcBase } from '../../src/kvm/gpc-layout.js';
import { guestLayout } from '../../src/kvm/guest-layout.js';
import { cacheNamed } from '../../src/kvm/cache-table.js';
import { USER_STEAL_TIME } from '../../src/kvm/cache-users.js';
import { kvmSwapActiveMemslots, newMemslotSwapStats } from '../../src/kvm/swap-memslots.js';
import { readCurrentSlot } from '../../src/mem/memslot-update.js';
import { MM_MIGRATE, mmEventBegin, mmEventFinish } from '../../src/kvm/host-mm-events.js';
import { filePfn, vpageToGfn } from '../../src/mem/host-page-table.js';
import { memslotsGeneration } from '../../src/mem/memslots.js';
import { totalFindings } from '../../src/trace/findings.js';
import { EINVAL } from '../../src/util/errno.js';
import { checkKhvaAccessLocked } from '../../src/oracle/access-oracles.js';
import { BUG_KHVA_KEEPS_OLD_OFFSET } from '../../src/kvm/bug-switches.js';
import { testVmConfig } from '../support/vm-config.js';

// docs/UPSTREAM-SPEC.md 4.1-4.3: kvm_gpc_activate_hva, kvm_gpc_check's skipped generation test,
// __kvm_gpc_refresh's HVA branch, and GPA <-> HVA switches by re-activation.
const TABLE = guestLayout(2, 4096).caches;
const steal = cacheNamed(TABLE, 'steal-time vcpu-0');

function vm() {
  return buildVm(vmConfig());
}

function vmConfig() {
  return testVmConfig({ seed: 3, traceDepth: 32 });
}

function checks(main: ReturnType<typeof vm>['main'], g: number, len: number): boolean {
  readLock(main.gpcs, gpcBase(g) + GPC_LOCK);
  const ok = gpcCheckLocked(main, g, -1, len);
  readUnlock(main.gpcs, gpcBase(g) + GPC_LOCK);
  return ok;
}

/** Re-publish the steal-time slot unchanged: the generation moves, the gpa -> hva translation does not. */
async function bumpGeneration(main: ReturnType<typeof vm>['main']): Promise<void> {
  await kvmSwapActiveMemslots(main, USER_STEAL_TIME, readCurrentSlot(main.ms, USER_STEAL_TIME), {
    shouldGiveUp: () => false,
    afterDrain: () => {},
    stats: newMemslotSwapStats(),
  });
}

describe('gpc activated by HVA', () => {
  it('re-activating a GPA cache by its uhva plus an offset makes it an HVA cache on the same page, with the offset from the uhva', () => {
    const { main } = vm();
    const g = steal.index;
    const base = gpcBase(g);
    const page = main.gpcs[base + G_UHVA]! & ~4095;
    expect(gpcActivateHva(main, g, page + 128, 16)).toBe(0);
    expect(main.gpcs[base + G_GPA]).toBe(-1);
    expect(main.gpcs[base + G_UHVA]).toBe(page + 128);
    expect(main.gpcs[base + G_PFN]).toBe(filePfn(main.host.mm, vpageToGfn(main.host.mm, page >> 12)));
    expect(main.gpcs[base + G_KHVA]! & 4095).toBe(128);
    expect(checks(main, g, 16)).toBe(true);
    readLock(main.gpcs, base + GPC_LOCK);
    expect(checkKhvaAccessLocked(main, g)).toBe(true);
    readUnlock(main.gpcs, base + GPC_LOCK);
    // kvm_gpc_is_valid_len: the length is checked against the uhva's offset.
    expect(checks(main, g, 4096 - 127)).toBe(false);
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('a memslot generation change fails a GPA cache check but not an HVA cache check', async () => {
    const { main } = vm();
    const g = steal.index;
    const other = cacheNamed(TABLE, 'steal-time vcpu-1').index;
    const page = main.gpcs[gpcBase(g) + G_UHVA]! & ~4095;
    expect(gpcActivateHva(main, g, page, 8)).toBe(0);
    const gen0 = memslotsGeneration(main.ms);
    await bumpGeneration(main);
    expect(memslotsGeneration(main.ms)).not.toBe(gen0);
    expect(checks(main, other, 8)).toBe(false);
    expect(checks(main, g, 8)).toBe(true);
    // The access oracles hold it to the page its uhva maps, not to the generation.
    readLock(main.gpcs, gpcBase(g) + GPC_LOCK);
    expect(checkKhvaAccessLocked(main, g)).toBe(true);
    readUnlock(main.gpcs, gpcBase(g) + GPC_LOCK);
    expect(totalFindings(main.findings)).toBe(0);
  });

  it('with khva-keeps-old-offset on, re-pointing an HVA cache within its page is caught by the offset invariant (against the uhva)', () => {
    const { main } = buildVm({ ...vmConfig(), bugMask: BUG_KHVA_KEEPS_OLD_OFFSET });
    const g = steal.index;
    const page = main.gpcs[gpcBase(g) + G_UHVA]! & ~4095;
    expect(gpcActivateHva(main, g, page + 64, 8)).toBe(0);
    readLock(main.gpcs, gpcBase(g) + GPC_LOCK);
    expect(gpcCheckLocked(main, g, -1, 8)).toBe(true);
    expect(checkKhvaAccessLocked(main, g)).toBe(false);
    readUnlock(main.gpcs, gpcBase(g) + GPC_LOCK);
    expect(totalFindings(main.findings)).toBe(1);
  });

  it('an mm invalidation of its page still invalidates an HVA cache, and refresh re-resolves it by uhva', () => {
    const { main } = vm();
    const g = steal.index;
    const base = gpcBase(g);
    const page = main.gpcs[base + G_UHVA]! & ~4095;
    expect(gpcActivateHva(main, g, page + 8, 8)).toBe(0);
    const before = main.gpcs[base + G_PFN]!;
    mmEventBegin(main, MM_MIGRATE, steal.gfn);
    expect(main.gpcs[base + G_VALID]).toBe(0);
    mmEventFinish(main, MM_MIGRATE, steal.gfn);
    expect(checks(main, g, 8)).toBe(false);
    expect(gpcRefresh(main, g, 8)).toBe(0);
    expect(main.gpcs[base + G_GPA]).toBe(-1);
    expect(main.gpcs[base + G_UHVA]).toBe(page + 8);
    expect(main.gpcs[base + G_PFN]).not.toBe(before);
    expect(main.gpcs[base + G_PFN]).toBe(filePfn(main.host.mm, steal.gfn));
    expect(checks(main, g, 8)).toBe(true);
  });

  it('re-activating by GPA switches it back: the gpa and the generation are derived again', () => {
    const { main } = vm();
    const g = steal.index;
    const base = gpcBase(g);
    const page = main.gpcs[base + G_UHVA]! & ~4095;
    expect(gpcActivateHva(main, g, page, 8)).toBe(0);
    const gpa = (steal.gfn << 12) + 32;
    expect(gpcActivate(main, g, gpa, 8)).toBe(0);
    expect(main.gpcs[base + G_GPA]).toBe(gpa);
    expect(main.gpcs[base + G_UHVA]).toBe(page + 32);
    expect(checks(main, g, 8)).toBe(true);
  });

  it('access_ok and the length: a bad uhva or a page-crossing access is -EINVAL and changes nothing', () => {
    const { main } = vm();
    const g = steal.index;
    const base = gpcBase(g);
    const page = main.gpcs[base + G_UHVA]! & ~4095;
    const gpa = main.gpcs[base + G_GPA]!;
    expect(gpcActivateHva(main, g, -1, 8)).toBe(-EINVAL);
    expect(gpcActivateHva(main, g, main.host.mm.vpages << 12, 8)).toBe(-EINVAL);
    expect(gpcActivateHva(main, g, page + 4090, 8)).toBe(-EINVAL);
    expect(main.gpcs[base + G_GPA]).toBe(gpa);
    expect(checks(main, g, 8)).toBe(true);
  });
});
