import { describe, expect, it } from 'vitest';
import { buildBenchVm, CACHES_PER_THREAD } from '../../src/bench/bench-vm.js';
import { lockedCheckCaches, refreshFailedCaches } from '../../src/bench/locked-caches.js';
import { MM_MIGRATE, mmEventBegin, mmEventFinish } from '../../src/kvm/host-mm-events.js';
import { cacheNamed } from '../../src/kvm/cache-table.js';
import { srcuReadLock, srcuReadUnlock } from '../../src/mem/memslots.js';

describe('the locked check over N caches (bench adapter over readLock/gpcCheckLocked/readUnlock)', () => {
  it('a fresh bench VM: each timing thread has 8 distinct active caches, and the check passes', () => {
    const vm = buildBenchVm({ timingThreads: 2, seed: 1 });
    const a = vm.cachesOf(0);
    const b = vm.cachesOf(1);
    expect(a).toHaveLength(CACHES_PER_THREAD);
    expect(new Set([...a, ...b]).size).toBe(2 * CACHES_PER_THREAD);
    expect(vm.cachedGfns).toHaveLength(2 * CACHES_PER_THREAD);
    expect(lockedCheckCaches(vm.built.main, Int32Array.from(a), 8)).toBe(true);
  });

  it('a migration of the 2nd cache\'s page fails the 2- and 8-cache checks but not the 1-cache one; refresh restores it', () => {
    const vm = buildBenchVm({ timingThreads: 1, seed: 1 });
    const ctx = vm.built.main;
    const caches = Int32Array.from(vm.cachesOf(0));
    const gfn = cacheNamed(vm.built.layout.caches, `PI descriptor vcpu-${vm.vcpuOf(0)}`).gfn;
    mmEventBegin(ctx, MM_MIGRATE, gfn);
    mmEventFinish(ctx, MM_MIGRATE, gfn);
    expect(lockedCheckCaches(ctx, caches, 1)).toBe(true);
    expect(lockedCheckCaches(ctx, caches, 2)).toBe(false);
    expect(lockedCheckCaches(ctx, caches, 8)).toBe(false);
    const srcu = srcuReadLock(ctx.ms, ctx.thread);
    expect(refreshFailedCaches(ctx, caches, 0, 8)).toBe(1);
    srcuReadUnlock(ctx.ms, ctx.thread, srcu);
    expect(lockedCheckCaches(ctx, caches, 8)).toBe(true);
  });
});
