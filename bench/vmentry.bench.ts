/**
 * Per-vmentry cost of each entry-check strategy (issue 5; DESIGN 5.7 and 9), on the thread that
 * plays one vCPU. Three families of variants, all timed in batches and interleaved in one run
 * (src/bench/gc-aware-bench.ts over src/harness/batch-timer.ts):
 *
 *  raw floors (deliberately raw, on this thread's private cache lines):
 *    empty loop; plain load; Atomics.load; Atomics.load+compare (the generation check's floor);
 *    Atomics.add+Atomics.sub on 1, 2, 3 and 8 lines (read_lock+read_unlock of that many locks);
 *    add+load+sub (a read lock plus the Atomics.load of the generation gpcCheckLocked does);
 *    4 plain loads (the lockless check of two caches: active and valid).
 *  check: the entry check alone: each strategy module's own `check` (src/kvm/strategies/*.ts) over
 *    the vCPU's guest-uses register file (its two nested caches), called from the variant's own
 *    loop (a monomorphic call site, as in the vCPU loop); `locked` over 1, 3 and 8 caches through
 *    src/bench/locked-caches.ts (the locked strategy's per-cache step over a list of caches); and
 *    the generation compare written out ("generation, bare compare"). Floor: its raw Atomics
 *    operations (the strategy's benchFloor).
 *  vmentry: one entry of the vCPU loop around the check, with the loop's own exported steps
 *    (src/kvm/vcpu-loop.ts: vcpuHandleRequests, which reloads the nested pages when asked;
 *    enterGuestMode; srcuExit; the CHECK; vcpuEntryCheckDone, which requests
 *    GET_NESTED_STATE_PAGES on a failure; pendingRequests; vcpuLeaveGuestMode). The guest runs zero
 *    steps. Floor: the same entry with no check ("vmentry: empty").
 *
 * A failed check (under invalidations of the cached pages) costs what it costs the real loop: a
 * request and, at the next entry, the reload; check-only variants reload at once. Counters of
 * failed checks and reloads per variant come back with the stats. Timed loops allocate nothing
 * (a refresh calls performance.now, which allocates: that is the model's own refresh-latency
 * recorder, and GC-overlapping samples are dropped).
 */
import { openModelContext, type ModelContext, type VmBuffers } from '../src/kvm/model-context.js';
import { getNestedStatePages } from '../src/kvm/users/nested-pages.js';
import { enterGuestMode, pendingRequests } from '../src/kvm/vcpu-kick.js';
import { openVcpuState, vcpuEntryCheckDone, vcpuHandleRequests, vcpuLeaveGuestMode, type VcpuState } from '../src/kvm/vcpu-entry.js';
import { srcuEnter, srcuExit } from '../src/kvm/srcu.js';
import { ST_GET_NESTED } from '../src/kvm/thread-stats.js';
import { GENERATION } from '../src/kvm/strategies/generation.js';
import { LOCKED } from '../src/kvm/strategies/locked.js';
import { LOCKLESS } from '../src/kvm/strategies/lockless.js';
import { NONE } from '../src/kvm/strategies/none.js';
import type { StrategyName } from '../src/kvm/strategies/registry.js';
import { memslotsGeneration } from '../src/mem/memslots.js';
import { CACHE_LINE_INTS, allocateSharedInts } from '../src/mem/shared-buffer.js';
import type { BatchVariant } from '../src/harness/batch-timer.js';
import { lockedCheckCaches, refreshFailedCaches } from '../src/bench/locked-caches.js';

/** Raw-floor words: 9 lines (add+sub on up to 8 lines, one generation word). */
const RAW_LINES = 9;
const RAW_GEN = 8 * CACHE_LINE_INTS;

export const VMENTRY_EMPTY = 'vmentry: empty';
export const FLOOR_EMPTY_LOOP = 'floor: empty loop';
/** memslotsGeneration(ms) === gr.generation, written out (not through the generation strategy's check function). */
export const GENERATION_BARE = 'check: generation, bare compare';

export function rawAddSubName(lines: number): string {
  return lines === 1 ? 'raw: add+sub' : `raw: add+sub x${lines}`;
}
export function checkName(strategy: StrategyName, caches: number): string {
  return strategy === 'locked' ? `check: locked x${caches}` : `check: ${strategy}`;
}
export function vmentryName(strategy: StrategyName, caches: number): string {
  return strategy === 'locked' ? `vmentry: locked x${caches}` : `vmentry: ${strategy}`;
}

