/**
 * lost-write on a one-thread VM (the main context plays the vCPU, no worker): a slot DELETEd and
 * re-CREATEd onto different memory by the control plane, then writes through translations from
 * before it. A write while the DELETE is in progress is the VMM's, one after it by an entry from
 * before it is in flight, one by an entry or SRCU section that began after it is the kernel's
 * (a finding). The faults are the lockless entry check (no generation compare) and the
 * check-ignores-generation bug; the correct checks stay silent.
 */
import { describe, expect, it } from 'vitest';
import { testVmConfig } from '../../support/vm-config.js';
import { buildVm } from '../../../src/stress/build-vm.js';
import { ControlPlane } from '../../../src/stress/control-plane.js';
import { USER_NESTED_VMX, USER_STEAL_TIME, workloadMask } from '../../../src/kvm/cache-users.js';
import { openVcpuState, vcpuEnterGuest, type VcpuState } from '../../../src/kvm/vcpu-entry.js';
import { srcuEnter, srcuExit } from '../../../src/kvm/srcu.js';
import { makeRequest } from '../../../src/kvm/vcpu-kick.js';
import { REQ_GET_NESTED_STATE_PAGES } from '../../../src/kvm/vcpu-layout.js';
import { nestedHardwareStep } from '../../../src/kvm/users/nested-pages.js';
import { recordStealTime } from '../../../src/kvm/users/steal-time.js';
import { strategyId } from '../../../src/kvm/strategies/registry.js';
import { BUG_CHECK_IGNORES_GENERATION } from '../../../src/kvm/bug-switches.js';
import { flushCounters, type ModelContext } from '../../../src/kvm/model-context.js';
import { PROP_LOST_WRITE } from '../../../src/oracle/properties/lost-write.js';
import { LW_BY_KERNEL, LW_BY_VMM, LW_HW_TICK, LW_IN_FLIGHT, LW_STEAL_RECORD, deletesDone, sumLostWriteTallies } from '../../../src/oracle/retired-memory.js';
import { ST_PROP_CHECKS, readStat } from '../../../src/kvm/thread-stats.js';
import { readFindingRecords } from '../../../src/trace/findings.js';
import { userCache } from '../../../src/kvm/cache-table.js';
import { gpcActivateHva } from '../../../src/kvm/gpc.js';
import { G_UHVA, gpcBase } from '../../../src/kvm/gpc-layout.js';
import { STEAL_RECORD_BYTES } from '../../../src/kvm/users/page-fields.js';
import { decodeRings } from '../../../src/trace/flight-recorder.js';
import { STEP_MEMSLOT_DELETE_RETURNED } from '../../../src/trace/trace-steps.js';
import { CACHE_LINE_INTS } from '../../../src/mem/shared-buffer.js';

function nestedVm(strategy: string) {
  const built = buildVm(testVmConfig({ vcpus: 1, strategy: strategyId(strategy), workload: workloadMask(['nested']), guestSteps: 1, eventPermille: 0, stealPermille: 0, postPermille: 0 }));
  const ctx = built.main;
  const vs = openVcpuState(ctx, 0);
  vs.srcu = srcuEnter(ctx);
  makeRequest(ctx.vcpus, 0, REQ_GET_NESTED_STATE_PAGES);
  vcpuEnterGuest(ctx, vs); // loads the vAPIC page and PI descriptor into the registers
  expect(vs.gr.regs[0]).toBeGreaterThanOrEqual(0);
  return { built, ctx, vs, plane: new ControlPlane(ctx, 0) };
}

/** DELETE and re-CREATE the nested slot with the vCPU outside its SRCU section (nothing to drain), then a new section. */
async function replaceNestedMemory(ctx: ModelContext, vs: VcpuState, plane: ControlPlane): Promise<void> {
  srcuExit(ctx, vs.srcu);
  expect(await plane.deleteAndCreate(USER_NESTED_VMX)).toBe(true);
  vs.srcu = srcuEnter(ctx);
}

