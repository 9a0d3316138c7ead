/** `none`: no entry check at all — the unsafe baseline the oracles must catch. */
import type { GuestRegisters } from '../guest-registers.js';
import type { ModelContext } from '../model-context.js';
import type { EntryStrategy } from './entry-strategy.js';

function entryCheckNone(_ctx: ModelContext, _gr: GuestRegisters): boolean {
  return true;
}

export const NONE: EntryStrategy = {
  name: 'none',
  source: 'unsafe baseline (no upstream code)',
  summary: 'no entry check (unsafe baseline)',
  check: entryCheckNone,
  evictionRequest: 0,
  note: () => [
    'none: no entry check. After an eviction the vCPU re-enters with the pfns it loaded before, so the hardware uses pages the mm has freed (uaf-guest-mode, free-while-in-guest) and posted interrupts land in freed pages (events).',
  ],
  benchFloor: () => undefined,
};
