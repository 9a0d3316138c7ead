import { describe, expect, it } from 'vitest';
import { buildVm } from '../../src/stress/build-vm.js';
import { MM_MIGRATE, MM_UNMAP_WINDOW, mmEventBegin, mmEventFinish } from '../../src/kvm/host-mm-events.js';
import { VM_MMU_IN_PROGRESS, VM_MMU_SEQ, VM_MN_COUNT, VM_MN_UPDATER_WAITING, VM_MN_UPDATER_WAKE } from '../../src/kvm/vm-layout.js';
import { WINDOWS_PER_SLOT } from '../../src/kvm/guest-layout.js';
import { USER_STEAL_TIME } from '../../src/kvm/cache-users.js';
import { testVmConfig } from '../support/vm-config.js';

function vm() {
  return buildVm(testVmConfig({ seed: 3, traceDepth: 0, workload: 7, guestSteps: 4, eventPermille: 0, stealPermille: 0, postPermille: 0 }));
}

type Counters = { count: number; seq: number; inProgress: number };
function counters(vmMem: Int32Array): Counters {
  return { count: Atomics.load(vmMem, VM_MN_COUNT), seq: Atomics.load(vmMem, VM_MMU_SEQ), inProgress: Atomics.load(vmMem, VM_MMU_IN_PROGRESS) };
}

describe('kvm_handle_hva_range accounting in the MMU notifier', () => {
  it('a migrate of a page a memslot maps raises count and in_progress, and its end bumps seq and lowers both', () => {
    const { main, layout } = vm();
    const gfn = layout.slotBase[USER_STEAL_TIME]!;
    const before = counters(main.vm);
    mmEventBegin(main, MM_MIGRATE, gfn);
    expect(counters(main.vm)).toEqual({ count: before.count + 1, seq: before.seq, inProgress: before.inProgress + 1 });
    mmEventFinish(main, MM_MIGRATE, gfn);
    expect(counters(main.vm)).toEqual({ count: before.count, seq: before.seq + 1, inProgress: before.inProgress });
  });

  it('the munmap of a host window that no memslot maps raises the count only, and its end does not bump seq', () => {
    const { main, layout } = vm();
    // The dummy slot starts deleted: its window is mapped in the host mm, but no slot points at it.
    const window = layout.slotDummy * WINDOWS_PER_SLOT;
    const before = counters(main.vm);
    mmEventBegin(main, MM_UNMAP_WINDOW, window);
    expect(counters(main.vm)).toEqual({ count: before.count + 1, seq: before.seq, inProgress: before.inProgress });
    mmEventFinish(main, MM_UNMAP_WINDOW, window);
    expect(counters(main.vm)).toEqual(before);
  });

  it('the munmap of a window a present slot maps bumps seq', () => {
    const { main, layout } = vm();
    const window = USER_STEAL_TIME * WINDOWS_PER_SLOT;
    expect(layout.slotPages[USER_STEAL_TIME]).toBeGreaterThan(0);
    const before = counters(main.vm);
    mmEventBegin(main, MM_UNMAP_WINDOW, window);
    expect(counters(main.vm).inProgress).toBe(before.inProgress + 1);
    mmEventFinish(main, MM_UNMAP_WINDOW, window);
    expect(counters(main.vm)).toEqual({ ...before, seq: before.seq + 1 });
  });

  it('the count going 1 -> 0 wakes a waiting memslot updater; 2 -> 1 does not', async () => {
    const { main, layout } = vm();
    const gfn = layout.slotBase[USER_STEAL_TIME]!;
    Atomics.store(main.vm, VM_MN_UPDATER_WAITING, 1);
    const wake0 = Atomics.load(main.vm, VM_MN_UPDATER_WAKE);
    mmEventBegin(main, MM_MIGRATE, gfn);
    mmEventBegin(main, MM_MIGRATE, gfn + 1);
    mmEventFinish(main, MM_MIGRATE, gfn);
    expect(Atomics.load(main.vm, VM_MN_UPDATER_WAKE)).toBe(wake0);
    const waitAsync = (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: unknown } }).waitAsync;
    const waited = waitAsync(main.vm, VM_MN_UPDATER_WAKE, wake0, 10_000);
    expect(waited.async).toBe(true);
    mmEventFinish(main, MM_MIGRATE, gfn + 1);
    expect(await waited.value).toBe('ok');
    expect(Atomics.load(main.vm, VM_MN_UPDATER_WAKE)).toBe(wake0 + 1);
    expect(Atomics.load(main.vm, VM_MN_COUNT)).toBe(0);
  });
});
