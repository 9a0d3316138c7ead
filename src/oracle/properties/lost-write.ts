/**
 * lost-write: no write into memory a memslot DELETE took away, by a thread whose SRCU section began
 * after that DELETE's ioctl returned (host-uses writes under a passing check), or by the vCPU
 * hardware after an entry that came after it (guest-uses pages): such a write is data the guest
 * can never see, lost by the kernel through a stale translation. Writes into that memory while the
 * DELETE was in progress (the VMM's loss) and after it by a section or entry that began before it
 * (in flight) are only counted (src/oracle/retired-memory.ts). Checked at every host-uses access
 * through khva (src/oracle/access-oracles.ts) and every hardware write (src/kvm/users/nested-pages.ts).
 */
import { pageOwnerGfn } from '../../mem/page-allocator.js';
import { G_GPA, gpcBase } from '../../kvm/gpc-layout.js';
import { countCheck, finding, type ModelContext } from '../../kvm/model-context.js';
import { defineProperty } from '../../trace/property.js';
import { LW_BY_KERNEL, LW_BY_VMM, LW_IN_FLIGHT, LW_KIND_NAMES, deletesDone, retiredState, tallyLostWrite } from '../retired-memory.js';

export const PROP_LOST_WRITE = 14;

export const lostWrite = defineProperty({
  id: PROP_LOST_WRITE,
  name: 'lost-write',
  kind: 'safety',
  description: 'no write lands in memory a memslot DELETE took away, by a section or guest entry that began after the DELETE returned (a write the guest can never see)',
  fills: { cache: true, gpa: true, pfn: true },
  fields: {
    what: 'what was written: "steal-time record", "event-channel event", "vcpu_info selector", "runstate record", "vAPIC hardware tick" or "posted interrupts (PIR -> IRR)"',
    amount: 'how much: 1 for a record, event or selector; the interrupts moved for posted interrupts',
    deleteNumber: 'which DELETE (counted from 1 in the run) took the memory away',
  },
  details: (a, b, c) => ({ what: LW_KIND_NAMES[a] ?? `kind ${a}`, amount: b, deleteNumber: c }),
  describe: (d, s) =>
    `a ${d.what} (${d.amount}) was written into pfn ${s.pfn ?? '?'}, memory the memslot DELETE #${d.deleteNumber} took away, by a section or guest entry that began after that DELETE returned: the guest can never see it (a stale translation the check let through)`,
});

/**
 * Classifies a write of `amount` of kind `kind` into page `pfn` by a thread whose stamp (DELETEs
 * completed when its SRCU section began, or when it entered guest mode) is `stamp`. Hot path: two
 * loads when the page is mapped. Returns false for a kernel loss (reported).
 */
function classifyWrite(ctx: ModelContext, g: number, pfn: number, kind: number, amount: number, stamp: number, byVmmAddress: boolean): boolean {
  countCheck(ctx, PROP_LOST_WRITE);
  const filePage = pageOwnerGfn(ctx.host.mm, pfn);
  if (filePage < 0) return true;
  const state = retiredState(ctx.retired, filePage);
  if (state === 0) return true;
  if (state < 0 || byVmmAddress) {
    tallyLostWrite(ctx.retired, ctx.thread, kind, LW_BY_VMM, amount);
    return true;
  }
  if (stamp < state) {
    tallyLostWrite(ctx.retired, ctx.thread, kind, LW_IN_FLIGHT, amount);
    return true;
  }
  tallyLostWrite(ctx.retired, ctx.thread, kind, LW_BY_KERNEL, amount);
  finding(ctx, PROP_LOST_WRITE, g, ctx.gpcs[gpcBase(g) + G_GPA]!, pfn, kind, amount, state);
  return false;
}

/**
 * A host-uses write through cache g's khva into `pfn`, under g's read lock with its check passed
 * (kind from the cache's user). The writer's stamp is its SRCU section's; outside a section (none
 * does so today) the write itself is the start. An HVA cache (gpa INVALID_GPA, docs/UPSTREAM-SPEC.md
 * 4.1) writes where the VMM's own address maps, with no memslot involved: into memory the VMM took
 * out of every memslot but left at that address, it is the VMM's doing, never the kernel's.
 */
export function checkHostWriteLocked(ctx: ModelContext, g: number, pfn: number, kind: number): boolean {
  const stamp = ctx.srcuGeneration >= 0 ? ctx.srcuDeleteStamp : deletesDone(ctx.retired);
  return classifyWrite(ctx, g, pfn, kind, 1, stamp, ctx.gpcs[gpcBase(g) + G_GPA]! < 0);
}

/** The vCPU hardware writes `amount` of kind `kind` into `pfn` (the register of guest-uses cache g), in guest mode. */
export function checkHardwareWrite(ctx: ModelContext, g: number, pfn: number, kind: number, amount: number): boolean {
  if (!ctx.oracles) return true;
  return classifyWrite(ctx, g, pfn, kind, amount, ctx.guestEntryDeleteStamp, false);
}
