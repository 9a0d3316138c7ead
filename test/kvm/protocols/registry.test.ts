/** The protocol registry: lookup, unknown names, resolving a variant's steps from mainline, runtime extras. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/util/usage-error.js';
import { readLock, readUnlock } from '../../../src/sync/rwlock.js';
import { buildVm } from '../../../src/stress/build-vm.js';
import { gpcCheckLocked } from '../../../src/kvm/gpc.js';
import { GPC_LOCK, gpcBase } from '../../../src/kvm/gpc-layout.js';
import { guestLayout } from '../../../src/kvm/guest-layout.js';
import { cacheNamed } from '../../../src/kvm/cache-table.js';
import { strategyId } from '../../../src/kvm/strategies/registry.js';
import { openVcpuState } from '../../../src/kvm/vcpu-entry.js';
import { GENERATION } from '../../../src/kvm/strategies/generation.js';
import { LOCKED } from '../../../src/kvm/strategies/locked.js';
import { MAINLINE } from '../../../src/kvm/protocols/mainline.js';
import { RANGE_RETRY, rangeAwareRetryCache } from '../../../src/kvm/protocols/range-retry.js';
import { WIRED_STEP_NAMES, describeProtocol, type ProtocolVariant } from '../../../src/kvm/protocols/protocol-variant.js';
import {
  shippedProtocols,
  findProtocol,
  parseProtocolOption,
  protocolById,
  protocolId,
  protocolNames,
  registerProtocol,
  resolveProtocol,
} from '../../../src/kvm/protocols/registry.js';
import { testVmConfig } from '../../support/vm-config.js';

const STEAL_0 = cacheNamed(guestLayout(1, 4096).caches, 'steal-time vcpu-0').index;

function mainVm(protocol: number) {
  return buildVm(testVmConfig({ vcpus: 1, traceDepth: 16, eventPermille: 0, stealPermille: 0, postPermille: 0, protocol }));
}

/** Runs kvm_gpc_check of the first steal-time cache under its read lock. */
function checkSteal(main: ReturnType<typeof mainVm>['main']): boolean {
  const lock = gpcBase(STEAL_0) + GPC_LOCK;
  readLock(main.gpcs, lock);
  const ok = gpcCheckLocked(main, STEAL_0, -1, 8);
  readUnlock(main.gpcs, lock);
  return ok;
}

