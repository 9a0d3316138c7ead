/**
 * free-while-in-guest: "no page is freed while a vCPU in guest mode still uses it". Checked by
 * the mm, under the mm write lock, just before it frees `pfn`. A vCPU is using the page if it is
 * running guest steps (RUNNING, set after its entry check committed, cleared before it leaves
 * guest mode) with the page in one of its hardware registers. The reference protocol evicts such
 * vCPUs (WAIT) before the mm change, so RUNNING is 0 for every vCPU that holds the page.
 */
import { countCheck, finding, type ModelContext } from '../../kvm/model-context.js';
import { sharedRegisterPfn } from '../../kvm/guest-registers.js';
import { V_RUNNING, VCPU_INTS } from '../../kvm/vcpu-layout.js';
import { defineProperty } from '../../trace/property.js';

export const PROP_FREE_WHILE_IN_GUEST = 2;

export const freeWhileInGuest = defineProperty({
  id: PROP_FREE_WHILE_IN_GUEST,
  name: 'free-while-in-guest',
  kind: 'safety',
  description: 'a page was freed while a vCPU in guest mode was using it',
  fills: { cache: true, gpa: false, pfn: true },
  fields: {
    vcpu: 'the vCPU running guest steps with the page',
    register: 'the guest-uses register that held it (its cache is the finding\'s cache)',
  },
  details: (a, b) => ({ vcpu: a, register: b }),
  describe: (d, s) =>
    `the mm freed pfn ${s.pfn} while vcpu-${d.vcpu} was running guest steps with it in its guest-uses register ${d.register} (the pfn of gpc ${s.cache})`,
});

/** Finding: cache = the register's cache, a = the vCPU, b = the register. */
export function checkFreeWhileInGuest(ctx: ModelContext, pfn: number): void {
  if (!ctx.oracles) return;
  countCheck(ctx, PROP_FREE_WHILE_IN_GUEST);
  const vcpus = ctx.vcpus;
  const registers = ctx.layout.caches.registersPerVcpu;
  for (let v = 0; v < ctx.nvcpus; v++) {
    if (Atomics.load(vcpus, v * VCPU_INTS + V_RUNNING) === 0) continue;
    for (let r = 0; r < registers; r++) {
      if (sharedRegisterPfn(ctx.registers, ctx.registerStride, v, r) !== pfn) continue;
      finding(ctx, PROP_FREE_WHILE_IN_GUEST, ctx.layout.caches.registerCache[v * registers + r]!, -1, pfn, v, r, 0);
      break;
    }
  }
}
