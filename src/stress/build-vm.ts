/**
 * Builds one VM on the main thread, before any worker exists: every shared buffer, the initial
 * memslots (each slot in the first of its host virtual windows), every gpc initialized (locks
 * once, here), the configuration slots, and the caches activated as a VMM would at setup
 * (shared_info, each vCPU's steal time, each vCPU's nested pages), the Xen ones by GPA or HVA
 * (--xen-attach). It also maps the overlay window: host memory no memslot covers.
 */
import { FILE_BANKS, createHostMmBuffer, hostMmView, overlayFilePage, WINDOW_INTS, WINDOW_MAPPED, W_GFN_BASE, W_NPAGES, W_SLOT, W_STATE } from '../mem/host-mm-layout.js';
import { createPageArea } from '../mem/host-ram.js';
import { createMemslotsBuffer, memslotsView, SLOT_GMEM, SLOT_PRESENT } from '../mem/memslots.js';
import { protocolById } from '../kvm/protocols/registry.js';
import { initialSlot } from '../mem/memslot-update.js';
import { createFlightRecorderBuffer, ringIntsFor } from '../trace/flight-recorder.js';
import { createFindingsBuffer } from '../trace/findings.js';
import { gpcActivate, gpcInit } from '../kvm/gpc.js';
import { createGpcTableBuffer, USAGE_GUEST, USAGE_HOST } from '../kvm/gpc-layout.js';
import { OVERLAY_PAGES, WINDOWS_PER_SLOT, guestLayout, type GuestLayout } from '../kvm/guest-layout.js';
import { createRegisterFileBuffer } from '../kvm/guest-registers.js';
import { srcuEnter, srcuExit } from '../kvm/srcu.js';
import { strategyById } from '../kvm/strategies/registry.js';
import { createRetiredMemoryBuffer } from '../oracle/retired-memory.js';
import { openModelContext, type ModelContext, type VmBuffers } from '../kvm/model-context.js';
import { createStatsBuffer } from '../kvm/thread-stats.js';
import { createVcpuTableBuffer } from '../kvm/vcpu-layout.js';
import {
  createVmBuffer,
  VM_BUG_MASK,
  VM_EVENT_PERMILLE,
  VM_EVICTION_REQUEST,
  VM_FIX_MASK,
  VM_GUEST_STEPS,
  VM_NGPCS,
  VM_NVCPUS,
  VM_INVAL_TARGETS,
  VM_ORACLES,
  VM_PAGE_SHIFT,
  VM_POST_PERMILLE,
  VM_PROTOCOL,
  VM_SEED,
  VM_STEAL_PERMILLE,
  VM_STRATEGY,
  VM_THREADS,
  VM_TRACE_DEPTH,
  VM_WORKLOAD,
  VM_XEN_ATTACH,
} from '../kvm/vm-layout.js';
import { CACHE_USERS, USER_XEN_SHINFO, USER_XEN_VCPU_INFO } from '../kvm/cache-users.js';
import { XEN_ATTACH_GPA, attachShinfo, attachVcpuInfo, xenAttachByHva } from '../kvm/users/xen-attach.js';
import { errnoName } from '../util/errno.js';

/** The model's configuration (what the VM is, not how long it runs). */
export interface VmConfig {
  readonly vcpus: number;
  readonly pageSize: number;
  /** The entry-check strategy's id (src/kvm/strategies/registry.ts). */
  readonly strategy: number;
  readonly bugMask: number;
  readonly seed: number;
  readonly oracles: boolean;
  readonly traceDepth: number;
  /** WORKLOAD_* bits. */
  readonly workload: number;
  readonly guestSteps: number;
  readonly eventPermille: number;
  readonly stealPermille: number;
  readonly postPermille: number;
  /** The protocol variant's id (protocolId, src/kvm/protocols/registry.ts); default 0, mainline. */
  readonly protocol?: number;
  /** INVAL_* (vm-layout.ts); default INVAL_MIXED. */
  readonly invalTargets?: number;
  /** XEN_ATTACH_* (src/kvm/users/xen-attach.ts): how the VMM attaches shared_info and vcpu_info; default gpa (stress passes --xen-attach, default mixed). */
  readonly xenAttach?: number;
  /** FIX_* bits (src/kvm/fix-switches.ts); default 0 (mainline as merged). */
  readonly fixMask?: number;
}

export interface BuiltVm {
  readonly buffers: VmBuffers;
  readonly layout: GuestLayout;
  /** The main thread's context (thread index layout.threadMain). */
  readonly main: ModelContext;
}

/** Free pages beyond one per gfn: room for migrations in flight. */
const SPARE_PFNS = 32;