describe('protocol registry', () => {
  it('lists mainline first (id 0, the default), then the shipped variants by name, each found by name and by id', () => {
    expect(protocolNames().slice(0, 7)).toEqual(['mainline', 'b17-trylock', 'dwmw2-range-2024', 'griffoul-v4', 'itazuri-gmem-rfc2', 'range-retry', 'seed-2021']);
    expect(findProtocol('mainline')).toBe(MAINLINE);
    expect(findProtocol('range-retry')).toBe(RANGE_RETRY);
    expect(protocolId('mainline')).toBe(0);
    expect(protocolById(protocolId('range-retry'))).toBe(RANGE_RETRY);
    expect(findProtocol('any')).toBeUndefined();
    expect(protocolId('any')).toBe(-1);
  });

  it('an unknown name is a usage error that names the value and lists the known variants', () => {
    expect(() => parseProtocolOption('--protocol', 'no-such-variant')).toThrow(UsageError);
    expect(() => parseProtocolOption('--protocol', 'no-such-variant')).toThrow("--protocol must be one of mainline, b17-trylock, dwmw2-range-2024, griffoul-v4, itazuri-gmem-rfc2, range-retry, seed-2021, got 'no-such-variant'");
    expect(() => protocolById(99)).toThrow(/protocol id 99 is not known in this thread/);
  });

  it('mainline supplies every wired step, each with its source; every shipped variant cites a source for each step it replaces', () => {
    for (const step of WIRED_STEP_NAMES) {
      expect(typeof MAINLINE.steps[step], step).toBe('function');
      expect(MAINLINE.stepSources[step], step).toMatch(/\S/);
    }
    expect(MAINLINE.steps.entryCheck).toBeUndefined();
    for (const variant of shippedProtocols()) {
      expect(variant.source, variant.name).toMatch(/\S/);
      expect(variant.summary, variant.name).not.toContain('\n');
      for (const { step, source } of describeProtocol(variant).steps) expect(source, `${variant.name}.${step}`).toMatch(/\S/);
    }
    expect(describeProtocol(RANGE_RETRY).steps.map((s) => s.step)).toEqual(['retryPredicate']);
    expect(RANGE_RETRY.source).toContain('Zw8DINUkJJKDByXE@google.com');
  });

  it("resolving range-retry takes its retry predicate and every other step from mainline, once (one object per variant)", () => {
    const steps = resolveProtocol(RANGE_RETRY);
    expect(steps.retryPredicate).toBe(rangeAwareRetryCache);
    for (const step of WIRED_STEP_NAMES.filter((s) => s !== 'retryPredicate')) expect(steps[step], step).toBe(MAINLINE.steps[step]);
    expect(resolveProtocol(RANGE_RETRY)).toBe(steps);
    const mainline = resolveProtocol(MAINLINE);
    for (const step of WIRED_STEP_NAMES) expect(mainline[step], step).toBe(MAINLINE.steps[step]);
  });

  it('a variant registered at run time gets the next id, and a VM built with that id dispatches kvm_gpc_check to it', () => {
    let calls = 0;
    const refuseAll: ProtocolVariant = {
      name: 'test-refuse-check',
      summary: 'kvm_gpc_check always fails',
      source: 'this test',
      steps: {
        check: function refuseCheck(): boolean {
          calls++;
          return false;
        },
      },
      stepSources: { check: 'a check that never passes (test)' },
    };
    const id = registerProtocol(refuseAll);
    expect(id).toBe(shippedProtocols().length);
    expect(registerProtocol(refuseAll)).toBe(id);
    expect(protocolNames()).toContain('test-refuse-check');
    expect(checkSteal(mainVm(0).main)).toBe(true);
    const { main } = mainVm(id);
    expect(main.protocol.check).toBe(refuseAll.steps.check);
    expect(main.protocol.retryPredicate).toBe(MAINLINE.steps.retryPredicate);
    expect(checkSteal(main)).toBe(false);
    expect(calls).toBeGreaterThan(0);
  });

  it('a variant that replaces entryCheck overrides the strategy\'s check in every vCPU; without one the strategy\'s is used', () => {
    const refuseEntry: ProtocolVariant = {
      name: 'test-entry-check',
      summary: 'the entry check always fails',
      source: 'this test',
      steps: {
        entryCheck: function refuseEntry(): boolean {
          return false;
        },
      },
      stepSources: { entryCheck: 'an entry check that never passes (test)' },
    };
    const id = registerProtocol(refuseEntry);
    const { main } = mainVm(id);
    expect(main.protocol.entryCheck).toBe(refuseEntry.steps.entryCheck);
    expect(openVcpuState(main, 0).check).toBe(refuseEntry.steps.entryCheck);
    // The bench's explicit strategy still wins (it times each strategy's own check).
    expect(openVcpuState(main, 0, strategyId('generation')).check).toBe(GENERATION.check);
    const plain = mainVm(0).main;
    expect(plain.protocol.entryCheck).toBeUndefined();
    expect(openVcpuState(plain, 0).check).toBe(LOCKED.check);
  });

  it('registration refuses a known name, an unknown step and a step without a source', () => {
    const base = { summary: 'x', source: 'y', stepSources: {} };
    expect(() => registerProtocol({ ...base, name: 'mainline', steps: {} })).toThrow(/'mainline' is already registered/);
    expect(() => registerProtocol({ ...base, name: 'Bad Name', steps: {} })).toThrow(/name must be 1-40 of \[a-z0-9-\]/);
    expect(() => registerProtocol({ ...base, name: 'test-typo', steps: { retryPredicat: () => true } as never })).toThrow(/'retryPredicat' is not a protocol step/);
    expect(() => registerProtocol({ ...base, name: 'test-unsourced', steps: { check: () => true } })).toThrow(/step 'check' has no source/);
    expect(protocolNames()).not.toContain('test-typo');
  });
});
