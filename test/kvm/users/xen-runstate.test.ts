import { afterEach, describe, expect, it } from 'vitest';
import { buildVm, type VmConfig } from '../../../src/stress/build-vm.js';
import { BUG_RUNSTATE_LOCK_ORDER } from '../../../src/kvm/bug-switches.js';
import { cacheNamed } from '../../../src/kvm/cache-table.js';
import { gpcDeactivate } from '../../../src/kvm/gpc.js';
import { G_ACTIVE, GPC_LOCK, gpcBase } from '../../../src/kvm/gpc-layout.js';
import { guestLayout } from '../../../src/kvm/guest-layout.js';
import type { ModelContext } from '../../../src/kvm/model-context.js';
import {
  ST_PROP_CHECKS,
  ST_RUNSTATE_CHECK_GIVEUPS,
  ST_RUNSTATE_GPC2_ACTIVATIONS,
  ST_RUNSTATE_SPLIT_UPDATES,
  ST_RUNSTATE_TRYLOCK_GIVEUPS,
  ST_RUNSTATE_UPDATES,
} from '../../../src/kvm/thread-stats.js';
import { guestStep } from '../../../src/kvm/users/guest-code.js';
import { RS_ENTRY_LO, RUNSTATE_BYTES, rsTimeLo } from '../../../src/kvm/users/runstate-area.js';
import { kvmXenRunstateSetPreempted, kvmXenRunstateSetRunning } from '../../../src/kvm/users/xen-runstate.js';
import { openVcpuState, type VcpuState } from '../../../src/kvm/vcpu-entry.js';
import { WORKLOAD_RUNSTATE } from '../../../src/kvm/vm-layout.js';
import { filePfn } from '../../../src/mem/host-page-table.js';
import { PROP_RECORDS, RECORD_RUNSTATE_BACKWARDS, RECORD_RUNSTATE_TORN } from '../../../src/oracle/properties/records.js';
import { createLockdepBuffer, lockdepDisable, lockdepEnable, lockdepFindingCount, readLockdepFindings } from '../../../src/sync/lockdep.js';
import { readerCount, writeLock, writeUnlock } from '../../../src/sync/rwlock.js';
import { readFindingRecords, totalFindings } from '../../../src/trace/findings.js';
import { inSrcu } from '../../support/srcu-section.js';
import { testVmConfig } from '../../support/vm-config.js';

const PAGE = 4096;
const TABLE = guestLayout(4, PAGE).caches;

function runstateVm(overrides: Partial<VmConfig> = {}) {
  const { main } = buildVm(
    testVmConfig({ vcpus: 4, pageSize: PAGE, traceDepth: 32, workload: WORKLOAD_RUNSTATE, guestSteps: 1, eventPermille: 0, stealPermille: 0, postPermille: 0, ...overrides }),
  );
  return main;
}


/** One guest step that reads the runstate area (the guest reads it when its step count is 2 mod 4). */
function guestReads(ctx: ModelContext, vs: VcpuState): void {
  vs.guest.step = 1;
  guestStep(ctx, vs.v, vs.guest);
}

const counter = (ctx: ModelContext, i: number): number => ctx.counters[i]!;

afterEach(() => lockdepDisable());

describe('the Xen runstate area: placement (kvm_xen_vcpu_set_attr RUNSTATE_ADDR)', () => {
  it('odd vCPUs put the area across a page: gpc1 covers the rest of page 0, gpc2 the rest of the area at the start of the next gfn', () => {
    for (const v of [1, 3]) {
      const gpc1 = cacheNamed(TABLE, `runstate_cache vcpu-${v}`);
      const gpc2 = cacheNamed(TABLE, `runstate2_cache vcpu-${v}`);
      expect(gpc1.offset + gpc1.length).toBe(PAGE);
      expect(gpc1.length).toBeLessThan(RUNSTATE_BYTES);
      expect(gpc2.gfn).toBe(gpc1.gfn + 1);
      expect(gpc2.offset).toBe(0);
      expect(gpc1.length + gpc2.length).toBe(RUNSTATE_BYTES);
    }
    // The splits differ: vCPU 1's page boundary falls inside state_entry_time, vCPU 3's after it.
    expect(cacheNamed(TABLE, 'runstate_cache vcpu-1').length).toBe(12);
    expect(cacheNamed(TABLE, 'runstate_cache vcpu-3').length).toBe(24);
  });

  it('even vCPUs put it inside one page at a non-zero offset, and leave runstate2 inactive (sz1 >= sz)', () => {
    const ctx = runstateVm();
    for (const v of [0, 2]) {
      const gpc1 = cacheNamed(TABLE, `runstate_cache vcpu-${v}`);
      const gpc2 = cacheNamed(TABLE, `runstate2_cache vcpu-${v}`);
      expect(gpc1.offset).toBeGreaterThan(0);
      expect(gpc1.offset + gpc1.length).toBe(PAGE);
      expect(gpc2.length).toBe(0);
      expect(ctx.gpcs[gpcBase(gpc1.index) + G_ACTIVE]).toBe(1);
      expect(ctx.gpcs[gpcBase(gpc2.index) + G_ACTIVE]).toBe(0);
    }
    expect(ctx.gpcs[gpcBase(cacheNamed(TABLE, 'runstate2_cache vcpu-1').index) + G_ACTIVE]).toBe(1);
  });
});

