/**
 * Nested VMX guest-uses pages, per vCPU: the virtual-APIC page and the posted-interrupt descriptor.
 * GET_NESTED_STATE_PAGES refreshes both caches and loads their pfns into the vCPU "hardware"
 * (vmcs02 fields); in guest mode the hardware uses those pfns directly, with no lock: it processes
 * posted interrupts (PIR -> IRR) and ticks a counter in the vAPIC page.
 */
import { readLock, readUnlock } from '../../sync/rwlock.js';
import { checkHardwareAccess, checkKhvaAccessLocked } from '../../oracle/access-oracles.js';
import { STEP_HW_LOAD } from '../../trace/trace-steps.js';
import { G_GENERATION, G_INSTALL_EPOCH, G_PFN, G_UHVA, GPC_LOCK, gpcBase } from '../gpc-layout.js';
import { gpcCheckLocked, gpcRefresh } from '../gpc.js';
import { piDescGpc, vapicGpc } from '../guest-layout.js';
import { traceStep, type ModelContext } from '../model-context.js';
import { ST_CHECKS_FAILED, ST_CHECKS_OK, ST_GET_NESTED, ST_LAST_HW_TICK } from '../thread-stats.js';
import { V_HW_GEN, V_HW_PI_EPOCH, V_HW_PI_PFN, V_HW_VAPIC_EPOCH, V_HW_VAPIC_PFN, VCPU_INTS } from '../vcpu-layout.js';
import { PI_PIR, VAPIC_HW_TICK, VAPIC_IRR } from './page-fields.js';

/** The vCPU's hardware registers (local copy; mirrored in the vCPU table for the oracles). */
export interface NestedHardware {
  vapicPfn: number;
  vapicEpoch: number;
  piPfn: number;
  piEpoch: number;
  /** Memslot generation the loaded translation came from (the `generation` strategy's snapshot). */
  generation: number;
  /** Host virtual pages the caches translated the gfns to (for the stale-entry oracle). */
  vapicVpage: number;
  piVpage: number;
  tick: number;
}

export function emptyNestedHardware(): NestedHardware {
  return { vapicPfn: -1, vapicEpoch: 0, piPfn: -1, piEpoch: 0, generation: 0, vapicVpage: -1, piVpage: -1, tick: 0 };
}

/** Refreshes cache g until its check passes; returns the pfn under the lock's protection, or -1. */
function loadGuestUsesPage(ctx: ModelContext, g: number, hw: NestedHardware, isVapic: boolean): boolean {
  const gpcs = ctx.gpcs;
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
  const generation = gpcs[base + G_GENERATION]!;
  const vpage = gpcs[base + G_UHVA]! >> ctx.pageShift;
  readUnlock(gpcs, base + GPC_LOCK);
  if (isVapic) {
    hw.vapicPfn = pfn;
    hw.vapicEpoch = epoch;
    hw.generation = generation;
    hw.vapicVpage = vpage;
  } else {
    hw.piPfn = pfn;
    hw.piEpoch = epoch;
    hw.piVpage = vpage;
    if (((generation - hw.generation) | 0) < 0) hw.generation = generation;
  }
  traceStep(ctx, STEP_HW_LOAD, g, -1, pfn, epoch);
  return true;
}

/**
 * nested_get_vmcs12_pages: (re)load both guest-uses pages into the hardware. Called outside guest
 * mode (RUNNING is 0). Returns false if a page could not be mapped (the hardware registers are then
 * cleared and the vCPU runs without the nested work).
 */
export function getNestedStatePages(ctx: ModelContext, v: number, hw: NestedHardware): boolean {
  ctx.counters[ST_GET_NESTED]! += 1;
  const ok = loadGuestUsesPage(ctx, vapicGpc(ctx.nvcpus, v), hw, true) && loadGuestUsesPage(ctx, piDescGpc(ctx.nvcpus, v), hw, false);
  if (!ok) {
    hw.vapicPfn = -1;
    hw.piPfn = -1;
  }
  const at = v * VCPU_INTS;
  Atomics.store(ctx.vcpus, at + V_HW_VAPIC_PFN, hw.vapicPfn);
  Atomics.store(ctx.vcpus, at + V_HW_VAPIC_EPOCH, hw.vapicEpoch);
  Atomics.store(ctx.vcpus, at + V_HW_PI_PFN, hw.piPfn);
  Atomics.store(ctx.vcpus, at + V_HW_PI_EPOCH, hw.piEpoch);
  Atomics.store(ctx.vcpus, at + V_HW_GEN, hw.generation);
  return ok;
}

/** One step of the vCPU hardware in guest mode: posted interrupts PIR -> IRR, then a tick. */
export function nestedHardwareStep(ctx: ModelContext, v: number, hw: NestedHardware): void {
  const ram = ctx.ram;
  if (hw.piPfn >= 0 && hw.vapicPfn >= 0) {
    checkHardwareAccess(ctx, piDescGpc(ctx.nvcpus, v), hw.piPfn, hw.piEpoch);
    const posted = Atomics.exchange(ram, hw.piPfn * ctx.pageInts + PI_PIR, 0);
    if (posted !== 0) {
      checkHardwareAccess(ctx, vapicGpc(ctx.nvcpus, v), hw.vapicPfn, hw.vapicEpoch);
      Atomics.add(ram, hw.vapicPfn * ctx.pageInts + VAPIC_IRR, posted);
    }
  }
  if (hw.vapicPfn >= 0) {
    hw.tick = (hw.tick + 1) | 0;
    Atomics.store(ram, hw.vapicPfn * ctx.pageInts + VAPIC_HW_TICK, hw.tick);
    checkHardwareAccess(ctx, vapicGpc(ctx.nvcpus, v), hw.vapicPfn, hw.vapicEpoch);
    ctx.counters[ST_LAST_HW_TICK] = hw.tick;
  }
}
