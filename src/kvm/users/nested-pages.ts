/**
 * Nested VMX guest-uses pages, per vCPU: the virtual-APIC page and the posted-interrupt descriptor.
 * GET_NESTED_STATE_PAGES refreshes both caches and loads their pfns into the vCPU "hardware"
 * (vmcs02 fields); in guest mode the hardware uses those pfns directly, with no lock: it processes
 * posted interrupts (PIR -> IRR) and ticks a counter in the vAPIC page.
 */
import { readLock, readUnlock } from '../../sync/rwlock.js';
import { checkHardwareAccess, checkHardwareWrite, checkKhvaAccessLocked } from '../../oracle/access-oracles.js';
import { LW_HW_TICK, LW_POSTED_INTERRUPTS } from '../../oracle/retired-memory.js';
import { STEP_HW_LOAD } from '../../trace/trace-steps.js';
import { G_GENERATION, G_INSTALL_EPOCH, G_PFN, G_UHVA, GPC_LOCK, gpcBase } from '../gpc-layout.js';
import { gpcCheckLocked, gpcRefresh } from '../gpc.js';
import { NESTED_REG_PI, NESTED_REG_VAPIC, USER_NESTED_VMX } from '../cache-users.js';
import { loadRegister, publishRegisters, registerEpoch, registerPfn, R_PFN, REGISTER_INTS, type GuestRegisters } from '../guest-registers.js';
import { traceStep, type ModelContext } from '../model-context.js';
import { ST_CHECKS_FAILED, ST_CHECKS_OK, ST_GET_NESTED, ST_LAST_HW_TICK } from '../thread-stats.js';
import { PI_PIR, VAPIC_HW_TICK, VAPIC_IRR } from './page-fields.js';

/** Refreshes register r's cache until its check passes, then loads the register. Returns false if it could not be mapped. */
function loadGuestUsesPage(ctx: ModelContext, gr: GuestRegisters, r: number): boolean {
  const gpcs = ctx.gpcs;
  const g = gr.cache[r]!;
  const base = gpcBase(g);
  readLock(gpcs, base + GPC_LOCK);
  while (!gpcCheckLocked(ctx, g, -1, ctx.pageSize)) {
    readUnlock(gpcs, base + GPC_LOCK);
    ctx.counters[ST_CHECKS_FAILED]! += 1;
    if (gpcRefresh(ctx, g, ctx.pageSize) < 0) return false;
    readLock(gpcs, base + GPC_LOCK);
  }
  ctx.counters[ST_CHECKS_OK]! += 1;
  checkKhvaAccessLocked(ctx, g);
  const pfn = gpcs[base + G_PFN]!;
  const epoch = gpcs[base + G_INSTALL_EPOCH]!;
  loadRegister(gr, r, pfn, epoch, gpcs[base + G_GENERATION]!, gpcs[base + G_UHVA]! >> ctx.pageShift);
  readUnlock(gpcs, base + GPC_LOCK);
  traceStep(ctx, STEP_HW_LOAD, g, -1, pfn, epoch);
  return true;
}

/**
 * nested_get_vmcs12_pages: (re)load the nested user's guest-uses pages (vAPIC page, then PI
 * descriptor) into the hardware registers. Called outside guest mode (RUNNING is 0). Returns false
 * if a page could not be mapped (its registers are then cleared and the vCPU runs without the
 * nested work).
 */
export function getNestedStatePages(ctx: ModelContext, gr: GuestRegisters): boolean {
  ctx.counters[ST_GET_NESTED]! += 1;
  const first = gr.userRegister[USER_NESTED_VMX]!;
  const ok = loadGuestUsesPage(ctx, gr, first + NESTED_REG_VAPIC) && loadGuestUsesPage(ctx, gr, first + NESTED_REG_PI);
  if (!ok) {
    gr.regs[(first + NESTED_REG_VAPIC) * REGISTER_INTS + R_PFN] = -1;
    gr.regs[(first + NESTED_REG_PI) * REGISTER_INTS + R_PFN] = -1;
  }
  publishRegisters(ctx.registers, ctx.registerStride, gr);
  return ok;
}

/** One step of the vCPU hardware in guest mode: posted interrupts PIR -> IRR, then a tick. */
export function nestedHardwareStep(ctx: ModelContext, gr: GuestRegisters): void {
  const ram = ctx.ram;
  const first = gr.userRegister[USER_NESTED_VMX]!;
  const rVapic = first + NESTED_REG_VAPIC;
  const rPi = first + NESTED_REG_PI;
  const vapicPfn = registerPfn(gr, rVapic);
  const piPfn = registerPfn(gr, rPi);
  if (piPfn >= 0 && vapicPfn >= 0) {
    checkHardwareAccess(ctx, gr.cache[rPi]!, piPfn, registerEpoch(gr, rPi));
    const posted = Atomics.exchange(ram, piPfn * ctx.pageInts + PI_PIR, 0);
    if (posted !== 0) {
      checkHardwareAccess(ctx, gr.cache[rVapic]!, vapicPfn, registerEpoch(gr, rVapic));
      checkHardwareWrite(ctx, gr.cache[rVapic]!, vapicPfn, LW_POSTED_INTERRUPTS, posted);
      Atomics.add(ram, vapicPfn * ctx.pageInts + VAPIC_IRR, posted);
    }
  }
  if (vapicPfn >= 0) {
    gr.tick = (gr.tick + 1) | 0;
    Atomics.store(ram, vapicPfn * ctx.pageInts + VAPIC_HW_TICK, gr.tick);
    checkHardwareAccess(ctx, gr.cache[rVapic]!, vapicPfn, registerEpoch(gr, rVapic));
    checkHardwareWrite(ctx, gr.cache[rVapic]!, vapicPfn, LW_HW_TICK, 1);
    ctx.counters[ST_LAST_HW_TICK] = gr.tick;
  }
}
