/**
 * "No page is freed while a vCPU in guest mode still uses it": called by the mm, under the mm
 * write lock, just before it frees `pfn`. A vCPU is using the page if it is running guest steps
 * (RUNNING, set after its entry check committed, cleared before it leaves guest mode) with the
 * page in one of its hardware registers. The reference protocol evicts such vCPUs (WAIT) before
 * the mm change, so RUNNING is 0 for every vCPU that holds the page.
 */
import { countCheck, finding, type ModelContext } from '../kvm/model-context.js';
import { V_HW_PI_PFN, V_HW_VAPIC_PFN, V_RUNNING, VCPU_INTS } from '../kvm/vcpu-layout.js';
import { PROP_FREE_WHILE_IN_GUEST } from './properties.js';

export function checkFreeWhileInGuest(ctx: ModelContext, pfn: number): void {
  if (!ctx.oracles) return;
  countCheck(ctx, PROP_FREE_WHILE_IN_GUEST);
  const vcpus = ctx.vcpus;
  for (let v = 0; v < ctx.nvcpus; v++) {
    const base = v * VCPU_INTS;
    if (Atomics.load(vcpus, base + V_RUNNING) === 0) continue;
    const vapic = Atomics.load(vcpus, base + V_HW_VAPIC_PFN);
    const pi = Atomics.load(vcpus, base + V_HW_PI_PFN);
    if (vapic === pfn || pi === pfn) finding(ctx, PROP_FREE_WHILE_IN_GUEST, -1, -1, pfn, v, vapic === pfn ? 1 : 2, 0);
  }
}
