/**
 * free-while-in-guest: "no page is freed while a vCPU in guest mode still uses it". Checked by
 * the mm, under the mm write lock, just before it frees `pfn`. A vCPU is using the page if it is
 * running guest steps (RUNNING, set after its entry check committed, cleared before it leaves
 * guest mode) with the page in one of its hardware registers. The reference protocol evicts such
 * vCPUs (WAIT) before the mm change, so RUNNING is 0 for every vCPU that holds the page.
 */
import { countCheck, finding, type ModelContext } from '../../kvm/model-context.js';
import { V_HW_PI_PFN, V_HW_VAPIC_PFN, V_RUNNING, VCPU_INTS } from '../../kvm/vcpu-layout.js';
import { defineProperty } from '../../trace/property.js';

export const PROP_FREE_WHILE_IN_GUEST = 2;

/** The hardware register that held the page (the finding's `b`). */
const REG_VAPIC = 1;
const REG_PI = 2;

export const freeWhileInGuest = defineProperty({
  id: PROP_FREE_WHILE_IN_GUEST,
  name: 'free-while-in-guest',
  kind: 'safety',
  description: 'a page was freed while a vCPU in guest mode was using it',
  fills: { cache: false, gpa: false, pfn: true },
  fields: {
    vcpu: 'the vCPU running guest steps with the page',
    register: 'which of its hardware registers held it: "vapic-page" or "pi-descriptor"',
  },
  details: (a, b) => ({ vcpu: a, register: b === REG_VAPIC ? 'vapic-page' : 'pi-descriptor' }),
  describe: (d, s) =>
    `the mm freed pfn ${s.pfn} while vcpu-${d.vcpu} was running guest steps with it as its ${d.register === 'vapic-page' ? 'virtual-APIC page' : 'posted-interrupt descriptor'}`,
});

export function checkFreeWhileInGuest(ctx: ModelContext, pfn: number): void {
  if (!ctx.oracles) return;
  countCheck(ctx, PROP_FREE_WHILE_IN_GUEST);
  const vcpus = ctx.vcpus;
  for (let v = 0; v < ctx.nvcpus; v++) {
    const base = v * VCPU_INTS;
    if (Atomics.load(vcpus, base + V_RUNNING) === 0) continue;
    const vapic = Atomics.load(vcpus, base + V_HW_VAPIC_PFN);
    const pi = Atomics.load(vcpus, base + V_HW_PI_PFN);
    if (vapic === pfn || pi === pfn) finding(ctx, PROP_FREE_WHILE_IN_GUEST, -1, -1, pfn, v, vapic === pfn ? REG_VAPIC : REG_PI, 0);
  }
}
