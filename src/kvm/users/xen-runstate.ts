/**
 * The Xen runstate area (host-uses, per vCPU, two caches): arch/x86/kvm/xen.c,
 * kvm_xen_update_runstate() and kvm_xen_update_runstate_guest(), as 6.17 has them (docs/UPSTREAM-SPEC.md 5.4,
 * history B12/B13 in ../shared/reference/pfncache-history.md).
 *
 * Kernel side (vcpu->arch.xen): current_runstate, runstate_entry_time and runstate_times[4], kept
 * by the vCPU's own thread. Each update adds now - entry_time to the bucket of the state being
 * left, so sum(times) == state_entry_time always (the guest checks it, guest-code.ts).
 *
 * Callers (vcpu-entry.ts): the sched-out path (kvm_arch_vcpu_put with vcpu->preempted ->
 * kvm_xen_runstate_set_preempted, RUNSTATE_runnable) is atomic: read_trylock, and a busy lock or a
 * failed check gives up (the guest copy stays stale until the next update; nothing is lost on the
 * kernel side). The sched-in path (kvm_arch_vcpu_load requests KVM_REQ_STEAL_UPDATE; record_steal_time
 * -> kvm_xen_runstate_set_running) is not atomic: it refreshes gpc1, and re-activates gpc2.
 *
 * Lock order: gpc1.lock (read, lockdep subclass 1 once gpc2 is needed) -> gpc2.lock (read).
 * "Nothing else takes them more than one at a time" (23e60258aeaf).
 */
import { checkKhvaAccessLocked, checkKhvaAfterAccessLocked } from '../../oracle/access-oracles.js';
import { memslotsGeneration } from '../../mem/memslots.js';
import { lockdepEnabled, lockdepSetSubclass } from '../../sync/lockdep.js';
import { readLock, readTryLock, readUnlock } from '../../sync/rwlock.js';
import { STEP_KHVA_ACCESS } from '../../trace/trace-steps.js';
import { BUG_RUNSTATE_LOCK_ORDER, isBugOn } from '../bug-switches.js';
import { userCache } from '../cache-table.js';
import { USER_XEN_RUNSTATE } from '../cache-users.js';
import { G_ACTIVE, G_GPA, G_KHVA, GPC_LOCK, gpcBase } from '../gpc-layout.js';
import { gpcActivate, gpcCheckLocked, gpcRefresh } from '../gpc.js';
import { traceStep, type ModelContext } from '../model-context.js';
import {
  ST_CHECKS_FAILED,
  ST_CHECKS_OK,
  ST_RUNSTATE_CHECK_GIVEUPS,
  ST_RUNSTATE_GPC2_ACTIVATIONS,
  ST_RUNSTATE_SPLIT_UPDATES,
  ST_RUNSTATE_TRYLOCK_GIVEUPS,
  ST_RUNSTATE_UPDATES,
} from '../thread-stats.js';
import {
  RS_ENTRY_HI,
  RS_ENTRY_LO,
  RS_STATE,
  RUNSTATE_BYTES,
  RUNSTATE_OFFLINE,
  RUNSTATE_RUNNABLE,
  RUNSTATE_RUNNING,
  RUNSTATE_UPDATE_BYTE,
  RUNSTATE_UPDATE_HI,
  RUNSTATE_WORDS,
  rsTimeLo,
  runstateLen1,
} from './runstate-area.js';

/** vx: current_runstate, runstate_entry_time, runstate_times[0..3]. */
const VX_STATE = 0;
const VX_ENTRY = 1;
const VX_TIMES = 2;
/** Where the kernel-side clock (get_kvmclock_ns stand-in) starts: just below 2^32, so the high words change during a run. */
const CLOCK_START = 0xfffff000;
const TWO_32 = 4294967296;

