/**
 * The locks `gpc-lab torture` can run: the three real ones and the deliberately broken variants
 * (src/sync/broken-locks.ts) that exist only so the torture can prove it catches bugs.
 * A kind is a small integer on the threads' hot path; names are for the CLI and reports.
 */
export const TortureLock = {
  RWLOCK: 1,
  MUTEX: 2,
  SPINLOCK: 3,
  BROKEN_RWLOCK_NO_READER_WAIT: 4,
  BROKEN_MUTEX_NO_WAKE: 5,
  BROKEN_SPINLOCK_CHECK_THEN_SET: 6,
} as const;
export type TortureLockKind = (typeof TortureLock)[keyof typeof TortureLock];

export interface TortureLockInfo {
  readonly kind: TortureLockKind;
  /** The --lock value. */
  readonly name: string;
  /** Readers share the lock (an rwlock); otherwise every thread takes it exclusively. */
  readonly shared: boolean;
  /** A broken-on-purpose variant: the torture must report it (failures or a stall). */
  readonly selfTest: boolean;
  readonly description: string;
}

export const TORTURE_LOCKS: readonly TortureLockInfo[] = [
  { kind: TortureLock.RWLOCK, name: 'rwlock', shared: true, selfTest: false, description: 'queued rwlock (src/sync/rwlock.ts)' },
  { kind: TortureLock.MUTEX, name: 'mutex', shared: false, selfTest: false, description: 'sleeping mutex (src/sync/mutex.ts)' },
  { kind: TortureLock.SPINLOCK, name: 'spinlock', shared: false, selfTest: false, description: 'spinlock (src/sync/spinlock.ts)' },
  {
    kind: TortureLock.BROKEN_RWLOCK_NO_READER_WAIT,
    name: 'broken-rwlock-no-reader-wait',
    shared: true,
    selfTest: true,
    description: 'self-test: the writer does not wait for readers to drain (expect failures)',
  },
  {
    kind: TortureLock.BROKEN_MUTEX_NO_WAKE,
    name: 'broken-mutex-no-wake',
    shared: false,
    selfTest: true,
    description: 'self-test: unlock never wakes a sleeper, a lost wake-up (expect a stall)',
  },
  {
    kind: TortureLock.BROKEN_SPINLOCK_CHECK_THEN_SET,
    name: 'broken-spinlock-check-then-set',
    shared: false,
    selfTest: true,
    description: 'self-test: load-then-store instead of compareExchange (expect failures)',
  },
];

export function tortureLockByName(name: string): TortureLockInfo | undefined {
  return TORTURE_LOCKS.find((info) => info.name === name);
}

export function tortureLockInfo(kind: TortureLockKind): TortureLockInfo {
  const info = TORTURE_LOCKS.find((entry) => entry.kind === kind);
  if (!info) throw new Error(`unknown torture lock kind ${kind}`);
  return info;
}
