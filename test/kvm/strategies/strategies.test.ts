import { describe, expect, it } from 'vitest';
import { buildVm } from '../../../src/stress/build-vm.js';
import { MM_MIGRATE, mmEventBegin, mmEventFinish } from '../../../src/kvm/host-mm-events.js';
import { openVcpuState } from '../../../src/kvm/vcpu-entry.js';
import { getNestedStatePages } from '../../../src/kvm/users/nested-pages.js';
import { srcuEnter, srcuExit } from '../../../src/kvm/srcu.js';
import { publishSlotUpdate, readCurrentSlot } from '../../../src/mem/memslot-update.js';
import { SLOT_PRESENT } from '../../../src/mem/memslots.js';
import { strategies, strategyById, strategyId, strategyNames, STRATEGY_NAMES } from '../../../src/kvm/strategies/registry.js';
import { REQ_GPC_INVALIDATE } from '../../../src/kvm/vcpu-layout.js';
import { VM_EVICTION_REQUEST, WORKLOAD_NESTED } from '../../../src/kvm/vm-layout.js';
import { testVmConfig } from '../../support/vm-config.js';

function nestedVm(strategy: string) {
  const built = buildVm(
    testVmConfig({ vcpus: 1, strategy: strategyId(strategy), traceDepth: 16, workload: WORKLOAD_NESTED, guestSteps: 1, eventPermille: 0, stealPermille: 0, postPermille: 0 }),
  );
  const ctx = built.main;
  const vs = openVcpuState(ctx, 0, strategyId(strategy));
  const srcu = srcuEnter(ctx);
  expect(getNestedStatePages(ctx, vs.gr)).toBe(true);
  srcuExit(ctx, srcu);
  return { built, ctx, vs };
}

describe('entry-check strategies (one module each, in the registry)', () => {
  it('the registry lists the four built-in strategies in id order, each with a source, a summary and a check', () => {
    expect(strategyNames()).toEqual([...STRATEGY_NAMES]);
    for (const [id, s] of strategies().entries()) {
      expect(strategyById(id)).toBe(s);
      expect(s.source.length).toBeGreaterThan(5);
      expect(s.summary.length).toBeGreaterThan(5);
      expect(typeof s.check).toBe('function');
    }
    expect(() => strategyById(99)).toThrow(/no entry strategy with id 99 \(known: locked, generation, lockless, none\)/);
  });

  it('freshly loaded registers pass every strategy\'s check', () => {
    for (const name of STRATEGY_NAMES) {
      const { ctx, vs } = nestedVm(name);
      expect(vs.check(ctx, vs.gr), name).toBe(true);
    }
  });

  it('an invalidation of the vAPIC page: locked and lockless fail (valid cleared); generation and none pass (generation relies on the eviction\'s request)', () => {
    const expected: Record<string, boolean> = { locked: false, lockless: false, generation: true, none: true };
    for (const name of STRATEGY_NAMES) {
      const { ctx, vs } = nestedVm(name);
      const gfn = vs.gr.gfn[0]!;
      mmEventBegin(ctx, MM_MIGRATE, gfn);
      mmEventFinish(ctx, MM_MIGRATE, gfn);
      expect(vs.check(ctx, vs.gr), name).toBe(expected[name]);
    }
  });

  it('a memslot update: generation fails (new generation); locked fails too (kvm_gpc_check compares the generation); lockless and none pass', () => {
    const expected: Record<string, boolean> = { locked: false, lockless: true, generation: false, none: true };
    for (const name of STRATEGY_NAMES) {
      const { built, ctx, vs } = nestedVm(name);
      const dummy = built.layout.slotDummy;
      const current = readCurrentSlot(ctx.ms, dummy);
      publishSlotUpdate(ctx.ms, dummy, { ...current, flags: current.flags ^ SLOT_PRESENT });
      expect(vs.check(ctx, vs.gr), name).toBe(expected[name]);
    }
  });

  it('the eviction request comes from the strategy: GPC_INVALIDATE for generation, none (0) for the others', () => {
    for (const name of STRATEGY_NAMES) {
      const { ctx } = nestedVm(name);
      expect(ctx.vm[VM_EVICTION_REQUEST], name).toBe(name === 'generation' ? REQ_GPC_INVALIDATE : 0);
      expect(ctx.evictionRequest).toBe(strategyById(strategyId(name)).evictionRequest);
    }
  });
});
