/**
 * The guest re-registers its vcpu_info at another offset in the same page: the VMM's
 * KVM_XEN_VCPU_SET_ATTR(KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO) with a new gpa, any offset with
 * off + sizeof(struct vcpu_info) <= PAGE_SIZE (docs/UPSTREAM-SPEC.md 5.3), as a VMM does when the
 * guest's VCPUOP_register_vcpu_info exits to it, and as xen_shinfo_test re-points vcpu_info.
 *
 *   1. The VMM asks (the juggler, a VMM thread: requestVcpuInfoMove). A vCPU ioctl takes
 *      vcpu->mutex, which KVM_RUN holds, so it runs only while the vCPU is out of KVM_RUN: the
 *      vCPU thread does the rest itself, in its exit handler (process context, outside guest
 *      mode, in the memslots SRCU section: kvm_xen_vcpu_set_attr's srcu_read_lock).
 *   2. kvm_xen_vcpu_set_attr just calls kvm_gpc_activate(vcpu_info_cache, gpa, sizeof(struct
 *      vcpu_info)) (or kvm_gpc_activate_hva for a cache attached by HVA), and copies nothing. An
 *      active, valid cache whose uhva stays the same takes __kvm_gpc_refresh's shortcut,
 *      `khva = old_khva + page_offset` (docs/UPSTREAM-SPEC.md 4.3 step 5: the B11 fix, 8332f0ed4f18).
 *   3. The guest's notion of where its vcpu_info is follows (V_XEN_VCPU_INFO_AT), whatever the
 *      activation returned: an -EFAULT (no memslot translates the gpa right now) leaves the cache
 *      active at the new gpa (4.3, "A GPA outside every memslot"), and the next refresh maps it there.
 *   4. The VMM carries evtchn_pending_sel and evtchn_upcall_pending over from the old offset to the
 *      new one, through guest memory, AFTER the activation returned: every delivery that wrote
 *      through the old khva held the cache's read lock, so it finished before the activation's
 *      write-lock section; every later one uses the new khva, or fails its check and sets the
 *      vCPU's kernel-side copy. So the correct protocol loses no event. If no memslot translates
 *      the page at that moment (a MOVE or DELETE between its swaps), the carry waits for a later
 *      exit (the vCPU must not wait here: it holds SRCU, which the memslot update drains).
 *
 * With the B11 bug (khva-keeps-old-offset) the activation leaves khva at the old offset: the next
 * delivery through it is caught by the state-invariant oracle (khva offset != gpa offset), and the
 * bits it writes land where the guest no longer looks (the events oracle at the end).
 *
 * Hot path (the vCPU's exit handler, the juggler's turn): numbers only, allocation-free.
 */
import { readLock, readUnlock } from '../../sync/rwlock.js';
import { EFAULT } from '../../util/errno.js';
import { STEP_VCPU_INFO_MOVED } from '../../trace/trace-steps.js';
import { G_GPA, G_UHVA, GPC_LOCK, gpcBase } from '../gpc-layout.js';
import { gpcActivate, gpcActivateHva } from '../gpc.js';
import { VCPU_INFO_BYTES } from '../cache-users.js';
import { traceStep, type ModelContext } from '../model-context.js';
import { ST_VCPU_INFO_LATE_CARRIES, ST_VCPU_INFO_MOVES } from '../thread-stats.js';
import { V_XEN_VCPU_INFO_AT, V_XEN_VCPU_INFO_CARRY, V_XEN_VCPU_INFO_MOVE, VCPU_INTS } from '../vcpu-layout.js';
import { guestPageBegin, guestPageEnd } from './guest-memory.js';
import { VI_PENDING_SEL, VI_UPCALL_PENDING, vcpuInfoCache, vcpuInfoGfn } from './xen-vcpu-info.js';

/** Byte offset of vCPU v's vcpu_info in its page, as the guest knows it now. Hot path: a few loads. */
export function vcpuInfoGuestOffset(ctx: ModelContext, v: number): number {
  const at = Atomics.load(ctx.vcpus, v * VCPU_INTS + V_XEN_VCPU_INFO_AT);
  return at === 0 ? ctx.layout.caches.caches[vcpuInfoCache(ctx, v)]!.offset : at - 1;
}

/** The old offset of vCPU v's vcpu_info whose bits the VMM has still to carry over, or -1. */
export function vcpuInfoCarryOffset(ctx: ModelContext, v: number): number {
  return Atomics.load(ctx.vcpus, v * VCPU_INTS + V_XEN_VCPU_INFO_CARRY) - 1;
}

/**
 * The VMM asks vCPU `v` to re-register its vcpu_info elsewhere in its page (the juggler's call:
 * the vCPU does it at its next exit). Returns v.
 */
export function requestVcpuInfoMove(ctx: ModelContext, v: number): number {
  Atomics.store(ctx.vcpus, v * VCPU_INTS + V_XEN_VCPU_INFO_MOVE, 1);
  return v;
}