export interface VmentrySetup {
  readonly buffers: VmBuffers;
  readonly vcpu: number;
  readonly caches: readonly number[];
  readonly lockedCounts: readonly number[];
  readonly strategies: readonly StrategyName[];
}

export interface VmentryBench {
  readonly variants: BatchVariant[];
  /** Per variant: operations, failed checks, reloads (filled as batches run). */
  readonly operations: Float64Array;
  readonly checkFailures: Float64Array;
  readonly reloads: Float64Array;
  /** The context reloads run in (its refreshLatency records every refresh). */
  readonly reloadContext: ModelContext;
  /** Ends the thread's SRCU read section (after the timed phase). */
  readonly release: () => void;
}

/** Upper bound on variants per thread (counters are preallocated). */
const MAX_VARIANTS = 64;

/** The bench's extras around the vCPU loop's own state (allocated once). */
interface EntryState {
  readonly ctx: ModelContext;
  readonly vs: VcpuState;
  readonly caches: Int32Array;
  /** The vCPU's own guest-uses caches (its register file); the rest of `caches` are other vCPUs'. */
  readonly own: number;
  /** A locked xN (N > own) check failed: refresh the failing extra caches with the next reload. */
  refreshExtra: number;
  failures: number;
}

/** GET_NESTED_STATE_PAGES for the own pages (the loop's user code), and the other checked caches that fail. */
function reloadNestedPages(st: EntryState, count: number): void {
  getNestedStatePages(st.ctx, st.vs.gr);
  if (count > st.own) refreshFailedCaches(st.ctx, st.caches, st.own, count);
}

/** The entry up to the check, with the loop's steps: requests (a reload if asked), IN_GUEST_MODE, SRCU unlock. */
function entryBeforeCheck(st: EntryState): void {
  const vs = st.vs;
  if (st.refreshExtra > 0) {
    refreshFailedCaches(st.ctx, st.caches, st.own, st.refreshExtra);
    st.refreshExtra = 0;
  }
  vcpuHandleRequests(st.ctx, vs);
  enterGuestMode(st.ctx.vcpus, vs.v, vs.session);
  srcuExit(st.ctx, vs.srcu);
}

/** The entry after the check, with the loop's steps: request on failure, pending check, OUTSIDE_GUEST_MODE, SRCU lock. */
function entryAfterCheck(st: EntryState, ok: boolean, count: number): number {
  const vs = st.vs;
  if (!vcpuEntryCheckDone(st.ctx, vs, ok)) {
    st.failures++;
    if (count > st.own) st.refreshExtra = count;
  }
  const pending = pendingRequests(st.ctx.vcpus, vs.v);
  vcpuLeaveGuestMode(st.ctx, vs);
  return pending;
}

/** A check-only variant's failure: the reload the vCPU would do before its next entry. */
function reloadAfterFailedCheck(st: EntryState, count: number): void {
  st.failures++;
  reloadNestedPages(st, count);
}

