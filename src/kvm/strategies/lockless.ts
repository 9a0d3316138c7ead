/**
 * `lockless`: per guest-uses cache `active && !valid` with plain loads, no lock, no generation
 * compare (the 2025-26 nested-VMX series: kvm_gpc_invalid, evaluated in kvm_vcpu_exit_request).
 */
import { STEP_ENTRY_CHECK_FAIL } from '../../trace/trace-steps.js';
import { G_ACTIVE, G_VALID, gpcBase } from '../gpc-layout.js';
import { registerPfn, type GuestRegisters } from '../guest-registers.js';
import { traceStep, type ModelContext } from '../model-context.js';
import type { EntryStrategy, StrategyRunFacts } from './entry-strategy.js';

function entryCheckLocklessCache(ctx: ModelContext, g: number, hwPfn: number): boolean {
  const base = gpcBase(g);
  const invalid = ctx.gpcs[base + G_ACTIVE] !== 0 && ctx.gpcs[base + G_VALID] === 0;
  if (invalid) traceStep(ctx, STEP_ENTRY_CHECK_FAIL, g, -1, hwPfn, 0);
  return !invalid;
}

function entryCheckLockless(ctx: ModelContext, gr: GuestRegisters): boolean {
  for (let r = 0; r < gr.count; r++) if (!entryCheckLocklessCache(ctx, gr.cache[r]!, registerPfn(gr, r))) return false;
  return true;
}

function locklessNote(facts: StrategyRunFacts): string[] {
  const stale = facts.findings('stale-entry');
  const harm = facts.findings('uaf-guest-mode') + facts.findings('free-while-in-guest') + facts.findings('events') + facts.findings('records') + facts.findings('lost-write');
  const lines = [
    'lockless (active && !valid, plain loads, no lock, no generation compare): invalidations are caught (the hook clears valid before it evicts, and the vCPU reads valid after IN_GUEST_MODE), but a memslot update does not touch valid.',
  ];
  if (stale > 0) {
    lines.push(
      `It missed memslot updates: ${stale} vmentries ran with a guest-uses gpa -> uhva translation that a memslot move had already replaced when the vCPU set IN_GUEST_MODE (stale-entry; the interleaving shows the memslot-publish of the nested slot, then the vCPU entering without reloading), and ${facts.oldGenerationEntries} more entered with an old generation whose translation happened to be unchanged (another slot moved).`,
    );
    lines.push(
      harm === 0
        ? 'No page was freed under the hardware and no event or record was lost: the memslot changes it missed kept the same memory under the gfns (an MR_MOVE, a flags change, the dummy slot), or no DELETE onto different memory raced an entry. The stale translation lasts until the old host mapping is unmapped (an MMU-notifier event that clears valid).'
        : `It also caused ${harm} use-after-free / lost-data findings (lost-write: the hardware kept writing into the memory a DELETE took away, which the re-created slot no longer maps; see "lost data" and the findings below).`,
    );
  } else {
    lines.push('No stale entry was seen in this run: raise --memslot-rate or --duration to give memslot moves a chance to race entries.');
  }
  return lines;
}

export const LOCKLESS: EntryStrategy = {
  name: 'lockless',
  source: 'the 2025-26 nested-VMX series (Griffoul): kvm_gpc_invalid in kvm_vcpu_exit_request',
  summary: 'per guest-uses cache: active && !valid, plain loads, no lock, no generation compare',
  check: entryCheckLockless,
  evictionRequest: 0,
  note: locklessNote,
  benchFloor: () => 'raw: 4 plain loads',
};