/**
 * Carries vcpu_info's pending bits from the old offset to the current one through guest memory
 * (the true translation). Returns true if nothing is left to carry, false if no memslot
 * translates the page now (try again at a later exit).
 */
function carryVcpuInfoBits(ctx: ModelContext, v: number): boolean {
  const from = vcpuInfoCarryOffset(ctx, v);
  if (from < 0) return true;
  const pfn = guestPageBegin(ctx, vcpuInfoGfn(ctx, v));
  if (pfn < 0) return false;
  const ram = ctx.ram;
  const page = pfn * ctx.pageInts;
  const old = page + (from >> 2);
  const now = page + (vcpuInfoGuestOffset(ctx, v) >> 2);
  const upcall = Atomics.exchange(ram, old + VI_UPCALL_PENDING, 0);
  const sel = Atomics.exchange(ram, old + VI_PENDING_SEL, 0);
  if (sel !== 0) Atomics.or(ram, now + VI_PENDING_SEL, sel);
  // A selector bit without the upcall flag would never be looked at: raise it for any carried bit.
  if (upcall !== 0 || sel !== 0) Atomics.store(ram, now + VI_UPCALL_PENDING, 1);
  guestPageEnd(ctx);
  Atomics.store(ctx.vcpus, v * VCPU_INTS + V_XEN_VCPU_INFO_CARRY, 0);
  return true;
}

/** A new offset for vcpu_info in its page, other than `from` (a multiple of its size), or -1 if the page has room for one only. */
function pickNewOffset(ctx: ModelContext, from: number): number {
  const places = (ctx.pageSize / VCPU_INFO_BYTES) | 0;
  if (places < 2) return -1;
  const to = ctx.rng.below(places) * VCPU_INFO_BYTES;
  return to !== from ? to : (to + VCPU_INFO_BYTES) % (places * VCPU_INFO_BYTES);
}

/**
 * kvm_xen_vcpu_set_attr(KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO[_HVA]) at offset `to` of the same page,
 * keeping the attachment (GPA or HVA) the cache has. Returns the activation's result.
 */
function reRegisterVcpuInfo(ctx: ModelContext, v: number, g: number, to: number): number {
  const gpcs = ctx.gpcs;
  const base = gpcBase(g);
  // gpa / uhva are written under the write lock (refresh): read them under the read lock.
  readLock(gpcs, base + GPC_LOCK);
  const gpa = gpcs[base + G_GPA]!;
  const uhva = gpcs[base + G_UHVA]!;
  readUnlock(gpcs, base + GPC_LOCK);
  if (gpa < 0 && uhva >= 0) return gpcActivateHva(ctx, g, uhva - (uhva & ctx.offsetMask) + to, VCPU_INFO_BYTES);
  return gpcActivate(ctx, g, (vcpuInfoGfn(ctx, v) << ctx.pageShift) + to, VCPU_INFO_BYTES);
}

/**
 * vCPU v's exit handler: finish a carry-over left from an earlier move, then, if the VMM asked
 * and nothing is left to carry, re-register vcpu_info at another offset of its page and carry its
 * bits over. Returns 1 if it moved vcpu_info, else 0. The caller is in the SRCU read section,
 * outside guest mode, holding no gpc lock.
 */
export function xenVcpuInfoMoveIfAsked(ctx: ModelContext, v: number): number {
  if (!carryVcpuInfoBits(ctx, v)) return 0;
  const vcpus = ctx.vcpus;
  if (Atomics.load(vcpus, v * VCPU_INTS + V_XEN_VCPU_INFO_MOVE) === 0) return 0;
  Atomics.store(vcpus, v * VCPU_INTS + V_XEN_VCPU_INFO_MOVE, 0);
  const from = vcpuInfoGuestOffset(ctx, v);
  const to = pickNewOffset(ctx, from);
  if (to < 0) return 0;
  const g = vcpuInfoCache(ctx, v);
  const rc = reRegisterVcpuInfo(ctx, v, g, to);
  // 0, or -EFAULT with the cache active at the new gpa: vcpu_info is at `to` from now on. Any
  // other error (-EINVAL: the length check; -EIO: KVM_BUG_ON) changed nothing.
  if (rc !== 0 && rc !== -EFAULT) return 0;
  traceStep(ctx, STEP_VCPU_INFO_MOVED, g, (vcpuInfoGfn(ctx, v) << ctx.pageShift) + to, from, to);
  Atomics.store(vcpus, v * VCPU_INTS + V_XEN_VCPU_INFO_AT, to + 1);
  Atomics.store(vcpus, v * VCPU_INTS + V_XEN_VCPU_INFO_CARRY, from + 1);
  ctx.counters[ST_VCPU_INFO_MOVES]! += 1;
  if (!carryVcpuInfoBits(ctx, v)) ctx.counters[ST_VCPU_INFO_LATE_CARRIES]! += 1;
  return 1;
}
