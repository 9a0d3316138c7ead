/**
 * How the VMM attaches the Xen caches (docs/UPSTREAM-SPEC.md 5.3), `--xen-attach gpa|hva|mixed`:
 * shared_info by KVM_XEN_ATTR_TYPE_SHARED_INFO (a gfn: kvm_gpc_activate) or
 * KVM_XEN_ATTR_TYPE_SHARED_INFO_HVA (a page-aligned hva, else -EINVAL: kvm_gpc_activate_hva), and
 * each vcpu_info by KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO (a gpa) or _VCPU_INFO_HVA (any hva). The hva
 * is the host virtual address the memslots map the gpa to at that moment (the VMM's own mapping),
 * or, for shared_info by HVA only, the overlay page: host memory mapped at a window no memslot
 * covers (the Xen overlay page, the 6.9 rationale for kvm_gpc_activate_hva). `mixed`: each
 * (re)activation picks GPA or HVA at random.
 *
 * An HVA cache does not follow a memslot MOVE or DELETE (it has no generation, docs/UPSTREAM-SPEC.md
 * 4.2): it keeps the host mapping the VMM gave it until the mm unmaps that (the notifier's hook
 * then clears it, and refreshes fail with -EFAULT until the VMM attaches it again).
 */
import { gfnToVpage, memslotsGeneration, srcuReadLock, srcuReadUnlock } from '../../mem/memslots.js';
import { windowFirstVpage } from '../../mem/host-mm-layout.js';
import { EINVAL } from '../../util/errno.js';
import { gpcActivate, gpcActivateHva } from '../gpc.js';
import { VCPU_INFO_BYTES, VCPU_INFO_OFFSET } from '../cache-users.js';
import type { ModelContext } from '../model-context.js';
import { VM_XEN_ATTACH } from '../vm-layout.js';
import { ST_XEN_ATTACH_GPA, ST_XEN_ATTACH_HVA, ST_XEN_ATTACH_OVERLAY } from '../thread-stats.js';
import { shinfoBytes, shinfoCache, shinfoCandidateGfn } from './xen-evtchn.js';
import { vcpuInfoCache, vcpuInfoGfn } from './xen-vcpu-info.js';

/** VM_XEN_ATTACH values, in the order of XEN_ATTACH_NAMES. */
export const XEN_ATTACH_GPA = 0;
export const XEN_ATTACH_HVA = 1;
export const XEN_ATTACH_MIXED = 2;
export const XEN_ATTACH_NAMES = ['gpa', 'hva', 'mixed'] as const;
export type XenAttachName = (typeof XEN_ATTACH_NAMES)[number];

/** Shared_info attachments by HVA that go to the overlay page, in 1/OVERLAY_ODDS ("sometimes"). */
const OVERLAY_ODDS = 4;

/** Does this (re)activation attach by HVA? `gpa`: never; `hva`: always; `mixed`: at random. */
export function xenAttachByHva(ctx: ModelContext): boolean {
  const mode = ctx.vm[VM_XEN_ATTACH]!;
  return mode === XEN_ATTACH_HVA || (mode === XEN_ATTACH_MIXED && ctx.rng.below(2) === 0);
}

/**
 * The host virtual address the active memslots map `gpa` to now (the VMM knows where it mapped its
 * guest RAM), or -1 if no slot translates it (deleted, INVALID, moved away). A short SRCU read
 * section around the lookup.
 */
export function vmmUhvaOfGpa(ctx: ModelContext, gpa: number): number {
  const idx = srcuReadLock(ctx.ms, ctx.thread);
  const vpage = gfnToVpage(ctx.ms, memslotsGeneration(ctx.ms), gpa >> ctx.pageShift);
  srcuReadUnlock(ctx.ms, ctx.thread, idx);
  return vpage < 0 ? -1 : (vpage << ctx.pageShift) + (gpa & ctx.offsetMask);
}

/** The overlay page's host virtual address (page-aligned; no memslot covers it). */
export function overlayUhva(ctx: ModelContext): number {
  return windowFirstVpage(ctx.host.mm, ctx.layout.overlayWindow) << ctx.pageShift;
}

/**
 * KVM_XEN_ATTR_TYPE_SHARED_INFO_HVA: `!PAGE_ALIGNED(hva)` is -EINVAL, then kvm_gpc_activate_hva
 * (hva 0, which deactivates, is never passed here). Returns 0 or a negative errno.
 */
function setSharedInfoHva(ctx: ModelContext, uhva: number): number {
  if ((uhva & ctx.offsetMask) !== 0) return -EINVAL;
  return gpcActivateHva(ctx, shinfoCache(ctx), uhva, shinfoBytes(ctx));
}

/**
 * The VMM (re)attaches shared_info at candidate page `c`: by its gfn, or, `byHva`, by the hva the
 * memslots map it to now (by gfn if none does). The caller is inside an SRCU read section (as
 * kvm_xen_hvm_set_attr). Returns 0 or a negative errno (-EFAULT leaves a GPA cache active).
 */
export function attachShinfo(ctx: ModelContext, c: number, byHva: boolean): number {
  const gpa = shinfoCandidateGfn(ctx, c) << ctx.pageShift;
  const uhva = byHva ? vmmUhvaOfGpa(ctx, gpa) : -1;
  if (uhva >= 0) {
    ctx.counters[ST_XEN_ATTACH_HVA]! += 1;
    return setSharedInfoHva(ctx, uhva);
  }
  ctx.counters[ST_XEN_ATTACH_GPA]! += 1;
  return gpcActivate(ctx, shinfoCache(ctx), gpa, shinfoBytes(ctx));
}

/** The VMM attaches shared_info by HVA at the overlay page (outside every memslot). */
export function attachShinfoAtOverlay(ctx: ModelContext): number {
  ctx.counters[ST_XEN_ATTACH_HVA]! += 1;
  ctx.counters[ST_XEN_ATTACH_OVERLAY]! += 1;
  return setSharedInfoHva(ctx, overlayUhva(ctx));
}

/**
 * The juggler's activation: GPA or HVA as --xen-attach says; an HVA attachment goes to the overlay
 * page now and then, else to candidate `c`.
 */
export function attachShinfoAsConfigured(ctx: ModelContext, c: number): number {
  const byHva = xenAttachByHva(ctx);
  if (byHva && ctx.rng.below(OVERLAY_ODDS) === 0) return attachShinfoAtOverlay(ctx);
  return attachShinfo(ctx, c, byHva);
}

/**
 * The VMM (re)attaches vCPU v's vcpu_info at its gpa (KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO) or, `byHva`,
 * at the hva the memslots map that gpa to now (_VCPU_INFO_HVA: any alignment; by gpa if no slot
 * translates it). Inside an SRCU read section. Returns 0 or a negative errno.
 */
export function attachVcpuInfo(ctx: ModelContext, v: number, byHva: boolean): number {
  const gpa = (vcpuInfoGfn(ctx, v) << ctx.pageShift) + VCPU_INFO_OFFSET;
  const uhva = byHva ? vmmUhvaOfGpa(ctx, gpa) : -1;
  if (uhva >= 0) {
    ctx.counters[ST_XEN_ATTACH_HVA]! += 1;
    return gpcActivateHva(ctx, vcpuInfoCache(ctx, v), uhva, VCPU_INFO_BYTES);
  }
  ctx.counters[ST_XEN_ATTACH_GPA]! += 1;
  return gpcActivate(ctx, vcpuInfoCache(ctx, v), gpa, VCPU_INFO_BYTES);
}
