/**
 * What every part of the VM was doing, for a stall report: the notifier counters, each vCPU's
 * mode, session, requests and hardware registers, every gpc whose locks are busy, the VM and mm
 * locks, and the last trace events of every thread. Cold path (main thread).
 */
import { registerCache } from '../kvm/cache-table.js';
import { sharedRegisterPfn } from '../kvm/guest-registers.js';
import { LockSlot } from '../sync/lock-block.js';
import { CACHE_LINE_INTS } from '../mem/shared-buffer.js';
import { MM_LOCK } from '../mem/host-mm-layout.js';
import { activeCopy, memslotsGeneration, srcuReaders } from '../mem/memslots.js';
import { decodeRings } from '../trace/flight-recorder.js';
import {
  G_ACTIVE,
  G_CURRENT_RETRIES,
  G_PFN,
  G_VALID,
  GPC_LOCK,
  GPC_REFRESH_LOCK,
  gpcBase,
} from '../kvm/gpc-layout.js';
import type { ModelContext } from '../kvm/model-context.js';
import {
  MODE_MASK,
  MODE_NAMES,
  V_ACTIVITY,
  V_MODE,
  V_REQUESTS,
  V_RUNNING,
  VCPU_ACTIVITY_NAMES,
  VCPU_INTS,
  requestNames,
} from '../kvm/vcpu-layout.js';
import { VM_GPC_LOCK, VM_MMU_SEQ, VM_MN_COUNT } from '../kvm/vm-layout.js';
import { cacheName } from './finding-text.js';
import { formatEvents } from './interleaving-text.js';

function lockWord(mem: Int32Array, base: number): string {
  const state = Atomics.load(mem, base + LockSlot.STATE);
  return `state=${state} queue=${Atomics.load(mem, base + LockSlot.QUEUE)} sleepers=${Atomics.load(mem, base + LockSlot.READER_SLEEPERS)}`;
}

/** vCPU v's guest-uses registers as "gpc 3 pfn 40, gpc 4 pfn 41". */
function registerDump(main: ModelContext, v: number): string {
  const table = main.layout.caches;
  const out: string[] = [];
  for (let r = 0; r < table.registersPerVcpu; r++) out.push(`gpc ${registerCache(table, v, r)} pfn ${sharedRegisterPfn(main.registers, main.registerStride, v, r)}`);
  return out.length > 0 ? out.join(', ') : 'none';
}

export function dumpVmState(main: ModelContext, eventsPerThread: number): string[] {
  const lines: string[] = [];
  const generation = memslotsGeneration(main.ms);
  lines.push(
    `mn_active_invalidate_count=${Atomics.load(main.vm, VM_MN_COUNT)} mmu_invalidate_seq=${Atomics.load(main.vm, VM_MMU_SEQ)} ` +
      `memslot generation=${generation} SRCU readers: current copy ${srcuReaders(main.ms, activeCopy(main.ms))}, old copy ${srcuReaders(main.ms, activeCopy(main.ms) ^ 1)}`,
  );
  lines.push(`vm.gpcLock ${lockWord(main.vm, VM_GPC_LOCK)}; host.mmLock ${lockWord(main.host.mm.mem, MM_LOCK)}`);
  for (let v = 0; v < main.nvcpus; v++) {
    const base = v * VCPU_INTS;
    const mode = Atomics.load(main.vcpus, base + V_MODE);
    lines.push(
      `vcpu-${v}: ${MODE_NAMES[mode & MODE_MASK]} (session ${mode >>> 2}), requests ${requestNames(Atomics.load(main.vcpus, base + V_REQUESTS))}, ` +
        `${VCPU_ACTIVITY_NAMES[Atomics.load(main.vcpus, base + V_ACTIVITY)] ?? '?'}, running=${Atomics.load(main.vcpus, base + V_RUNNING)}, ` +
        `hardware registers ${registerDump(main, v)}`,
    );
  }
  for (let g = 0; g < main.layout.gpcs; g++) {
    const base = gpcBase(g);
    const lock = Atomics.load(main.gpcs, base + GPC_LOCK + LockSlot.STATE);
    const refresh = Atomics.load(main.gpcs, base + GPC_REFRESH_LOCK + LockSlot.STATE);
    const retries = Atomics.load(main.gpcs, base + G_CURRENT_RETRIES);
    if (lock === 0 && refresh === 0 && retries === 0) continue;
    lines.push(
      `${cacheName(main.layout, g)}: lock ${lockWord(main.gpcs, base + GPC_LOCK)}, refreshLock state=${refresh}, ` +
        `active=${main.gpcs[base + G_ACTIVE]} valid=${main.gpcs[base + G_VALID]} pfn=${main.gpcs[base + G_PFN]} refresh retries so far=${retries}`,
    );
  }
  if (main.fr.depth > 0) {
    lines.push('last events (global order):');
    const events = decodeRings(main.fr.mem, CACHE_LINE_INTS, main.fr.depth, main.fr.threads, eventsPerThread);
    for (const line of formatEvents(main.layout, events, main.pageShift)) lines.push(`  ${line}`);
  }
  return lines;
}
