/**
 * The guest-uses register file: per vCPU, one register per guest-uses cache it owns (the cache
 * table's `register`), holding what that cache handed the vCPU "hardware" (the vmcs02 fields) at
 * its last load: the pfn, the page's epoch then, the memslot generation and the host virtual page
 * of the translation. In guest mode the hardware uses these pfns with no lock.
 *
 * Shared copy, one block of `stride` ints per vCPU (a whole number of cache lines):
 *
 *   vCPU v, register r at v * stride + r * REGISTER_INTS:   PFN | EPOCH | GENERATION | VPAGE
 *
 * Guard: written only by vCPU v (publishRegisters), and only while its RUNNING (vcpu-layout.ts) is
 * 0 | Readers: the free-while-in-guest oracle (the mm, before a free), stall dumps. The vCPU stores
 * RUNNING = 1 (sequentially consistent) after publishing, and the oracle reads RUNNING before the
 * registers: a vCPU seen RUNNING has its registers visible.
 *
 * Each vCPU also keeps a local copy (GuestRegisters), which is what its hot path reads.
 */
import { CACHE_LINE_INTS, allocateSharedInts } from '../mem/shared-buffer.js';
import { CACHE_USERS } from './cache-users.js';
import { registerCache, type CacheTable } from './cache-table.js';

export const R_PFN = 0;
export const R_EPOCH = 1;
export const R_GENERATION = 2;
export const R_VPAGE = 3;
export const REGISTER_INTS = 4;

/** Ints per vCPU in the shared copy. */
export function registerStride(registers: number): number {
  const ints = Math.max(1, registers) * REGISTER_INTS;
  return Math.ceil(ints / CACHE_LINE_INTS) * CACHE_LINE_INTS;
}

/** The shared register file, every pfn and vpage -1 (nothing loaded). Cold path. */
export function createRegisterFileBuffer(vcpus: number, registers: number): SharedArrayBuffer {
  const stride = registerStride(registers);
  const buffer = allocateSharedInts(Math.max(1, vcpus) * stride);
  const mem = new Int32Array(buffer);
  for (let v = 0; v < vcpus; v++) {
    for (let r = 0; r < registers; r++) {
      mem[v * stride + r * REGISTER_INTS + R_PFN] = -1;
      mem[v * stride + r * REGISTER_INTS + R_VPAGE] = -1;
    }
  }
  return buffer;
}

/** A vCPU's own copy of its registers, plus what its entry needs to know about them (allocated once). */
export interface GuestRegisters {
  readonly v: number;
  readonly count: number;
  /** Per register: the cache it holds, and the gfn that cache translates. */
  readonly cache: Int32Array;
  readonly gfn: Int32Array;
  /** count * REGISTER_INTS: PFN | EPOCH | GENERATION | VPAGE per register. */
  readonly regs: Int32Array;
  /** Per user (CACHE_USERS index): the register of its first guest-uses cache for this vCPU, or -1. */
  readonly userRegister: Int32Array;
  /** Oldest memslot generation among the registers: the `generation` strategy's snapshot. */
  generation: number;
  /** Oracle snapshot at entry: where each register's gfn translates then (host virtual page). */
  readonly vpageNow: Int32Array;
  /** The hardware's tick counter (the nested user's vAPIC page shows it to the guest). */
  tick: number;
}

export function openGuestRegisters(table: CacheTable, v: number): GuestRegisters {
  const count = table.registersPerVcpu;
  const cache = new Int32Array(count);
  const gfn = new Int32Array(count);
  const regs = new Int32Array(Math.max(1, count) * REGISTER_INTS);
  const userRegister = new Int32Array(CACHE_USERS.length).fill(-1);
  for (let r = 0; r < count; r++) {
    const g = registerCache(table, v, r);
    const spec = table.caches[g]!;
    cache[r] = g;
    gfn[r] = spec.gfn;
    regs[r * REGISTER_INTS + R_PFN] = -1;
    regs[r * REGISTER_INTS + R_VPAGE] = -1;
    if (userRegister[spec.user] === -1) userRegister[spec.user] = r;
  }
  return { v, count, cache, gfn, regs, userRegister, generation: 0, vpageNow: new Int32Array(Math.max(1, count)).fill(-1), tick: 0 };
}

/** Loads register r (local copy). Call publishRegisters when the load is complete. */
export function loadRegister(gr: GuestRegisters, r: number, pfn: number, epoch: number, generation: number, vpage: number): void {
  const at = r * REGISTER_INTS;
  gr.regs[at + R_PFN] = pfn;
  gr.regs[at + R_EPOCH] = epoch;
  gr.regs[at + R_GENERATION] = generation;
  gr.regs[at + R_VPAGE] = vpage;
}

/** The register's pfn (-1: nothing loaded). Hot path. */
export function registerPfn(gr: GuestRegisters, r: number): number {
  return gr.regs[r * REGISTER_INTS + R_PFN]!;
}

export function registerEpoch(gr: GuestRegisters, r: number): number {
  return gr.regs[r * REGISTER_INTS + R_EPOCH]!;
}

/**
 * Publishes the local copy to the shared register file and recomputes the generation snapshot
 * (the oldest of the registers'). The caller is outside guest mode (RUNNING is 0).
 */
export function publishRegisters(file: Int32Array, stride: number, gr: GuestRegisters): void {
  const base = gr.v * stride;
  let oldest = gr.count > 0 ? gr.regs[R_GENERATION]! : 0;
  for (let r = 0; r < gr.count; r++) {
    const at = r * REGISTER_INTS;
    const generation = gr.regs[at + R_GENERATION]!;
    if (((generation - oldest) | 0) < 0) oldest = generation;
    Atomics.store(file, base + at + R_PFN, gr.regs[at + R_PFN]!);
    Atomics.store(file, base + at + R_EPOCH, gr.regs[at + R_EPOCH]!);
    Atomics.store(file, base + at + R_GENERATION, generation);
    Atomics.store(file, base + at + R_VPAGE, gr.regs[at + R_VPAGE]!);
  }
  gr.generation = oldest;
}

/** Another thread's view of vCPU v's register r pfn (oracles). */
export function sharedRegisterPfn(file: Int32Array, stride: number, v: number, r: number): number {
  return Atomics.load(file, v * stride + r * REGISTER_INTS + R_PFN);
}