describe('kvm_xen_update_runstate_guest (one thread)', () => {
  it('a page-crossing vCPU writes through both caches, an in-page one through gpc1 only; the guest reads consistent, growing copies', () => {
    const ctx = runstateVm();
    const crossing = openVcpuState(ctx, 1);
    const inPage = openVcpuState(ctx, 0);
    for (let i = 0; i < 5; i++) {
      inSrcu(ctx, () => {
        kvmXenRunstateSetRunning(ctx, crossing.runstate!);
        kvmXenRunstateSetPreempted(ctx, crossing.runstate!);
        kvmXenRunstateSetRunning(ctx, inPage.runstate!);
      });
      guestReads(ctx, crossing);
      guestReads(ctx, inPage);
    }
    expect(counter(ctx, ST_RUNSTATE_UPDATES)).toBe(15);
    expect(counter(ctx, ST_RUNSTATE_SPLIT_UPDATES)).toBe(10);
    expect(counter(ctx, ST_RUNSTATE_TRYLOCK_GIVEUPS)).toBe(0);
    // The guest judged every read (10) and found nothing.
    expect(counter(ctx, ST_PROP_CHECKS + PROP_RECORDS)).toBe(10);
    expect(totalFindings(ctx.findings)).toBe(0);
    expect(crossing.guest.runstate!.last[0]).toBeGreaterThan(0xfffff000);
  });

  it('the atomic (sched-out) path gives up when read_trylock fails on gpc1 or on gpc2, and drops gpc1 when gpc2 is busy', () => {
    const ctx = runstateVm();
    const vs = openVcpuState(ctx, 1);
    const lock1 = gpcBase(vs.runstate!.g1) + GPC_LOCK;
    const lock2 = gpcBase(vs.runstate!.g2) + GPC_LOCK;
    writeLock(ctx.gpcs, lock1);
    inSrcu(ctx, () => kvmXenRunstateSetPreempted(ctx, vs.runstate!));
    writeUnlock(ctx.gpcs, lock1);
    expect(counter(ctx, ST_RUNSTATE_TRYLOCK_GIVEUPS)).toBe(1);
    writeLock(ctx.gpcs, lock2);
    inSrcu(ctx, () => kvmXenRunstateSetPreempted(ctx, vs.runstate!));
    expect(readerCount(ctx.gpcs, lock1)).toBe(0);
    writeUnlock(ctx.gpcs, lock2);
    expect(counter(ctx, ST_RUNSTATE_TRYLOCK_GIVEUPS)).toBe(2);
    expect(counter(ctx, ST_RUNSTATE_UPDATES)).toBe(0);
    // Nothing is lost on the kernel side: the next update publishes times that still add up.
    inSrcu(ctx, () => kvmXenRunstateSetRunning(ctx, vs.runstate!));
    guestReads(ctx, vs);
    expect(counter(ctx, ST_RUNSTATE_UPDATES)).toBe(1);
    expect(totalFindings(ctx.findings)).toBe(0);
  });

  it('a gpc2 check failure: the atomic path gives up, the other drops both, re-activates gpc2 and retries (B12)', () => {
    const ctx = runstateVm();
    const vs = openVcpuState(ctx, 3);
    const rs = vs.runstate!;
    inSrcu(ctx, () => gpcDeactivate(ctx, rs.g2));
    inSrcu(ctx, () => kvmXenRunstateSetPreempted(ctx, rs));
    expect(counter(ctx, ST_RUNSTATE_CHECK_GIVEUPS)).toBe(1);
    expect(counter(ctx, ST_RUNSTATE_UPDATES)).toBe(0);
    inSrcu(ctx, () => kvmXenRunstateSetRunning(ctx, rs));
    expect(counter(ctx, ST_RUNSTATE_GPC2_ACTIVATIONS)).toBe(1);
    expect(counter(ctx, ST_RUNSTATE_SPLIT_UPDATES)).toBe(1);
    expect(ctx.gpcs[gpcBase(rs.g2) + G_ACTIVE]).toBe(1);
    guestReads(ctx, vs);
    expect(totalFindings(ctx.findings)).toBe(0);
  });
});

