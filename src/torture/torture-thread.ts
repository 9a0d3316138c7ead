/**
 * One torture thread (runs in workers/torture.worker.ts): take the lock, check the critical
 * section, release, pause, until the run is stopped. Hold and gap lengths are drawn from the
 * run's seed (this thread's own stream), so a run is described by its seed (the OS still chooses
 * the interleaving).
 *
 * Checks inside the critical section (failures go to the shared failure log, the loop goes on):
 *  - writer: no other writer and no reader inside, at entry and again before leaving;
 *  - reader: no writer inside; under an exclusive lock also no other holder;
 *  - the multi-word value: a writer stores value+1 into the 8 words one by one, with delays in
 *    between; a reader must see the 8 words equal (a torn value = a writer ran concurrently);
 *  - a plain (non-atomic) WRITE_COUNT++ by each writer, compared at the end with the writers'
 *    own counts (a lost update = two writers overlapped).
 *
 * The loop allocates nothing of its own: numbers and preallocated typed arrays only. The two clock
 * reads per acquisition (performance.now, for the wait time) each box a double on Node 20 (~16 B;
 * Date.now does too; measured with --trace-gc: one young-generation scavenge per ~100k acquisitions
 * per thread, well under a millisecond each). That is the price of timing every wait.
 */
import { Random } from '../util/random.js';
import { LatencyRecorder, type LatencySnapshot } from '../harness/latency-recorder.js';
import { ThreadState, awaitStartBarrier, reportProgress, setThreadState, shouldStop } from '../harness/run-control.js';
import type { ThreadContext } from '../harness/thread-task.js';
import {
  INSIDE_READERS,
  INSIDE_WRITERS,
  TORTURE_LOCK_BASE,
  TortureFailure,
  VALUE_0,
  VALUE_STRIDE,
  VALUE_WORDS,
  WRITE_COUNT,
  recordTortureFailure,
} from './layout.js';
import { TortureSide, tortureAcquire, tortureRelease, tortureWaitState } from './lock-ops.js';

export interface TortureThreadData {
  readonly buffer: SharedArrayBuffer;
  /** TortureLock kind. */
  readonly lock: number;
  /** Readers share the lock (rwlock kinds). */
  readonly shared: boolean;
  /** TortureSide. */
  readonly side: number;
  readonly seed: number;
  /** Test hook: throw after this many acquisitions (outside the lock); -1 = never. */
  readonly crashAfter: number;
  /** Bound on the start barrier. */
  readonly startTimeoutMs: number;
}

export interface TortureThreadResult {
  readonly acquisitions: number;
  /** Time from asking for the lock to holding it, ns. */
  readonly waitNs: LatencySnapshot;
  /** Most readers seen inside together (by this thread, counting itself). */
  readonly maxReadersSeen: number;
  /** Time in the loop (after the start barrier), ms. */
  readonly elapsedMs: number;
  /** False if the start barrier timed out and the thread never ran. */
  readonly started: boolean;
}

/** Spin iterations in a critical section: usually short, sometimes long (waiters then sleep). */
const HOLD_SHORT = 1024;
const HOLD_LONG_MIN = 4_000;
const HOLD_LONG_MAX = 40_000;
const HOLD_LONG_ONE_IN = 64;
/** Spin iterations between critical sections. */
const GAP_SHORT = 256;
const GAP_LONG_MIN = 10_000;
const GAP_LONG_MAX = 60_000;
const GAP_LONG_ONE_IN = 32;

/** Where delay loops leave their result, so the JIT cannot drop them. */
let delaySink = 0;

/** Burns `iterations` loop iterations (~1 ns each); the critical section's hold time. */
function spinDelay(iterations: number): void {
  let x = delaySink;
  for (let i = 0; i < iterations; i++) x = (Math.imul(x, 31) + i) | 0;
  delaySink = x;
}

function drawHold(random: Random): number {
  if (random.below(HOLD_LONG_ONE_IN) === 0) return random.between(HOLD_LONG_MIN, HOLD_LONG_MAX);
  return random.below(HOLD_SHORT);
}

function drawGap(random: Random): number {
  if (random.below(GAP_LONG_ONE_IN) === 0) return random.between(GAP_LONG_MIN, GAP_LONG_MAX);
  return random.below(GAP_SHORT);
}