/** One vCPU's runstate: its caches, the split, the kernel-side times (this vCPU's thread only). */
export interface Runstate {
  readonly v: number;
  /** runstate_cache and runstate2_cache. */
  readonly g1: number;
  readonly g2: number;
  /** user_len1, user_len2 (bytes; len2 = 0 when the area fits gpc1's page). */
  readonly len1: number;
  readonly len2: number;
  /** `update_bit` points into gpc2's page (byte 15 of the area is past len1). */
  readonly updateInGpc2: boolean;
  /** vcpu->arch.xen: [current_runstate, runstate_entry_time, runstate_times[4]]. */
  readonly vx: Float64Array;
  /** The struct assembled "on the kernel stack" before the copy (split case; also used in place otherwise). */
  readonly words: Int32Array;
  /** The guest RAM as bytes, for the single-byte update_bit store. */
  readonly ram8: Uint8Array;
  /**
   * Oracle bookkeeping: the memslots generation read before the last publish that completed
   * (-1: none yet). While it is still the generation, the area's memory (true translation) holds
   * that publish; after a memslot change it may be other memory (the guest then does not judge).
   */
  publishedGen: number;
}

/** vCPU v's runstate (cold path). The area's placement comes from the cache table. */
export function openRunstate(ctx: ModelContext, v: number): Runstate {
  const table = ctx.layout.caches;
  const g1 = userCache(table, USER_XEN_RUNSTATE, v, 0);
  const g2 = userCache(table, USER_XEN_RUNSTATE, v, 1);
  const len1 = runstateLen1(table.caches[g1]!.offset, ctx.pageSize);
  if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('xen-runstate: the update byte store assumes a little-endian host (as x86)');
  const vx = new Float64Array(VX_TIMES + 4);
  vx[VX_STATE] = RUNSTATE_OFFLINE;
  return {
    v,
    g1,
    g2,
    len1,
    len2: RUNSTATE_BYTES - len1,
    updateInGpc2: RUNSTATE_UPDATE_BYTE >= len1,
    vx,
    words: new Int32Array(RUNSTATE_WORDS),
    ram8: new Uint8Array(ctx.ram.buffer, ctx.ram.byteOffset, ctx.ram.byteLength),
    publishedGen: -1,
  };
}

/** kvm_xen_runstate_set_preempted: the sched-out path (kvm_arch_vcpu_put, vcpu->preempted), atomic. */
export function kvmXenRunstateSetPreempted(ctx: ModelContext, rs: Runstate): void {
  kvmXenUpdateRunstate(ctx, rs, RUNSTATE_RUNNABLE);
}

/** kvm_xen_runstate_set_running: record_steal_time on KVM_REQ_STEAL_UPDATE (after sched-in), not atomic. */
export function kvmXenRunstateSetRunning(ctx: ModelContext, rs: Runstate): void {
  kvmXenUpdateRunstate(ctx, rs, RUNSTATE_RUNNING);
}

/**
 * kvm_xen_update_runstate: account now - entry_time to the state being left, enter `state`, then
 * update the guest's copy if gpc1 is active, atomically exactly when the new state is runnable.
 */
function kvmXenUpdateRunstate(ctx: ModelContext, rs: Runstate, state: number): void {
  const vx = rs.vx;
  const entry = vx[VX_ENTRY]!;
  const now = (entry === 0 ? CLOCK_START + rs.v * 4096 : entry) + 1 + ctx.rng.below(1000);
  vx[VX_TIMES + vx[VX_STATE]!] += now - entry;
  vx[VX_STATE] = state;
  vx[VX_ENTRY] = now;
  // if (vx->runstate_cache.active): an unlocked read, as upstream.
  if (Atomics.load(ctx.gpcs, gpcBase(rs.g1) + G_ACTIVE) !== 0) kvmXenUpdateRunstateGuest(ctx, rs, state === RUNSTATE_RUNNABLE);
}

/**
 * kvm_xen_update_runstate_guest(v, atomic) (docs/UPSTREAM-SPEC.md 5.4 steps 1-7). Returns true if the guest copy
 * was written. Caller is in an SRCU read section and holds no gpc lock.
 */
