/**
 * The VM configuration the single-thread model tests build (buildVm on the main thread, no worker):
 * 2 vCPUs, 4 KiB pages, the locked strategy, oracles on, every workload, seed 1. Each test passes
 * what it changes.
 */
import type { VmConfig } from '../../src/stress/build-vm.js';
import { strategyId } from '../../src/kvm/strategies/registry.js';
import { WORKLOAD_ALL } from '../../src/kvm/vm-layout.js';

export function testVmConfig(overrides: Partial<VmConfig> = {}): VmConfig {
  return {
    vcpus: 2,
    pageSize: 4096,
    strategy: strategyId('locked'),
    bugMask: 0,
    seed: 1,
    oracles: true,
    traceDepth: 64,
    workload: WORKLOAD_ALL,
    guestSteps: 8,
    eventPermille: 100,
    stealPermille: 100,
    postPermille: 100,
    ...overrides,
  };
}