const lostWrites = (ctx: ModelContext) => readFindingRecords(ctx.findings).filter((r) => r.property === PROP_LOST_WRITE);
const checks = (ctx: ModelContext) => {
  flushCounters(ctx);
  return readStat(ctx.statsShared, ctx.thread, ST_PROP_CHECKS + PROP_LOST_WRITE);
};
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('lost-write: writes into memory a memslot DELETE took away', () => {
  it('lockless: an entry after the DELETE returned keeps the old vAPIC translation, and its hardware tick is a lost write of DELETE #1', async () => {
    const { built, ctx, vs, plane } = nestedVm('lockless');
    await replaceNestedMemory(ctx, vs, plane);
    expect(deletesDone(ctx.retired)).toBe(1);
    vcpuEnterGuest(ctx, vs); // lockless passes (valid untouched by a memslot update): the hardware ticks
    const found = lostWrites(ctx);
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]).toMatchObject({ a: LW_HW_TICK, b: 1, c: 1, pfn: vs.gr.regs[0] });
    expect(sumLostWriteTallies(ctx.retired)[LW_HW_TICK]![LW_BY_KERNEL]).toBeGreaterThan(0);
    // The trace marks the DELETE's return (what the finding's interleaving shows before the write).
    const returned = decodeRings(ctx.fr.mem, CACHE_LINE_INTS, ctx.fr.depth, ctx.fr.threads, ctx.fr.depth).filter((e) => e.step === STEP_MEMSLOT_DELETE_RETURNED);
    expect(returned.map((e) => [e.arg, e.gpa >> ctx.pageShift])).toEqual([[1, built.layout.slotBase[USER_NESTED_VMX]]]);
  });

  it('generation and locked: the entry check sees the new generation, reloads onto the re-created memory, and nothing is lost', async () => {
    for (const strategy of ['generation', 'locked']) {
      const { ctx, vs, plane } = nestedVm(strategy);
      const before = vs.gr.regs[0];
      await replaceNestedMemory(ctx, vs, plane);
      for (let i = 0; i < 4; i++) vcpuEnterGuest(ctx, vs); // the first entry is cancelled, the next reload and run
      expect(vs.gr.regs[0], strategy).not.toBe(before);
      expect(lostWrites(ctx), strategy).toEqual([]);
      expect(checks(ctx), strategy).toBeGreaterThan(0);
      expect(sumLostWriteTallies(ctx.retired).flat().reduce((a, b) => a + b, 0), strategy).toBe(0);
    }
  });

  it('a hardware write while the DELETE waits for SRCU readers is the VMM\'s; one after it returned, from the same entry, is in flight: neither is a finding', async () => {
    const { ctx, vs, plane } = nestedVm('lockless');
    // The vCPU's section is still open: the DELETE's synchronize_srcu waits for it.
    const deleting = plane.deleteAndCreate(USER_NESTED_VMX);
    await tick(20);
    expect(deletesDone(ctx.retired)).toBe(0);
    nestedHardwareStep(ctx, vs.gr);
    srcuExit(ctx, vs.srcu);
    const bounded = await Promise.race([deleting, tick(10_000).then(() => 'timeout')]);
    expect(bounded).toBe(true);
    nestedHardwareStep(ctx, vs.gr); // same guest-mode entry as before the DELETE returned
    const tallies = sumLostWriteTallies(ctx.retired)[LW_HW_TICK]!;
    expect(tallies[LW_BY_VMM]).toBe(1);
    expect(tallies[LW_IN_FLIGHT]).toBe(1);
    expect(tallies[LW_BY_KERNEL]).toBe(0);
    expect(lostWrites(ctx)).toEqual([]);
  });

  it('host-uses: a steal-time record written through a cache whose check skips the generation (check-ignores-generation) after the DELETE is a lost write; mainline\'s check refreshes onto the new memory', async () => {
    for (const bugMask of [BUG_CHECK_IGNORES_GENERATION, 0]) {
      const built = buildVm(testVmConfig({ vcpus: 1, bugMask, workload: workloadMask(['steal']), eventPermille: 0, stealPermille: 0, postPermille: 0 }));
      const ctx = built.main;
      let srcu = srcuEnter(ctx);
      expect(recordStealTime(ctx, 0)).toBe(true);
      srcuExit(ctx, srcu);
      expect(await new ControlPlane(ctx, 0).deleteAndCreate(USER_STEAL_TIME)).toBe(true);
      srcu = srcuEnter(ctx);
      expect(recordStealTime(ctx, 0)).toBe(true);
      srcuExit(ctx, srcu);
      const found = lostWrites(ctx);
      if (bugMask !== 0) {
        expect(found).toHaveLength(1);
        expect(found[0]).toMatchObject({ a: LW_STEAL_RECORD, b: 1, c: 1 });
      } else {
        expect(found).toEqual([]);
        expect(checks(ctx)).toBeGreaterThanOrEqual(2);
      }
    }
  });

  it('an HVA cache (kvm_gpc_activate_hva) keeps writing where the VMM\'s address maps after the VMM DELETEd the slot behind it: the VMM\'s doing, counted, no finding', async () => {
    const built = buildVm(testVmConfig({ vcpus: 1, workload: workloadMask(['steal']), eventPermille: 0, stealPermille: 0, postPermille: 0 }));
    const ctx = built.main;
    const g = userCache(built.layout.caches, USER_STEAL_TIME, 0, 0);
    let srcu = srcuEnter(ctx);
    expect(gpcActivateHva(ctx, g, ctx.gpcs[gpcBase(g) + G_UHVA]!, STEAL_RECORD_BYTES)).toBe(0);
    expect(recordStealTime(ctx, 0)).toBe(true);
    srcuExit(ctx, srcu);
    expect(await new ControlPlane(ctx, 0).deleteAndCreate(USER_STEAL_TIME)).toBe(true);
    srcu = srcuEnter(ctx);
    expect(recordStealTime(ctx, 0)).toBe(true); // no generation compare for an HVA cache: the old window, still mapped
    srcuExit(ctx, srcu);
    expect(lostWrites(ctx)).toEqual([]);
    expect(sumLostWriteTallies(ctx.retired)[LW_STEAL_RECORD]).toEqual([1, 0, 0]);
  });
});