export function buildVm(config: VmConfig): BuiltVm {
  const layout = guestLayout(config.vcpus, config.pageSize);
  const pageShift = Math.log2(config.pageSize);
  const pageInts = config.pageSize >> 2;
  // Two banks of file pages (FILE_BANKS): a slot re-created onto different memory maps the other;
  // then the overlay pages, which no memslot maps.
  const filePages = layout.gfns * FILE_BANKS + OVERLAY_PAGES;
  const pfns = filePages + SPARE_PFNS;
  const hostMm = createHostMmBuffer({ pfns, pageShift, gfns: filePages, bankPages: layout.gfns, windows: layout.windows, slotPages: layout.windowPages });
  const buffers: VmBuffers = {
    vm: createVmBuffer(),
    hostMm,
    ram: createPageArea(pfns, pageInts),
    swap: createPageArea(filePages, pageInts),
    memslots: createMemslotsBuffer(layout.slots, layout.threads),
    gpcs: createGpcTableBuffer(layout.gpcs),
    vcpus: createVcpuTableBuffer(config.vcpus),
    registers: createRegisterFileBuffer(config.vcpus, layout.caches.registersPerVcpu),
    stats: createStatsBuffer(layout.threads),
    trace: createFlightRecorderBuffer(layout.threads, config.traceDepth),
    findings: createFindingsBuffer(layout.threads * ringIntsFor(config.traceDepth)),
    retired: createRetiredMemoryBuffer(filePages, layout.threads),
  };
  const vm = new Int32Array(buffers.vm);
  vm[VM_NVCPUS] = config.vcpus;
  vm[VM_NGPCS] = layout.gpcs;
  vm[VM_STRATEGY] = config.strategy;
  vm[VM_EVICTION_REQUEST] = strategyById(config.strategy).evictionRequest;
  vm[VM_BUG_MASK] = config.bugMask;
  vm[VM_PAGE_SHIFT] = pageShift;
  vm[VM_ORACLES] = config.oracles ? 1 : 0;
  vm[VM_TRACE_DEPTH] = config.traceDepth;
  vm[VM_THREADS] = layout.threads;
  vm[VM_WORKLOAD] = config.workload;
  vm[VM_GUEST_STEPS] = config.guestSteps;
  vm[VM_SEED] = config.seed | 0;
  vm[VM_PROTOCOL] = config.protocol ?? 0;
  vm[VM_INVAL_TARGETS] = config.invalTargets ?? 0;
  vm[VM_XEN_ATTACH] = config.xenAttach ?? XEN_ATTACH_GPA;
  vm[VM_FIX_MASK] = config.fixMask ?? 0;
  vm[VM_EVENT_PERMILLE] = config.eventPermille;
  vm[VM_STEAL_PERMILLE] = config.stealPermille;
  vm[VM_POST_PERMILLE] = config.postPermille;

  // Memslots: slot s in window s * WINDOWS_PER_SLOT; the dummy slot starts deleted.
  const mm = hostMmView(hostMm);
  const ms = memslotsView(buffers.memslots);
  // The protocol's guest_memfd-backed users (itazuri-gmem-rfc2): their slots get KVM_MEM_GUEST_MEMFD.
  const gmemBacked = protocolById(config.protocol ?? 0).gmemBacked ?? [];
  for (let s = 0; s < layout.slots; s++) {
    const gmem = s < CACHE_USERS.length && gmemBacked.includes(CACHE_USERS[s]!.workload);
    const window = s * WINDOWS_PER_SLOT;
    const w = mm.windowBase + window * WINDOW_INTS;
    mm.mem[w + W_GFN_BASE] = layout.slotBase[s]!;
    mm.mem[w + W_NPAGES] = layout.slotPages[s]!;
    mm.mem[w + W_SLOT] = s;
    Atomics.store(mm.mem, w + W_STATE, WINDOW_MAPPED);
    initialSlot(ms, s, {
      baseGfn: layout.slotBase[s]!,
      npages: layout.slotPages[s]!,
      uhvaVpage: 1 + window * mm.slotPages,
      flags: s === layout.slotDummy ? 0 : SLOT_PRESENT | (gmem ? SLOT_GMEM : 0),
    });
  }

  // The overlay window: host memory the VMM maps outside every memslot (never retired).
  const overlay = mm.windowBase + layout.overlayWindow * WINDOW_INTS;
  mm.mem[overlay + W_GFN_BASE] = overlayFilePage(mm, 0);
  mm.mem[overlay + W_NPAGES] = OVERLAY_PAGES;
  mm.mem[overlay + W_SLOT] = -1;
  Atomics.store(mm.mem, overlay + W_STATE, WINDOW_MAPPED);

  const gpcs = new Int32Array(buffers.gpcs);
  // Guest-uses caches are owned by their vCPU (the seed's gpc->vcpu); host-uses ones by nobody.
  for (const cache of layout.caches.caches) gpcInit(gpcs, cache.index, cache.usage === 'guest' ? USAGE_GUEST : USAGE_HOST, cache.usage === 'guest' ? cache.owner : -1);

  // Activate every cache whose user's workload is on, as the VMM does at setup: the VM-wide ones,
  // then each vCPU's (vCPU creation order).
  const main = openModelContext(buffers, layout.threadMain);
  const srcu = srcuEnter(main);
  const setupOrder = [...layout.caches.caches].sort((a, b) => a.owner - b.owner || a.index - b.index);
  for (const cache of setupOrder) {
    if ((config.workload & cache.workload) === 0 || cache.length === 0) continue; // length 0: left inactive (runstate2 of an area in one page)
    // The Xen caches are attached as --xen-attach says (by GPA, or by the HVA their gpa maps to); the rest by GPA.
    const result =
      cache.user === USER_XEN_SHINFO
        ? attachShinfo(main, 0, xenAttachByHva(main))
        : cache.user === USER_XEN_VCPU_INFO
          ? attachVcpuInfo(main, cache.owner, xenAttachByHva(main))
          : gpcActivate(main, cache.index, (cache.gfn << pageShift) + cache.offset, cache.length);
    if (result !== 0) throw new Error(`buildVm: activating gpc ${cache.index} (${cache.name}) at gfn ${cache.gfn} failed: ${errnoName(result)}`);
  }
  srcuExit(main, srcu);
  return { buffers, layout, main };
}
