/**
 * The Xen runstate area (include/xen/interface/vcpu.h, struct vcpu_runstate_info, the 64-bit
 * layout) and where each vCPU's area sits: pure data, shared by the cache declaration
 * (cache-users.ts), the kernel side (xen-runstate.ts) and the guest (guest-code.ts).
 *
 *   bytes  0..3   state (RUNSTATE_*)            word 0
 *   bytes  4..7   padding (memset by KVM)       word 1
 *   bytes  8..15  state_entry_time (u64)        words 2 (low), 3 (high); bit 63 = XEN_RUNSTATE_UPDATE,
 *                                               in byte 15: the byte KVM writes as `update_bit`
 *   bytes 16..47  time[4] (u64 each)            words 4 + 2i (low), 5 + 2i (high)
 *
 * Placement: even vCPUs put the area inside page 0 of their region at RUNSTATE_INPAGE_OFFSET; odd
 * vCPUs put it across the end of page 0 (history B12: the guest may place it at any alignment),
 * with the first RUNSTATE_SPLITS[(v >> 1) % n] bytes in page 0 and the rest at the start of page 1.
 * The splits vary where the page boundary falls: inside state_entry_time (12: the update byte is
 * on page 1), before it (4, 8), inside the times (20, 28, ...), so both "update byte in gpc1" and
 * "update byte in gpc2" happen with 4 vCPUs. Offsets are 4-byte aligned (the model's RAM is words).
 */

/** sizeof(struct vcpu_runstate_info), 64-bit (the compat layout is 44 bytes; the model's guests are 64-bit). */
export const RUNSTATE_BYTES = 48;
export const RUNSTATE_WORDS = RUNSTATE_BYTES / 4;
export const RS_STATE = 0;
export const RS_ENTRY_LO = 2;
export const RS_ENTRY_HI = 3;
/** Word of the low half of time[i]; the high half is the next word. */
export function rsTimeLo(i: number): number {
  return 4 + 2 * i;
}
/** offsetof(struct vcpu_runstate_info, state_entry_time) + 7: the byte holding XEN_RUNSTATE_UPDATE. */
export const RUNSTATE_UPDATE_BYTE = 15;
/** XEN_RUNSTATE_UPDATE (bit 63) as seen in the high word / in the update byte. */
export const RUNSTATE_UPDATE_HI = 0x80000000 | 0;
export const RUNSTATE_UPDATE_BYTE_BIT = 0x80;

export const RUNSTATE_RUNNING = 0;
export const RUNSTATE_RUNNABLE = 1;
export const RUNSTATE_BLOCKED = 2;
export const RUNSTATE_OFFLINE = 3;

/** Where an area that fits its page starts (a non-zero offset, as a guest's per-cpu data would be). */
export const RUNSTATE_INPAGE_OFFSET = 64;
/** Bytes on the first page for the page-crossing vCPUs, by (v >> 1) % length. */
export const RUNSTATE_SPLITS: readonly number[] = [12, 24, 4, 40, 8, 16, 44, 28, 20, 32, 36];

/** Whether vCPU v's area crosses a page. */
export function runstateCrosses(v: number): boolean {
  return (v & 1) === 1;
}

/** Byte offset of vCPU v's area in page 0 of its region (the runstate gpc1's offset). */
export function runstateGpc1Offset(v: number, pageSize: number): number {
  return runstateCrosses(v) ? pageSize - RUNSTATE_SPLITS[(v >> 1) % RUNSTATE_SPLITS.length]! : RUNSTATE_INPAGE_OFFSET;
}

/** kvm_xen_vcpu_set_attr(RUNSTATE_ADDR): sz1 = PAGE_SIZE - (gpa & ~PAGE_MASK), gpc1 covers the rest of the first page. */
export function runstateGpc1Length(_vcpus: number, pageSize: number, v: number): number {
  return pageSize - runstateGpc1Offset(v, pageSize);
}

/** sz - sz1 when the area crosses the page (runstate2_cache activated at gpa + sz1), else 0 (runstate2 deactivated). */
export function runstateGpc2Length(_vcpus: number, pageSize: number, v: number): number {
  const sz1 = runstateGpc1Length(0, pageSize, v);
  return sz1 >= RUNSTATE_BYTES ? 0 : RUNSTATE_BYTES - sz1;
}

/**
 * kvm_xen_update_runstate_guest step 1: user_len1 and user_len2 for an area at byte offset `off`
 * in its page: if off + user_len >= PAGE_SIZE, len1 = PAGE_SIZE - off and len2 = user_len - len1,
 * else len1 = user_len and len2 = 0.
 */
export function runstateLen1(off: number, pageSize: number): number {
  return off + RUNSTATE_BYTES >= pageSize ? pageSize - off : RUNSTATE_BYTES;
}