describe('the guest runstate oracle (records) fires on a bad copy', () => {
  it('a copy whose second page is not the kernel\'s (torn across the boundary) is a runstate-torn finding', () => {
    const ctx = runstateVm();
    const vs = openVcpuState(ctx, 1);
    inSrcu(ctx, () => kvmXenRunstateSetRunning(ctx, vs.runstate!));
    inSrcu(ctx, () => kvmXenRunstateSetPreempted(ctx, vs.runstate!));
    guestReads(ctx, vs);
    expect(totalFindings(ctx.findings)).toBe(0);
    // time[3] (words 10, 11) lives on the second page for vCPU 1 (12 bytes on the first).
    const gfn2 = cacheNamed(TABLE, 'runstate2_cache vcpu-1').gfn;
    const at2 = filePfn(ctx.host.mm, gfn2) * ctx.pageInts - 3;
    ctx.ram[at2 + rsTimeLo(3)] = (ctx.ram[at2 + rsTimeLo(3)]! + 7) | 0;
    guestReads(ctx, vs);
    const records = readFindingRecords(ctx.findings);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ property: PROP_RECORDS, c: RECORD_RUNSTATE_TORN, a: -7, b: 12 });
  });

  it('an older consistent copy after a newer one is a runstate-backwards finding', () => {
    const ctx = runstateVm();
    const vs = openVcpuState(ctx, 0);
    const gpc1 = cacheNamed(TABLE, 'runstate_cache vcpu-0');
    const at = filePfn(ctx.host.mm, gpc1.gfn) * ctx.pageInts + (gpc1.offset >> 2);
    inSrcu(ctx, () => kvmXenRunstateSetRunning(ctx, vs.runstate!));
    const older = ctx.ram.slice(at, at + RUNSTATE_BYTES / 4);
    guestReads(ctx, vs);
    inSrcu(ctx, () => kvmXenRunstateSetPreempted(ctx, vs.runstate!));
    guestReads(ctx, vs);
    expect(totalFindings(ctx.findings)).toBe(0);
    ctx.ram.set(older, at);
    expect(ctx.ram[at + RS_ENTRY_LO]).toBe(older[RS_ENTRY_LO]);
    guestReads(ctx, vs);
    const records = readFindingRecords(ctx.findings);
    expect(records.length).toBeGreaterThan(0);
    expect(records[0]).toMatchObject({ property: PROP_RECORDS, c: RECORD_RUNSTATE_BACKWARDS, a: 0 });
    expect(records[0]!.b).toBeGreaterThan(0);
  });
});

describe('lockdep-lite on the runstate locks (one thread, lockdep on)', () => {
  function bothCrossingVcpus(bugMask: number): SharedArrayBuffer {
    const ctx = runstateVm({ bugMask });
    const lockdep = createLockdepBuffer();
    lockdepEnable(lockdep, ctx.thread, 'main');
    for (const v of [1, 3]) {
      const vs = openVcpuState(ctx, v);
      inSrcu(ctx, () => kvmXenRunstateSetRunning(ctx, vs.runstate!));
      inSrcu(ctx, () => kvmXenRunstateSetPreempted(ctx, vs.runstate!));
    }
    lockdepDisable();
    expect(counter(ctx, ST_RUNSTATE_SPLIT_UPDATES)).toBe(4);
    return lockdep;
  }

  it('upstream order (gpc1 at subclass 1, then gpc2) on every vCPU: no finding', () => {
    expect(lockdepFindingCount(bothCrossingVcpus(0))).toBe(0);
  });

  it('runstate-lock-order: vCPU 1 (update byte on page 2) takes gpc2 first, vCPU 3 gpc1 first: the cycle gpc.lock/1 <-> gpc.lock is found', () => {
    const lockdep = bothCrossingVcpus(BUG_RUNSTATE_LOCK_ORDER);
    const findings = readLockdepFindings(lockdep);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toMatch(/gpc\.lock\/1/);
    expect([...findings[0]!.chainA, ...findings[0]!.chainB].sort()).toEqual(['gpc.lock', 'gpc.lock', 'gpc.lock/1', 'gpc.lock/1']);
  });
});
