/**
 * `locked`: per guest-uses cache, read_lock + kvm_gpc_check + read_unlock, after IN_GUEST_MODE (the
 * seed's nested_vmx_check_guest_maps, David Woodhouse, 16 Nov 2021).
 */
import { readLock, readUnlock } from '../../sync/rwlock.js';
import { STEP_ENTRY_CHECK_FAIL } from '../../trace/trace-steps.js';
import { GPC_LOCK, gpcBase } from '../gpc-layout.js';
import { gpcCheckLocked } from '../gpc.js';
import { registerPfn, type GuestRegisters } from '../guest-registers.js';
import { traceStep, type ModelContext } from '../model-context.js';
import type { EntryStrategy } from './entry-strategy.js';

/** One cache: read_lock, kvm_gpc_check, read_unlock (`hwPfn` only names the pfn in the trace). Hot path. */
export function entryCheckLockedCache(ctx: ModelContext, g: number, hwPfn: number): boolean {
  const lock = gpcBase(g) + GPC_LOCK;
  readLock(ctx.gpcs, lock);
  const ok = gpcCheckLocked(ctx, g, -1, ctx.pageSize);
  readUnlock(ctx.gpcs, lock);
  if (!ok) traceStep(ctx, STEP_ENTRY_CHECK_FAIL, g, -1, hwPfn, 0);
  return ok;
}

function entryCheckLocked(ctx: ModelContext, gr: GuestRegisters): boolean {
  for (let r = 0; r < gr.count; r++) if (!entryCheckLockedCache(ctx, gr.cache[r]!, registerPfn(gr, r))) return false;
  return true;
}

function lockedBenchFloor(caches: number): string {
  return caches === 1 ? 'raw: add+sub' : `raw: add+sub x${caches}`;
}

export const LOCKED: EntryStrategy = {
  name: 'locked',
  source: 'the seed RFC: nested_vmx_check_guest_maps (dwmw2, 16 Nov 2021)',
  summary: 'per guest-uses cache: read_lock, kvm_gpc_check, read_unlock after IN_GUEST_MODE',
  check: entryCheckLocked,
  evictionRequest: 0,
  note: () => [
    'locked: each vmentry takes each guest-uses cache\'s read lock and runs kvm_gpc_check after IN_GUEST_MODE is visible; an invalidation clears valid under the write lock before it evicts, so either the check fails or the eviction (WAIT) catches the vCPU in guest mode.',
  ],
  benchFloor: lockedBenchFloor,
};