/** Writer critical section: checks, then writes the multi-word value. */
function writerCriticalSection(mem: Int32Array, thread: number, hold: number): void {
  const writers = Atomics.add(mem, INSIDE_WRITERS, 1) + 1;
  const readers = Atomics.load(mem, INSIDE_READERS);
  let failed = false;
  if (writers !== 1) {
    recordTortureFailure(mem, TortureFailure.WRITER_SAW_WRITER, thread, writers - 1, 0);
    failed = true;
  } else if (readers !== 0) {
    recordTortureFailure(mem, TortureFailure.WRITER_SAW_READER, thread, readers, 0);
    failed = true;
  }
  // Plain loads and stores: the lock alone must order them.
  const next = (mem[VALUE_0]! + 1) | 0;
  const part = hold >>> 3;
  for (let w = 0; w < VALUE_WORDS; w++) {
    mem[VALUE_0 + w * VALUE_STRIDE] = next;
    spinDelay(part);
  }
  mem[WRITE_COUNT] = (mem[WRITE_COUNT]! + 1) | 0;
  if (!failed) {
    const writersNow = Atomics.load(mem, INSIDE_WRITERS);
    const readersNow = Atomics.load(mem, INSIDE_READERS);
    if (writersNow !== 1) recordTortureFailure(mem, TortureFailure.WRITER_SAW_WRITER, thread, writersNow - 1, 0);
    else if (readersNow !== 0) recordTortureFailure(mem, TortureFailure.WRITER_SAW_READER, thread, readersNow, 0);
  }
  Atomics.sub(mem, INSIDE_WRITERS, 1);
}

/** Reader critical section: checks, then reads the multi-word value. Returns readers inside. */
function readerCriticalSection(mem: Int32Array, thread: number, hold: number, shared: boolean): number {
  const readers = Atomics.add(mem, INSIDE_READERS, 1) + 1;
  const writers = Atomics.load(mem, INSIDE_WRITERS);
  let failed = false;
  if (writers !== 0) {
    recordTortureFailure(mem, TortureFailure.READER_SAW_WRITER, thread, writers, 0);
    failed = true;
  } else if (!shared && readers !== 1) {
    recordTortureFailure(mem, TortureFailure.HOLDER_SAW_HOLDER, thread, readers - 1, 0);
    failed = true;
  }
  const first = mem[VALUE_0]!;
  spinDelay(hold);
  for (let w = 1; w < VALUE_WORDS; w++) {
    const word = mem[VALUE_0 + w * VALUE_STRIDE]!;
    if (word !== first) {
      recordTortureFailure(mem, TortureFailure.TORN_VALUE, thread, first, word);
      break;
    }
  }
  if (!failed) {
    const writersNow = Atomics.load(mem, INSIDE_WRITERS);
    if (writersNow !== 0) recordTortureFailure(mem, TortureFailure.READER_SAW_WRITER, thread, writersNow, 0);
  }
  Atomics.sub(mem, INSIDE_READERS, 1);
  return readers;
}

/** The thread's loop. */
export function runTortureThread(data: TortureThreadData, ctx: ThreadContext): TortureThreadResult {
  const mem = new Int32Array(data.buffer);
  const { control, slotBase, threadIndex } = ctx;
  const kind = data.lock;
  const side = data.side;
  const shared = data.shared;
  const isWriter = side === TortureSide.WRITER;
  const waitState = tortureWaitState(kind, side);
  const crashAfter = data.crashAfter;
  const random = Random.forThread(data.seed, threadIndex);
  const waits = new LatencyRecorder();
  let acquisitions = 0;
  let maxReadersSeen = 0;

  if (!awaitStartBarrier(control, slotBase, data.startTimeoutMs)) {
    return { acquisitions: 0, waitNs: waits.snapshot(), maxReadersSeen: 0, elapsedMs: 0, started: false };
  }
  const startedAt = performance.now();
  while (!shouldStop(control)) {
    const hold = drawHold(random);
    const gap = drawGap(random);
    setThreadState(control, slotBase, waitState, 0);
    const askedAt = performance.now();
    tortureAcquire(kind, side, mem, TORTURE_LOCK_BASE);
    waits.record((performance.now() - askedAt) * 1e6);
    setThreadState(control, slotBase, ThreadState.IN_CRITICAL_SECTION, 0);
    if (isWriter) {
      writerCriticalSection(mem, threadIndex, hold);
    } else {
      const readers = readerCriticalSection(mem, threadIndex, hold, shared);
      if (readers > maxReadersSeen) maxReadersSeen = readers;
    }
    tortureRelease(kind, side, mem, TORTURE_LOCK_BASE);
    acquisitions++;
    reportProgress(control, slotBase, acquisitions);
    setThreadState(control, slotBase, ThreadState.IDLE_GAP, 0);
    if (acquisitions === crashAfter) {
      throw new Error(`injected crash after ${crashAfter} acquisitions (--crash-after)`);
    }
    spinDelay(gap);
  }
  setThreadState(control, slotBase, ThreadState.STOPPING, 0);
  return {
    acquisitions,
    waitNs: waits.snapshot(),
    maxReadersSeen,
    elapsedMs: performance.now() - startedAt,
    started: true,
  };
}