export function kvmXenUpdateRunstateGuest(ctx: ModelContext, rs: Runstate, atomic: boolean): boolean {
  const gpcs = ctx.gpcs;
  const lock1 = gpcBase(rs.g1) + GPC_LOCK;
  const lock2 = gpcBase(rs.g2) + GPC_LOCK;
  const len1 = rs.len1;
  const len2 = rs.len2;
  // Oracle bookkeeping, read before any check: a memslot change after this makes publishedGen stale (conservative).
  const gen = memslotsGeneration(ctx.ms);
  const reversed = len2 > 0 && !atomic && rs.updateInGpc2 && isBugOn(BUG_RUNSTATE_LOCK_ORDER);
  for (;;) {
    // retry:
    if (reversed) {
      if (!lockBothReversed(ctx, rs)) return false;
      break;
    }
    // History B13 (bbe17c625d68): the sched-out path runs with the runqueue lock held; a blocking
    // read_lock behind a queued writer closes gpc->lock -> p->pi_lock -> rq->__lock. So: trylock, and
    // give up on contention (the cache is being invalidated or refreshed anyway).
    if (atomic) {
      if (!readTryLock(gpcs, lock1)) {
        ctx.counters[ST_RUNSTATE_TRYLOCK_GIVEUPS]! += 1;
        return false;
      }
    } else {
      readLock(gpcs, lock1); // read_lock_irqsave
    }
    while (!gpcCheckLocked(ctx, rs.g1, -1, len1)) {
      readUnlock(gpcs, lock1);
      ctx.counters[ST_CHECKS_FAILED]! += 1;
      if (atomic) {
        ctx.counters[ST_RUNSTATE_CHECK_GIVEUPS]! += 1;
        return false;
      }
      if (gpcRefresh(ctx, rs.g1, len1) < 0) return false;
      readLock(gpcs, lock1);
    }
    ctx.counters[ST_CHECKS_OK]! += 1;
    if (len2 === 0) break;
    // "a lock ordering GPC1 > GPC2 because nothing else takes them more than one at a time" (23e60258aeaf).
    if (lockdepEnabled) lockdepSetSubclass(gpcs, lock1, 1);
    if (atomic) {
      if (!readTryLock(gpcs, lock2)) {
        readUnlock(gpcs, lock1);
        ctx.counters[ST_RUNSTATE_TRYLOCK_GIVEUPS]! += 1;
        return false;
      }
    } else {
      readLock(gpcs, lock2); // plain read_lock: IRQs are already off
    }
    if (gpcCheckLocked(ctx, rs.g2, -1, len2)) {
      ctx.counters[ST_CHECKS_OK]! += 1;
      break;
    }
    // History B12 (5ec3289b31ab): a gpc2 check failure drops both locks; the atomic path gives up,
    // the other activates gpc2 (it may never have been set up: a 32 -> 64-bit switch) and retries
    // from the top, which re-checks gpc1 too.
    const gpa2 = gpcs[gpcBase(rs.g1) + G_GPA]! + len1;
    readUnlock(gpcs, lock2);
    readUnlock(gpcs, lock1);
    ctx.counters[ST_CHECKS_FAILED]! += 1;
    if (atomic) {
      ctx.counters[ST_RUNSTATE_CHECK_GIVEUPS]! += 1;
      return false;
    }
    if (gpcActivate(ctx, rs.g2, gpa2, len2) < 0) return false;
    ctx.counters[ST_RUNSTATE_GPC2_ACTIVATIONS]! += 1;
  }
  const written = publishRunstateLocked(ctx, rs);
  if (len2 > 0) readUnlock(gpcs, lock2);
  readUnlock(gpcs, lock1);
  if (!written) return false;
  rs.publishedGen = gen;
  ctx.counters[ST_RUNSTATE_UPDATES]! += 1;
  if (len2 > 0) ctx.counters[ST_RUNSTATE_SPLIT_UPDATES]! += 1;
  return true;
}

/**
 * Bug switch runstate-lock-order: the page holding the update byte first, i.e. gpc2 then gpc1
 * (gpc1 still annotated as subclass 1, so lockdep sees gpc.lock -> gpc.lock/1, the reverse of the
 * upstream order). Both checks under both locks; a failure drops both and refreshes gpc1 or
 * activates gpc2, then retries. Returns true with both read locks held and both checks passed.
 */