/** Builds the variants for one timing thread. Cold path; call in the worker before timing. */
export function vmentryBenchVariants(setup: VmentrySetup): VmentryBench {
  const v = setup.vcpu;
  const ctx = openModelContext(setup.buffers, v);
  const vs = openVcpuState(ctx, v);
  const gr = vs.gr;
  const caches = Int32Array.from(setup.caches);
  const st: EntryState = { ctx, vs, caches, own: gr.count, refreshExtra: 0, failures: 0 };
  // Outside guest mode, in an SRCU read section, with the nested pages loaded: the state between batches.
  vs.srcu = srcuEnter(ctx);
  reloadNestedPages(st, caches.length);
  const OWN_CACHES = gr.count;
  const checkNone = NONE.check;
  const checkGeneration = GENERATION.check;
  const checkLockless = LOCKLESS.check;
  const checkLocked = LOCKED.check;
  const raw = new Int32Array(allocateSharedInts(RAW_LINES * CACHE_LINE_INTS));
  Atomics.store(raw, RAW_GEN, 1);

  const variants: BatchVariant[] = [];
  const counters = {
    operations: new Float64Array(MAX_VARIANTS),
    checkFailures: new Float64Array(MAX_VARIANTS),
    reloads: new Float64Array(MAX_VARIANTS),
  };
  /** Wraps a batch so that its operations, failures and reloads are counted per variant. */
  function counted(index: number, batch: (n: number) => number): (n: number) => number {
    return function countedBatch(n: number): number {
      st.failures = 0;
      const reloadsBefore = ctx.counters[ST_GET_NESTED]!;
      const result = batch(n);
      counters.operations[index]! += n;
      counters.checkFailures[index]! += st.failures;
      counters.reloads[index]! += ctx.counters[ST_GET_NESTED]! - reloadsBefore;
      return result;
    };
  }
  function add(name: string, floor: string | undefined, batch: (n: number) => number): void {
    if (variants.length >= MAX_VARIANTS) throw new RangeError(`more than ${MAX_VARIANTS} variants`);
    variants.push(floor === undefined ? { name, run: counted(variants.length, batch) } : { name, floor, run: counted(variants.length, batch) });
  }

  // ---- raw floors -------------------------------------------------------------------------
  function emptyLoopBatch(n: number): number {
    let x = 0;
    for (let i = 0; i < n; i++) x = (x + i) | 0;
    return x;
  }
  function rawPlainLoadBatch(n: number): number {
    let x = 0;
    // The index moves over 8 lines, so the load cannot be hoisted out of the loop.
    for (let i = 0; i < n; i++) x = (x + raw[(i & 7) * CACHE_LINE_INTS]!) | 0;
    return x;
  }
  function rawFourPlainLoadsBatch(n: number): number {
    let x = 0;
    for (let i = 0; i < n; i++) {
      const at = (i & 3) * 2 * CACHE_LINE_INTS;
      x = (x + raw[at]! + raw[at + 1]! + raw[at + CACHE_LINE_INTS]! + raw[at + CACHE_LINE_INTS + 1]!) | 0;
    }
    return x;
  }
  function rawAtomicsLoadBatch(n: number): number {
    let x = 0;
    for (let i = 0; i < n; i++) x = (x + Atomics.load(raw, RAW_GEN)) | 0;
    return x;
  }
  function rawLoadCompareBatch(n: number): number {
    const snapshot = gr.generation === -12345 ? 0 : 1;
    let ok = 0;
    for (let i = 0; i < n; i++) if (Atomics.load(raw, RAW_GEN) === snapshot) ok++;
    return ok;
  }
  function rawAddLoadSubBatch(n: number): number {
    let x = 0;
    for (let i = 0; i < n; i++) {
      Atomics.add(raw, 0, 4);
      x = (x + Atomics.load(raw, RAW_GEN)) | 0;
      Atomics.sub(raw, 0, 4);
    }
    return x;
  }
  function rawAddSubLines(lines: number): (n: number) => number {
    return function rawAddSubLinesBatch(n: number): number {
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < lines; k++) {
          Atomics.add(raw, k * CACHE_LINE_INTS, 4);
          Atomics.sub(raw, k * CACHE_LINE_INTS, 4);
        }
      }
      return raw[0]!;
    };
  }
  add(FLOOR_EMPTY_LOOP, undefined, emptyLoopBatch);
  add('raw: plain load', FLOOR_EMPTY_LOOP, rawPlainLoadBatch);
  add('raw: 4 plain loads', FLOOR_EMPTY_LOOP, rawFourPlainLoadsBatch);
  add('raw: Atomics.load', FLOOR_EMPTY_LOOP, rawAtomicsLoadBatch);
  add('raw: Atomics.load+compare', FLOOR_EMPTY_LOOP, rawLoadCompareBatch);
  add('raw: add+load+sub', rawAddSubName(1), rawAddLoadSubBatch);
  const lockedCounts = setup.strategies.includes('locked') ? setup.lockedCounts : [];
  for (const lines of new Set([1, ...lockedCounts])) add(rawAddSubName(lines), FLOOR_EMPTY_LOOP, rawAddSubLines(lines));

  // ---- the entry check alone ----------------------------------------------------------------
  function checkNoneBatch(n: number): number {
    let ok = 0;
    for (let i = 0; i < n; i++) {
      if (checkNone(ctx, gr)) ok++;
      else reloadAfterFailedCheck(st, OWN_CACHES);
    }
    return ok;
  }
  function checkGenerationBatch(n: number): number {
    let ok = 0;
    for (let i = 0; i < n; i++) {
      if (checkGeneration(ctx, gr)) ok++;
      else reloadAfterFailedCheck(st, OWN_CACHES);
    }
    return ok;
  }
  /** The generation strategy's compare written out, without the strategy function around it. */
  function checkGenerationBareBatch(n: number): number {
    const ms = ctx.ms;
    let ok = 0;
    for (let i = 0; i < n; i++) {
      if (memslotsGeneration(ms) === gr.generation) ok++;
      else reloadAfterFailedCheck(st, OWN_CACHES);
    }
    return ok;
  }
  function checkLocklessBatch(n: number): number {
    let ok = 0;
    for (let i = 0; i < n; i++) {
      if (checkLockless(ctx, gr)) ok++;
      else reloadAfterFailedCheck(st, OWN_CACHES);
    }
    return ok;
  }
  function checkLockedOwnBatch(n: number): number {
    let ok = 0;
    for (let i = 0; i < n; i++) {
      if (checkLocked(ctx, gr)) ok++;
      else reloadAfterFailedCheck(st, OWN_CACHES);
    }
    return ok;
  }
  function checkLockedCaches(count: number): (n: number) => number {
    return function checkLockedCachesBatch(n: number): number {
      let ok = 0;
      for (let i = 0; i < n; i++) {
        if (lockedCheckCaches(ctx, caches, count)) ok++;
        else reloadAfterFailedCheck(st, count);
      }
      return ok;
    };
  }

  // ---- one vmentry around the check ---------------------------------------------------------
  function vmentryEmptyBatch(n: number): number {
    let pending = 0;
    for (let i = 0; i < n; i++) {
      entryBeforeCheck(st);
      pending = (pending + entryAfterCheck(st, true, OWN_CACHES)) | 0;
    }
    return pending;
  }
  function vmentryNoneBatch(n: number): number {
    let pending = 0;
    for (let i = 0; i < n; i++) {
      entryBeforeCheck(st);
      pending = (pending + entryAfterCheck(st, checkNone(ctx, gr), OWN_CACHES)) | 0;
    }
    return pending;
  }
  function vmentryGenerationBatch(n: number): number {
    let pending = 0;
    for (let i = 0; i < n; i++) {
      entryBeforeCheck(st);
      pending = (pending + entryAfterCheck(st, checkGeneration(ctx, gr), OWN_CACHES)) | 0;
    }
    return pending;
  }
  function vmentryLocklessBatch(n: number): number {
    let pending = 0;
    for (let i = 0; i < n; i++) {
      entryBeforeCheck(st);
      pending = (pending + entryAfterCheck(st, checkLockless(ctx, gr), OWN_CACHES)) | 0;
    }
    return pending;
  }
  function vmentryLockedOwnBatch(n: number): number {
    let pending = 0;
    for (let i = 0; i < n; i++) {
      entryBeforeCheck(st);
      pending = (pending + entryAfterCheck(st, checkLocked(ctx, gr), OWN_CACHES)) | 0;
    }
    return pending;
  }
  function vmentryLockedCaches(count: number): (n: number) => number {
    return function vmentryLockedCachesBatch(n: number): number {
      let pending = 0;
      for (let i = 0; i < n; i++) {
        entryBeforeCheck(st);
        pending = (pending + entryAfterCheck(st, lockedCheckCaches(ctx, caches, count), count)) | 0;
      }
      return pending;
    };
  }

  const has = (s: StrategyName): boolean => setup.strategies.includes(s);
  if (has('none')) add(checkName('none', 0), FLOOR_EMPTY_LOOP, checkNoneBatch);
  if (has('generation')) {
    add(checkName('generation', 0), GENERATION.benchFloor(OWN_CACHES), checkGenerationBatch);
    add(GENERATION_BARE, GENERATION.benchFloor(OWN_CACHES), checkGenerationBareBatch);
  }
  if (has('lockless')) add(checkName('lockless', 0), LOCKLESS.benchFloor(OWN_CACHES), checkLocklessBatch);
  for (const count of lockedCounts) {
    if (count > caches.length) throw new RangeError(`locked x${count}: only ${caches.length} caches per thread`);
    add(checkName('locked', count), LOCKED.benchFloor(count), count === OWN_CACHES ? checkLockedOwnBatch : checkLockedCaches(count));
  }
  add(VMENTRY_EMPTY, undefined, vmentryEmptyBatch);
  if (has('none')) add(vmentryName('none', 0), VMENTRY_EMPTY, vmentryNoneBatch);
  if (has('generation')) add(vmentryName('generation', 0), VMENTRY_EMPTY, vmentryGenerationBatch);
  if (has('lockless')) add(vmentryName('lockless', 0), VMENTRY_EMPTY, vmentryLocklessBatch);
  for (const count of lockedCounts) {
    add(vmentryName('locked', count), VMENTRY_EMPTY, count === OWN_CACHES ? vmentryLockedOwnBatch : vmentryLockedCaches(count));
  }

  function releaseEntryState(): void {
    srcuExit(ctx, vs.srcu);
  }
  const count = variants.length;
  return {
    variants,
    operations: counters.operations.subarray(0, count),
    checkFailures: counters.checkFailures.subarray(0, count),
    reloads: counters.reloads.subarray(0, count),
    reloadContext: ctx,
    release: releaseEntryState,
  };
}
