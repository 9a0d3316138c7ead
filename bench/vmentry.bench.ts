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
 *  check: the entry check alone, as the vCPU loop calls it: entryCheck (src/kvm/entry-check.ts)
 *    with strategy none, generation, lockless, locked (its two nested caches); and `locked` over
 *    1, 3 and 8 caches through the adapter src/bench/locked-caches.ts (same readLock /
 *    gpcCheckLocked / readUnlock); and the generation compare called directly, without
 *    entryCheck's dispatch ("generation, bare compare"). Floor: its raw Atomics operations.
 *  vmentry: one entry of the vCPU loop around the check, with the loop's own calls
 *    (src/kvm/vcpu-kick.ts, src/mem/memslots.ts): take requests (and reload the nested pages if
 *    asked: getNestedStatePages + refresh), IN_GUEST_MODE, SRCU unlock, CHECK, a failed check
 *    requests GET_NESTED_STATE_PAGES, pending-request check, OUTSIDE_GUEST_MODE, SRCU lock. The
 *    guest runs zero steps. Floor: the same entry with no check ("vmentry: empty").
 *
 * A failed check (under invalidations of the cached pages) costs what it costs the real loop: a
 * request and, at the next entry, the reload; check-only variants reload at once. Counters of
 * failed checks and reloads per variant come back with the stats. Timed loops allocate nothing
 * (a refresh calls performance.now, which allocates: that is the model's own refresh-latency
 * recorder, and GC-overlapping samples are dropped).
 */
import { entryCheck } from '../src/kvm/entry-check.js';
import { openModelContext, type ModelContext, type VmBuffers } from '../src/kvm/model-context.js';
import { emptyNestedHardware, getNestedStatePages, type NestedHardware } from '../src/kvm/users/nested-pages.js';
import { enterGuestMode, exitGuestMode, makeRequest, pendingRequests, takeRequests } from '../src/kvm/vcpu-kick.js';
import { REQ_GET_NESTED_STATE_PAGES, REQ_GPC_INVALIDATE } from '../src/kvm/vcpu-layout.js';
import {
  STRATEGY_GENERATION,
  STRATEGY_LOCKED,
  STRATEGY_LOCKLESS,
  STRATEGY_NONE,
  type StrategyName,
} from '../src/kvm/vm-layout.js';
import { memslotsGeneration, srcuReadLock, srcuReadUnlock } from '../src/mem/memslots.js';
import { CACHE_LINE_INTS, allocateSharedInts } from '../src/mem/shared-buffer.js';
import type { BatchVariant } from '../src/harness/batch-timer.js';
import { lockedCheckCaches, refreshFailedCaches } from '../src/bench/locked-caches.js';

/** Raw-floor words: 9 lines (add+sub on up to 8 lines, one generation word). */
const RAW_LINES = 9;
const RAW_GEN = 8 * CACHE_LINE_INTS;
/** The two caches the real entryCheck covers. */
const OWN_CACHES = 2;

export const VMENTRY_EMPTY = 'vmentry: empty';
export const FLOOR_EMPTY_LOOP = 'floor: empty loop';
/** memslotsGeneration(ms) === hw.generation, called directly (not through entryCheck). */
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

/** The vCPU state the entry path carries between entries (allocated once). */
interface EntryState {
  readonly v: number;
  readonly vcpus: Int32Array;
  readonly ctx: ModelContext;
  readonly hw: NestedHardware;
  readonly caches: Int32Array;
  session: number;
  srcu: number;
  failures: number;
  reloads: number;
}

/** GET_NESTED_STATE_PAGES / GPC_INVALIDATE: reload the own two pages, refresh the other checked caches that fail. */
function reloadNestedPages(st: EntryState, count: number): void {
  st.reloads++;
  getNestedStatePages(st.ctx, st.v, st.hw);
  if (count > OWN_CACHES) refreshFailedCaches(st.ctx, st.caches, OWN_CACHES, count);
}

/** The entry up to the check: requests, IN_GUEST_MODE, SRCU unlock. */
function entryBeforeCheck(st: EntryState, count: number): void {
  const requests = takeRequests(st.vcpus, st.v);
  if ((requests & (REQ_GET_NESTED_STATE_PAGES | REQ_GPC_INVALIDATE)) !== 0) reloadNestedPages(st, count);
  enterGuestMode(st.vcpus, st.v, st.session);
  srcuReadUnlock(st.ctx.ms, st.ctx.thread, st.srcu);
  st.ctx.srcuGeneration = -1;
}

