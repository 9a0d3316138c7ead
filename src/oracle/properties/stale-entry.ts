/**
 * stale-entry: a vCPU entered guest mode with a guest-uses translation (gpa -> uhva) from a
 * memslot generation older than the one current when it set IN_GUEST_MODE, and that newer
 * generation maps the gfn elsewhere: a memslot move the entry check missed. Checked at every
 * committed vmentry.
 */
import { countCheck, finding, type ModelContext } from '../../kvm/model-context.js';
import { ST_OLD_GENERATION_ENTRIES } from '../../kvm/thread-stats.js';
import { defineProperty } from '../../trace/property.js';

export const PROP_STALE_ENTRY = 5;

/**
 * The finding's `c`: host virtual page used * 1024 + vCPU * 2 + (0 vAPIC page | 1 PI descriptor).
 * The one place that packs it (the hot path) and the one that unpacks it (below) are side by side.
 */
function packRegister(vpage: number, v: number, isPi: boolean): number {
  return vpage * 1024 + v * 2 + (isPi ? 1 : 0);
}

function unpackRegister(c: number): { vcpu: number; register: 'vapic-page' | 'pi-descriptor'; uhvaPage: number } {
  return { vcpu: (c & 1023) >> 1, register: (c & 1) === 0 ? 'vapic-page' : 'pi-descriptor', uhvaPage: Math.floor(c / 1024) };
}

export const staleEntry = defineProperty({
  id: PROP_STALE_ENTRY,
  name: 'stale-entry',
  kind: 'safety',
  description: 'a vCPU entered guest mode with a guest-uses translation from a memslot generation older than the one current at entry',
  fills: { cache: true, gpa: false, pfn: false },
  fields: {
    vcpu: 'the vCPU that entered',
    register: 'the hardware register with the stale translation: "vapic-page" or "pi-descriptor"',
    uhvaPage: 'the host virtual page the hardware\'s translation used',
    hwGeneration: 'the memslot generation of the hardware\'s translation',
    entryGeneration: 'the generation current when the vCPU set IN_GUEST_MODE',
  },
  details: (a, b, c) => ({ ...unpackRegister(c), hwGeneration: a, entryGeneration: b }),
  describe: (d) =>
    `vcpu-${d.vcpu} entered guest mode with its ${d.register === 'vapic-page' ? 'virtual-APIC page' : 'posted-interrupt descriptor'} translated through host virtual page ${d.uhvaPage} at memslot generation ${d.hwGeneration}, but generation ${d.entryGeneration}, current when it set IN_GUEST_MODE, maps that gfn elsewhere: a memslot move the entry check missed (stale gpa -> uhva)`,
});

/**
 * At guest entry (committed): the hardware's pages were translated through host virtual pages
 * `hwVapicVpage` / `hwPiVpage` at memslot generation `hwGen`. `entryGen`, `vapicVpageNow` and
 * `piVpageNow` are the generation and the translations of the same gfns read right after the vCPU
 * published IN_GUEST_MODE, before its entry check. A memslot update published before that point
 * is one the entry check must catch (a later one is covered by the update's kick). So: an entry
 * whose translation is older than entryGen AND differs from the translation at entry ran with a
 * stale gpa -> uhva translation. An old generation with an unchanged translation (another slot
 * moved, the dummy slot toggled) is not stale and only counted (ctx counter `benignStale`).
 */
export function checkEntryTranslation(
  ctx: ModelContext,
  v: number,
  g: number,
  hwGen: number,
  entryGen: number,
  hwVapicVpage: number,
  vapicVpageNow: number,
  hwPiVpage: number,
  piVpageNow: number,
): boolean {
  if (!ctx.oracles) return true;
  countCheck(ctx, PROP_STALE_ENTRY);
  if (((hwGen - entryGen) | 0) >= 0) return true;
  if (hwVapicVpage === vapicVpageNow && hwPiVpage === piVpageNow) {
    ctx.counters[ST_OLD_GENERATION_ENTRIES]! += 1;
    return true;
  }
  const changed = hwVapicVpage !== vapicVpageNow;
  finding(ctx, PROP_STALE_ENTRY, changed ? g : g + 1, -1, -1, hwGen, entryGen, packRegister(changed ? hwVapicVpage : hwPiVpage, v, !changed));
  return false;
}
