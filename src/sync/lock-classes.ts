/**
 * Lock classes: lockdep reasons about classes (every gpc's rwlock is one class), as the kernel
 * does. A class is a small integer stored in the lock block; names are for reports.
 */
export const MAX_LOCK_CLASSES = 64;

export const LockClass = {
  UNNAMED: 0,
  /** gpc->lock (rwlock). */
  GPC_LOCK: 1,
  /** gpc->refresh_lock (mutex). */
  GPC_REFRESH_LOCK: 2,
  /** kvm->gpc_lock (spinlock over the gpc list). */
  VM_GPC_LOCK: 3,
  /** The host mm lock serializing page-table changes. */
  HOST_MM_LOCK: 4,
  /** kvm->mn_invalidate_lock (spinlock over mn_active_invalidate_count and the memslot swap). */
  VM_MN_INVALIDATE_LOCK: 5,
  /** The lock under test in `gpc-lab torture`. */
  TORTURE_LOCK: 7,
  /** Free for tests and experiments. */
  TEST_A: 60,
  TEST_B: 61,
  TEST_C: 62,
  TEST_D: 63,
} as const;

const names = new Map<number, string>([
  [LockClass.UNNAMED, 'unnamed'],
  [LockClass.GPC_LOCK, 'gpc.lock'],
  [LockClass.GPC_REFRESH_LOCK, 'gpc.refreshLock'],
  [LockClass.VM_GPC_LOCK, 'vm.gpcLock'],
  [LockClass.HOST_MM_LOCK, 'host.mmLock'],
  [LockClass.VM_MN_INVALIDATE_LOCK, 'vm.mnInvalidateLock'],
  [LockClass.TORTURE_LOCK, 'torture.lock'],
  [LockClass.TEST_A, 'A'],
  [LockClass.TEST_B, 'B'],
  [LockClass.TEST_C, 'C'],
  [LockClass.TEST_D, 'D'],
]);

/** The report name of a lock class. */
export function lockClassName(lockClass: number): string {
  return names.get(lockClass) ?? `class#${lockClass}`;
}
