/**
 * `gpc-lab torture` options, validated at the boundary: raw strings from the command line (or
 * numbers from a library caller) in, a complete TortureConfig out, or a UsageError naming the
 * value and what is allowed.
 *
 * Readers under an exclusive lock: --lock mutex/spinlock has no shared mode, so reader threads
 * take the lock exclusively like writers and run the reader-side checks plus "no other holder
 * inside" (a mutex torture with readers and writers is then N lockers with two kinds of checks).
 * irq-context readers exist only for rwlocks (qrwlock's irq reader bypass), so --irq-readers > 0
 * with an exclusive lock is a usage error; its default is 1 for rwlocks and 0 otherwise.
 */
import { UsageError } from '../util/usage-error.js';
import { parseIntegerOption, parseSecondsOption } from '../util/option-parsers.js';
import { TORTURE_LOCKS, tortureLockByName, type TortureLockInfo } from './lock-kinds.js';

export interface TortureConfig {
  readonly lock: TortureLockInfo;
  readonly readers: number;
  readonly writers: number;
  readonly irqReaders: number;
  /** irqReaders is the rwlock default (no --irq-readers given): the report says so. */
  readonly irqReadersDefaulted?: boolean;
  readonly durationS: number;
  readonly seed: number;
  /** No progress by a thread for this long is a stall (a finding). */
  readonly stallMs: number;
  readonly json: boolean;
  /** Test hook: thread 0 throws after this many acquisitions; -1 = never. */
  readonly crashAfter: number;
}

/** What the CLI (or a caller) supplies; every field optional. */
export interface TortureOptionsInput {
  lock?: string;
  readers?: string | number;
  writers?: string | number;
  irqReaders?: string | number;
  duration?: string | number;
  seed?: string | number;
  stallMs?: string | number;
  json?: boolean;
  crashAfter?: string | number;
}

export const TORTURE_DEFAULTS = {
  lock: 'rwlock',
  readers: 4,
  writers: 2,
  irqReadersRwlock: 1,
  durationS: 5,
  stallMs: 2000,
} as const;

export const MAX_TORTURE_THREADS_PER_SIDE = 64;
export const MAX_TORTURE_DURATION_S = 86_400;

export function parseTortureOptions(input: TortureOptionsInput): TortureConfig {
  const lockName = input.lock ?? TORTURE_DEFAULTS.lock;
  const lock = tortureLockByName(lockName);
  if (!lock) {
    throw new UsageError(`--lock must be one of ${TORTURE_LOCKS.map((l) => l.name).join(', ')}, got '${lockName}'`);
  }
  const max = MAX_TORTURE_THREADS_PER_SIDE;
  const readers = input.readers === undefined ? TORTURE_DEFAULTS.readers : parseIntegerOption('--readers', input.readers, 0, max);
  const writers = input.writers === undefined ? TORTURE_DEFAULTS.writers : parseIntegerOption('--writers', input.writers, 0, max);
  const irqDefault = lock.shared ? TORTURE_DEFAULTS.irqReadersRwlock : 0;
  const irqReaders =
    input.irqReaders === undefined ? irqDefault : parseIntegerOption('--irq-readers', input.irqReaders, 0, max);
  if (irqReaders > 0 && !lock.shared) {
    throw new UsageError(
      `--irq-readers needs an rwlock (irq-context readers are a queued-rwlock feature); --lock ${lock.name} has no read side, got --irq-readers ${irqReaders}`,
    );
  }
  if (readers + writers + irqReaders === 0) {
    throw new UsageError('no threads: --readers, --writers and --irq-readers are all 0; give at least one');
  }
  const durationS =
    input.duration === undefined ? TORTURE_DEFAULTS.durationS : parseSecondsOption('--duration', input.duration, MAX_TORTURE_DURATION_S);
  const seed =
    input.seed === undefined ? (Date.now() ^ (process.pid << 16)) >>> 0 : parseIntegerOption('--seed', input.seed, 0, 0xffffffff);
  const stallMs =
    input.stallMs === undefined ? TORTURE_DEFAULTS.stallMs : parseIntegerOption('--stall-ms', input.stallMs, 100, 600_000);
  const crashAfter = input.crashAfter === undefined ? -1 : parseIntegerOption('--crash-after', input.crashAfter, 1, 2 ** 31 - 1);
  return { lock, readers, writers, irqReaders, irqReadersDefaulted: input.irqReaders === undefined && irqReaders > 0, durationS, seed, stallMs, json: input.json === true, crashAfter };
}
