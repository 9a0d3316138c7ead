/**
 * stale-entry: a vCPU entered guest mode with a guest-uses translation (gpa -> uhva) from a
 * memslot generation older than the one current when it set IN_GUEST_MODE, and that newer
 * generation maps the gfn elsewhere: a memslot move the entry check missed. Checked at every
 * committed vmentry.
 */
import { countCheck, finding, type ModelContext } from '../../kvm/model-context.js';
import { R_VPAGE, REGISTER_INTS, type GuestRegisters } from '../../kvm/guest-registers.js';
import { ST_OLD_GENERATION_ENTRIES } from '../../kvm/thread-stats.js';
import { defineProperty } from '../../trace/property.js';

export const PROP_STALE_ENTRY = 5;

export const staleEntry = defineProperty({
  id: PROP_STALE_ENTRY,
  name: 'stale-entry',
  kind: 'safety',
  description: 'a vCPU entered guest mode with a guest-uses translation from a memslot generation older than the one current at entry',
  fills: { cache: true, gpa: false, pfn: false },
  fields: {
    uhvaPage: 'the host virtual page the hardware\'s translation of the cache\'s gfn used',
    hwGeneration: 'the memslot generation of the hardware\'s translations (the oldest of its registers)',
    entryGeneration: 'the generation current when the vCPU set IN_GUEST_MODE',
  },
  details: (a, b, c) => ({ uhvaPage: c, hwGeneration: a, entryGeneration: b }),
  describe: (d, s) =>
    `a vCPU entered guest mode with the guest-uses page of gpc ${s.cache} translated through host virtual page ${d.uhvaPage} at memslot generation ${d.hwGeneration}, but generation ${d.entryGeneration}, current when it set IN_GUEST_MODE, maps that gfn elsewhere: a memslot move the entry check missed (stale gpa -> uhva)`,
});

/**
 * At guest entry (committed): the hardware's registers were loaded from translations at memslot
 * generation `gr.generation` (the oldest of them), through host virtual pages R_VPAGE. `entryGen`
 * and `gr.vpageNow` are the generation and the translations of the same gfns read right after the
 * vCPU published IN_GUEST_MODE, before its entry check. A memslot update published before that
 * point is one the entry check must catch (a later one is covered by the update's kick). So: an
 * entry whose translation is older than entryGen AND differs from the translation at entry ran with
 * a stale gpa -> uhva translation (a finding on the first such register's cache: a = the registers'
 * generation, b = entryGen, c = the host virtual page it used). An old generation with unchanged
 * translations (another slot moved, the dummy slot toggled) is not stale and only counted.
 */
export function checkEntryTranslation(ctx: ModelContext, gr: GuestRegisters, entryGen: number): boolean {
  if (!ctx.oracles) return true;
  countCheck(ctx, PROP_STALE_ENTRY);
  if (((gr.generation - entryGen) | 0) >= 0) return true;
  for (let r = 0; r < gr.count; r++) {
    const used = gr.regs[r * REGISTER_INTS + R_VPAGE]!;
    if (used === gr.vpageNow[r]) continue;
    finding(ctx, PROP_STALE_ENTRY, gr.cache[r]!, -1, -1, gr.generation, entryGen, used);
    return false;
  }
  ctx.counters[ST_OLD_GENERATION_ENTRIES]! += 1;
  return true;
}
