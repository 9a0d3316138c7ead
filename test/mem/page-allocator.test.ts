import { describe, expect, it } from 'vitest';
import { buildVm } from '../../src/stress/build-vm.js';
import { allocPageLocked, freePageLocked, pageState } from '../../src/mem/page-allocator.js';
import { META_INTS, META_REFCOUNT, MM_FREE_COUNT, MM_LOCK, PAGE_ALLOCATED, PAGE_FREE } from '../../src/mem/host-mm-layout.js';
import { writeLock, writeUnlock } from '../../src/sync/rwlock.js';
import { findingCount } from '../../src/trace/findings.js';
import { PROP_LEAKS } from '../../src/oracle/properties/leaks.js';
import { putPageLocked } from '../../src/kvm/page-refs.js';
import { testVmConfig } from '../support/vm-config.js';

describe('the page allocator', () => {
  it('refuses to free a page twice: the free list never holds one page twice', () => {
    const { main } = buildVm(testVmConfig());
    const mm = main.host.mm;
    writeLock(mm.mem, MM_LOCK);
    const pfn = allocPageLocked(mm, main.rng, 0);
    expect(pageState(mm, pfn)).toBe(PAGE_ALLOCATED);
    const free = mm.mem[MM_FREE_COUNT]!;
    expect(freePageLocked(mm, main.host.ram, pfn)).toBe(true);
    expect(mm.mem[MM_FREE_COUNT]).toBe(free + 1);
    expect(freePageLocked(mm, main.host.ram, pfn)).toBe(false);
    expect(mm.mem[MM_FREE_COUNT]).toBe(free + 1);
    expect(pageState(mm, pfn)).toBe(PAGE_FREE);
    writeUnlock(mm.mem, MM_LOCK);
  });

  it('a last put of a page that is already free is a leaks finding ("double-free"), and the page stays free once', () => {
    const { main } = buildVm(testVmConfig());
    const mm = main.host.mm;
    writeLock(mm.mem, MM_LOCK);
    const pfn = allocPageLocked(mm, main.rng, 0);
    expect(putPageLocked(main, -1, pfn)).toBe(0); // the file's reference: freed
    const free = mm.mem[MM_FREE_COUNT]!;
    // A stray reference on the freed page, then its put: the count reaches 0 again.
    Atomics.add(mm.mem, mm.metaBase + pfn * META_INTS + META_REFCOUNT, 1);
    expect(putPageLocked(main, -1, pfn)).toBe(0);
    writeUnlock(mm.mem, MM_LOCK);
    expect(mm.mem[MM_FREE_COUNT]).toBe(free);
    expect(findingCount(main.findings, PROP_LEAKS)).toBeGreaterThanOrEqual(1);
  });
});