/** The entry after the check: request on failure, pending check, OUTSIDE_GUEST_MODE, SRCU lock. */
function entryAfterCheck(st: EntryState, ok: boolean): number {
  if (!ok) {
    st.failures++;
    makeRequest(st.vcpus, st.v, REQ_GET_NESTED_STATE_PAGES);
  }
  const pending = pendingRequests(st.vcpus, st.v);
  exitGuestMode(st.vcpus, st.v, st.session);
  st.session = (st.session + 1) | 0;
  st.srcu = srcuReadLock(st.ctx.ms, st.ctx.thread);
  st.ctx.srcuGeneration = st.srcu;
  return pending;
}

/** A check-only variant's failure: the reload the vCPU would do before its next entry. */
function reloadAfterFailedCheck(st: EntryState, count: number): void {
  st.failures++;
  reloadNestedPages(st, count);
}

/** A context like `base` with another entry strategy (one spread site: every copy has one shape). */
function withStrategy(base: ModelContext, strategy: number): ModelContext {
  return { ...base, strategy };
}

/** Builds the variants for one timing thread. Cold path; call in the worker before timing. */
export function vmentryBenchVariants(setup: VmentrySetup): VmentryBench {
  const v = setup.vcpu;
  const base = openModelContext(setup.buffers, v);
  const ctxNone = withStrategy(base, STRATEGY_NONE);
  const ctxGeneration = withStrategy(base, STRATEGY_GENERATION);
  const ctxLockless = withStrategy(base, STRATEGY_LOCKLESS);
  const ctxLocked = withStrategy(base, STRATEGY_LOCKED);
  const caches = Int32Array.from(setup.caches);
  const st: EntryState = {
    v,
    vcpus: ctxLocked.vcpus,
    ctx: ctxLocked,
    hw: emptyNestedHardware(),
    caches,
    session: 0,
    srcu: 0,
    failures: 0,
    reloads: 0,
  };
  // Outside guest mode, in an SRCU read section, with the nested pages loaded: the state between batches.
  st.srcu = srcuReadLock(ctxLocked.ms, ctxLocked.thread);
  ctxLocked.srcuGeneration = st.srcu;
  st.reloads = 0;
  reloadNestedPages(st, caches.length);
  st.reloads = 0;
  const hw = st.hw;
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
      st.reloads = 0;
      const result = batch(n);
      counters.operations[index]! += n;
      counters.checkFailures[index]! += st.failures;
      counters.reloads[index]! += st.reloads;
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
    const snapshot = hw.generation === -12345 ? 0 : 1;
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
      if (entryCheck(ctxNone, v, hw)) ok++;
      else reloadAfterFailedCheck(st, OWN_CACHES);
    }
    return ok;
  }
  function checkGenerationBatch(n: number): number {
    let ok = 0;
    for (let i = 0; i < n; i++) {
      if (entryCheck(ctxGeneration, v, hw)) ok++;
      else reloadAfterFailedCheck(st, OWN_CACHES);
    }
    return ok;
  }
  /** The generation strategy's compare without entryCheck around it: shows what the dispatch costs. */
  function checkGenerationBareBatch(n: number): number {
    const ms = ctxGeneration.ms;
    let ok = 0;
    for (let i = 0; i < n; i++) {
      if (memslotsGeneration(ms) === hw.generation) ok++;
      else reloadAfterFailedCheck(st, OWN_CACHES);
    }
    return ok;
  }
  function checkLocklessBatch(n: number): number {
    let ok = 0;
    for (let i = 0; i < n; i++) {
      if (entryCheck(ctxLockless, v, hw)) ok++;
      else reloadAfterFailedCheck(st, OWN_CACHES);
    }
    return ok;
  }
  function checkLockedTwoBatch(n: number): number {
    let ok = 0;
    for (let i = 0; i < n; i++) {
      if (entryCheck(ctxLocked, v, hw)) ok++;
      else reloadAfterFailedCheck(st, OWN_CACHES);
    }
    return ok;
  }
  function checkLockedCaches(count: number): (n: number) => number {
    return function checkLockedCachesBatch(n: number): number {
      let ok = 0;
      for (let i = 0; i < n; i++) {
        if (lockedCheckCaches(ctxLocked, caches, count)) ok++;
        else reloadAfterFailedCheck(st, count);
      }
      return ok;
    };
  }

  // ---- one vmentry around the check ---------------------------------------------------------
  function vmentryEmptyBatch(n: number): number {
    let pending = 0;
    for (let i = 0; i < n; i++) {
      entryBeforeCheck(st, OWN_CACHES);
      pending = (pending + entryAfterCheck(st, true)) | 0;
    }
    return pending;
  }
  function vmentryNoneBatch(n: number): number {
    let pending = 0;
    for (let i = 0; i < n; i++) {
      entryBeforeCheck(st, OWN_CACHES);
      pending = (pending + entryAfterCheck(st, entryCheck(ctxNone, v, hw))) | 0;
    }
    return pending;
  }
  function vmentryGenerationBatch(n: number): number {
    let pending = 0;
    for (let i = 0; i < n; i++) {
      entryBeforeCheck(st, OWN_CACHES);
      pending = (pending + entryAfterCheck(st, entryCheck(ctxGeneration, v, hw))) | 0;
    }
    return pending;
  }
  function vmentryLocklessBatch(n: number): number {
    let pending = 0;
    for (let i = 0; i < n; i++) {
      entryBeforeCheck(st, OWN_CACHES);
      pending = (pending + entryAfterCheck(st, entryCheck(ctxLockless, v, hw))) | 0;
    }
    return pending;
  }
  function vmentryLockedTwoBatch(n: number): number {
    let pending = 0;
    for (let i = 0; i < n; i++) {
      entryBeforeCheck(st, OWN_CACHES);
      pending = (pending + entryAfterCheck(st, entryCheck(ctxLocked, v, hw))) | 0;
    }
    return pending;
  }
  function vmentryLockedCaches(count: number): (n: number) => number {
    return function vmentryLockedCachesBatch(n: number): number {
      let pending = 0;
      for (let i = 0; i < n; i++) {
        entryBeforeCheck(st, count);
        pending = (pending + entryAfterCheck(st, lockedCheckCaches(ctxLocked, caches, count))) | 0;
      }
      return pending;
    };
  }

  const has = (s: StrategyName): boolean => setup.strategies.includes(s);
  if (has('none')) add(checkName('none', 0), FLOOR_EMPTY_LOOP, checkNoneBatch);
  if (has('generation')) {
    add(checkName('generation', 0), 'raw: Atomics.load+compare', checkGenerationBatch);
    add(GENERATION_BARE, 'raw: Atomics.load+compare', checkGenerationBareBatch);
  }
  if (has('lockless')) add(checkName('lockless', 0), 'raw: 4 plain loads', checkLocklessBatch);
  for (const count of lockedCounts) {
    if (count > caches.length) throw new RangeError(`locked x${count}: only ${caches.length} caches per thread`);
    add(checkName('locked', count), rawAddSubName(count), count === OWN_CACHES ? checkLockedTwoBatch : checkLockedCaches(count));
  }
  add(VMENTRY_EMPTY, undefined, vmentryEmptyBatch);
  if (has('none')) add(vmentryName('none', 0), VMENTRY_EMPTY, vmentryNoneBatch);
  if (has('generation')) add(vmentryName('generation', 0), VMENTRY_EMPTY, vmentryGenerationBatch);
  if (has('lockless')) add(vmentryName('lockless', 0), VMENTRY_EMPTY, vmentryLocklessBatch);
  for (const count of lockedCounts) {
    add(vmentryName('locked', count), VMENTRY_EMPTY, count === OWN_CACHES ? vmentryLockedTwoBatch : vmentryLockedCaches(count));
  }

  function releaseEntryState(): void {
    srcuReadUnlock(st.ctx.ms, st.ctx.thread, st.srcu);
    st.ctx.srcuGeneration = -1;
  }
  const count = variants.length;
  return {
    variants,
    operations: counters.operations.subarray(0, count),
    checkFailures: counters.checkFailures.subarray(0, count),
    reloads: counters.reloads.subarray(0, count),
    reloadContext: ctxLocked,
    release: releaseEntryState,
  };
}