function lockBothReversed(ctx: ModelContext, rs: Runstate): boolean {
  const gpcs = ctx.gpcs;
  const lock1 = gpcBase(rs.g1) + GPC_LOCK;
  const lock2 = gpcBase(rs.g2) + GPC_LOCK;
  for (;;) {
    readLock(gpcs, lock2);
    readLock(gpcs, lock1);
    if (lockdepEnabled) lockdepSetSubclass(gpcs, lock1, 1);
    const ok1 = gpcCheckLocked(ctx, rs.g1, -1, rs.len1);
    const ok2 = ok1 && gpcCheckLocked(ctx, rs.g2, -1, rs.len2);
    if (ok2) {
      ctx.counters[ST_CHECKS_OK]! += 2;
      return true;
    }
    const gpa2 = gpcs[gpcBase(rs.g1) + G_GPA]! + rs.len1;
    readUnlock(gpcs, lock1);
    readUnlock(gpcs, lock2);
    ctx.counters[ST_CHECKS_FAILED]! += 1;
    if (!ok1) {
      if (gpcRefresh(ctx, rs.g1, rs.len1) < 0) return false;
    } else {
      if (gpcActivate(ctx, rs.g2, gpa2, rs.len2) < 0) return false;
      ctx.counters[ST_RUNSTATE_GPC2_ACTIVATIONS]! += 1;
    }
  }
}

/**
 * Steps 5.4-6: build the struct, set the update byte (then smp_wmb), copy the body (len1 bytes
 * through gpc1's khva, len2 through gpc2's), smp_wmb, clear the update byte (smp_wmb). Each
 * Atomics.store is sequentially consistent, which gives every smp_wmb's store-store order.
 * Caller holds gpc1's (and, if split, gpc2's) read lock with the checks passed. Returns false if
 * a khva was NULL under a passing check (history B2: the state-invariant oracle reports it).
 */
function publishRunstateLocked(ctx: ModelContext, rs: Runstate): boolean {
  const gpcs = ctx.gpcs;
  const khva1 = gpcs[gpcBase(rs.g1) + G_KHVA]!;
  const khva2 = rs.len2 > 0 ? gpcs[gpcBase(rs.g2) + G_KHVA]! : 0;
  if (khva1 < 0 || khva2 < 0) return false;
  checkKhvaAccessLocked(ctx, rs.g1);
  if (rs.len2 > 0) checkKhvaAccessLocked(ctx, rs.g2);
  const vx = rs.vx;
  const w = rs.words;
  const entry = vx[VX_ENTRY]!;
  const entryHi = Math.floor(entry / TWO_32) | 0;
  w[RS_STATE] = vx[VX_STATE]!;
  w[1] = 0; // memset of the padding
  w[RS_ENTRY_LO] = entry >>> 0;
  w[RS_ENTRY_HI] = entryHi | RUNSTATE_UPDATE_HI; // entry_time |= XEN_RUNSTATE_UPDATE
  for (let i = 0; i < 4; i++) {
    const t = vx[VX_TIMES + i]!;
    w[rsTimeLo(i)] = t >>> 0;
    w[rsTimeLo(i) + 1] = Math.floor(t / TWO_32) | 0;
  }
  const ram = ctx.ram;
  const ram8 = rs.ram8;
  const updateAt = rs.updateInGpc2 ? khva2 + (RUNSTATE_UPDATE_BYTE - rs.len1) : khva1 + RUNSTATE_UPDATE_BYTE;
  // *update_bit = (vx->runstate_entry_time | XEN_RUNSTATE_UPDATE) >> 56; smp_wmb();
  Atomics.store(ram8, updateAt, (w[RS_ENTRY_HI]! >>> 24) & 0xff);
  const words1 = rs.len1 >> 2;
  const at1 = khva1 >> 2;
  for (let i = 0; i < words1; i++) Atomics.store(ram, at1 + i, w[i]!);
  if (rs.len2 > 0) {
    const at2 = (khva2 >> 2) - words1;
    for (let i = words1; i < RUNSTATE_WORDS; i++) Atomics.store(ram, at2 + i, w[i]!);
  }
  // smp_wmb(); entry_time &= ~XEN_RUNSTATE_UPDATE; *update_bit = entry_time >> 56; smp_wmb();
  Atomics.store(ram8, updateAt, (entryHi >>> 24) & 0xff);
  checkKhvaAfterAccessLocked(ctx, rs.g1);
  if (rs.len2 > 0) checkKhvaAfterAccessLocked(ctx, rs.g2);
  traceStep(ctx, STEP_KHVA_ACCESS, rs.g1, -1, khva1 >> ctx.pageShift, w[RS_ENTRY_LO]!);
  if (rs.len2 > 0) traceStep(ctx, STEP_KHVA_ACCESS, rs.g2, -1, khva2 >> ctx.pageShift, w[RS_ENTRY_LO]!);
  return true;
}
