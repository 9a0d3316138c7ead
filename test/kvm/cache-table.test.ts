import { describe, expect, it } from 'vitest';
import { guestLayout, spareGfn, threadName } from '../../src/kvm/guest-layout.js';
import { cacheLabel, cacheNamed, guestUsesCaches, registerCache, userCache, userGfn } from '../../src/kvm/cache-table.js';
import { CACHE_USERS, USER_NESTED_VMX, USER_STEAL_TIME, USER_XEN_SHINFO } from '../../src/kvm/cache-users.js';

describe('the cache table (built from the cache users)', () => {
  it('a 2-vCPU VM: shared_info, then each vCPU\'s steal time, then each vCPU\'s two nested pages, then each vCPU\'s vcpu_info, then each vCPU\'s two runstate caches, in that index order', () => {
    const { caches: table, gpcs } = guestLayout(2, 4096);
    expect(table.caches.map((c) => c.name)).toEqual([
      'shared_info',
      'steal-time vcpu-0',
      'steal-time vcpu-1',
      'vAPIC page vcpu-0',
      'PI descriptor vcpu-0',
      'vAPIC page vcpu-1',
      'PI descriptor vcpu-1',
      'vcpu_info vcpu-0',
      'vcpu_info vcpu-1',
      'runstate_cache vcpu-0',
      'runstate2_cache vcpu-0',
      'runstate_cache vcpu-1',
      'runstate2_cache vcpu-1',
    ]);
    expect(gpcs).toBe(13);
    expect(table.caches.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(cacheNamed(table, 'shared_info')).toMatchObject({ owner: -1, usage: 'host', addressKind: 'gpa', register: -1, length: 8 });
    expect(cacheNamed(table, 'PI descriptor vcpu-1')).toMatchObject({ owner: 1, usage: 'guest', register: 1, length: 4096 });
    expect(cacheNamed(table, 'vcpu_info vcpu-1')).toMatchObject({ owner: 1, usage: 'host', addressKind: 'gpa', register: -1, length: 64, offset: 0x540 });
  });

  it('lookups by (user, owner, k) agree with the table, and each cache sits on a page of its user\'s memslot region', () => {
    const layout = guestLayout(3, 4096);
    const table = layout.caches;
    for (const cache of table.caches) {
      const user = CACHE_USERS[cache.user]!;
      const k = user.caches.findIndex((d) => cache.name.startsWith(d.name));
      expect(userCache(table, cache.user, cache.owner, k)).toBe(cache.index);
      expect(userGfn(table, cache.user, cache.owner, user.caches[k]!.page)).toBe(cache.gfn);
      const slot = cache.user;
      expect(cache.gfn).toBeGreaterThanOrEqual(layout.slotBase[slot]!);
      expect(cache.gfn).toBeLessThan(layout.slotBase[slot]! + layout.slotPages[slot]!);
    }
    expect(userCache(table, USER_XEN_SHINFO, -1, 0)).toBe(0);
    expect(userCache(table, USER_STEAL_TIME, 2, 0)).toBe(3);
    expect(userGfn(table, USER_NESTED_VMX, 2, 1)).toBe(cacheNamed(table, 'PI descriptor vcpu-2').gfn);
    // No cache on the spare pages (the unrelated invalidations' targets).
    const spare = new Set(Array.from({ length: 8 }, (_, i) => spareGfn(layout, i)));
    expect(table.caches.some((c) => spare.has(c.gfn))).toBe(false);
    expect(layout.userGfns).toBe(layout.slotBase[layout.slotSpare]);
  });

  it('guest-uses caches get registers per owner vCPU; host-uses caches get none', () => {
    const { caches: table } = guestLayout(2, 4096);
    expect(table.registersPerVcpu).toBe(2);
    expect(registerCache(table, 1, 0)).toBe(cacheNamed(table, 'vAPIC page vcpu-1').index);
    expect(registerCache(table, 1, 1)).toBe(cacheNamed(table, 'PI descriptor vcpu-1').index);
    expect(guestUsesCaches(table, 1, 2).map((c) => c.name)).toEqual(['vAPIC page vcpu-1', 'PI descriptor vcpu-1']);
    expect(table.caches.filter((c) => c.usage === 'host').every((c) => c.register === -1)).toBe(true);
  });

  it('names: caches and threads are looked up, never computed; an unknown name lists the known ones', () => {
    const layout = guestLayout(2, 4096);
    expect(cacheLabel(layout.caches, 3)).toBe('gpc 3 (vAPIC page vcpu-0)');
    expect(cacheLabel(layout.caches, -1)).toBe('-');
    expect(threadName(layout, 1)).toBe('vcpu-1');
    expect(threadName(layout, 2)).toBe('notifier');
    expect(threadName(layout, layout.threadMain)).toBe('main');
    expect(() => cacheNamed(layout.caches, 'nope')).toThrow(/no cache named 'nope' \(known: shared_info, steal-time vcpu-0/);
  });
});
