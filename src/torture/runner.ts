/**
 * `gpc-lab torture` on the main thread: set up the lock and the shared buffer, start one thread
 * per reader/irq-reader/writer, let them run for the duration (timed from the moment every thread
 * passed the start barrier), watch for stalls, stop, and build the report.
 *
 * The threads, the start barrier, the duration, the watchdog, progress, Ctrl-C and clean-up are
 * the harness's timed job (src/harness/timed-job.ts); this file is the torture's own part.
 *
 * Bounded time: a run ends within duration + stallMs + ~1.5 s even if threads hang. A thread that
 * makes no progress for stallMs (e.g. asleep after a lost wake-up) is reported by the watchdog with
 * every thread's state and the lock words; the run is then stopped and, 500 ms later, the threads
 * still running are terminated (pool killSignal). Threads that ignore a normal stop are terminated
 * stallMs + 1 s after it, by which time the watchdog has reported them.
 */
import { jsonEnvelope } from '../util/json-envelope.js';
import { EXIT_CLEAN, EXIT_FINDINGS, EXIT_INTERNAL, EXIT_INTERRUPTED } from '../util/exit-codes.js';
import { LockClass } from '../sync/lock-classes.js';
import { LockSlot } from '../sync/lock-block.js';
import { summarizeLatency, type LatencySnapshot } from '../harness/histogram.js';
import type { ThreadTask } from '../harness/pool.js';
import type { ProgressMode } from '../harness/progress.js';
import { RunControl, StopReason, threadStateName } from '../harness/run-control.js';
import { runTimedJob } from '../harness/timed-job.js';
import type { StallReport } from '../harness/watchdog.js';
import { describeEnvironment } from '../harness/environment.js';
import type { TortureConfig } from './config.js';
import {
  FAILURE_COUNT,
  FAILURE_KIND_COUNT_0,
  FAILURE_LOG_0,
  FAILURE_RECORD_INTS,
  INSIDE_READERS,
  INSIDE_WRITERS,
  MAX_LOGGED_FAILURES,
  TORTURE_FAILURE_KINDS,
  TORTURE_INTS,
  TORTURE_LOCK_BASE,
  TortureFailure,
  VALUE_0,
  VALUE_STRIDE,
  VALUE_WORDS,
  WRITE_COUNT,
  recordTortureFailure,
  tortureFailureName,
} from './layout.js';
import { TORTURE_SIDE_NAMES, TortureSide, initTortureLock, type TortureSideName } from './lock-ops.js';
import type { TortureThreadData, TortureThreadResult } from './torture-thread.js';
import type { TortureFailureSample, TortureReport, TortureRoleRow, TortureThreadRow, TortureVerdict } from './report.js';
import { allocateSharedInts } from '../mem/shared-buffer.js';

export interface TortureRunOptions {
  /** Progress display (default: 'silent' with config.json, else 'auto'). */
  readonly progress?: ProgressMode;
  /** Where notices go (SIGINT, stall); default stderr unless json. */
  readonly notice?: (line: string) => void;
  /** Install the Ctrl-C handler (the CLI does; library callers and tests usually do not). */
  readonly handleSigint?: boolean;
  /** Bound on thread start-up (default 30 s). */
  readonly startTimeoutMs?: number;
  /** Node options for the worker threads (e.g. --cpu-prof). */
  readonly execArgv?: readonly string[];
}

interface PlannedThread {
  name: string;
  side: number;
}

function planThreads(config: TortureConfig): PlannedThread[] {
  const threads: PlannedThread[] = [];
  for (let i = 0; i < config.readers; i++) threads.push({ name: `reader-${i}`, side: TortureSide.READER });
  for (let i = 0; i < config.irqReaders; i++) threads.push({ name: `irq-reader-${i}`, side: TortureSide.IRQ_READER });
  for (let i = 0; i < config.writers; i++) threads.push({ name: `writer-${i}`, side: TortureSide.WRITER });
  return threads;
}

/** Lock words and critical-section counters, for stall dumps. */
function dumpTortureState(mem: Int32Array): string[] {
  const word = (slot: number): number => Atomics.load(mem, TORTURE_LOCK_BASE + slot);
  const state = word(LockSlot.STATE);
  return [
    `lock STATE=${state} (0x${(state >>> 0).toString(16)}; rwlock: ${state >> 2} readers, ` +
      `${state & 1 ? 'LOCKED' : 'unlocked'}${state & 2 ? ', WAITING' : ''}; mutex/spinlock: 0 free, 1 held, 2 held+sleepers)`,
    `lock QUEUE=${word(LockSlot.QUEUE)} WRITER_WAKE=${word(LockSlot.WRITER_WAKE)} READER_WAKE=${word(LockSlot.READER_WAKE)} ` +
      `READER_SLEEPERS=${word(LockSlot.READER_SLEEPERS)} CONTENDED=${word(LockSlot.CONTENDED)} SLEEPS=${word(LockSlot.SLEEPS)}`,
    `inside the critical section: ${Atomics.load(mem, INSIDE_READERS)} readers, ${Atomics.load(mem, INSIDE_WRITERS)} writers`,
  ];
}

function failureDescription(kind: number, a: number, b: number): string {
  const name = tortureFailureName(kind);
  switch (kind) {
    case TortureFailure.WRITER_SAW_READER: return `${name} (${a} readers)`;
    case TortureFailure.WRITER_SAW_WRITER: return `${name} (${a} other writers)`;
    case TortureFailure.READER_SAW_WRITER: return `${name} (${a} writers)`;
    case TortureFailure.HOLDER_SAW_HOLDER: return `${name} (${a} other holders)`;
    case TortureFailure.TORN_VALUE: return `${name} (word 0 = ${a}, a later word = ${b})`;
    case TortureFailure.LOST_UPDATE: return `${name} (write count ${a}, writers completed ${b})`;
    case TortureFailure.TORN_AT_REST: return `${name} (word 0 = ${a}, a later word = ${b})`;
    default: return name;
  }
}

/** Runs one torture and returns its report (never throws for failures, stalls or crashed threads). */
export async function runTorture(config: TortureConfig, options: TortureRunOptions = {}): Promise<TortureReport> {
  const environment = describeEnvironment();
  const notice =
    options.notice ?? (config.json ? () => {} : (line: string) => void process.stderr.write(`${line}\n`));
  const planned = planThreads(config);
  const n = planned.length;
  const buffer = allocateSharedInts(TORTURE_INTS);
  const mem = new Int32Array(buffer);
  initTortureLock(config.lock.kind, mem, TORTURE_LOCK_BASE, LockClass.TORTURE_LOCK);

  const control = RunControl.create(n);
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const tasks: ThreadTask<TortureThreadData>[] = planned.map((thread, index) => ({
    role: 'torture',
    name: thread.name,
    data: {
      buffer,
      lock: config.lock.kind,
      shared: config.lock.shared,
      side: thread.side,
      seed: config.seed,
      crashAfter: index === 0 ? config.crashAfter : -1,
      startTimeoutMs,
    },
  }));

  const job = await runTimedJob<TortureThreadData, TortureThreadResult>(tasks, {
    control,
    durationMs: config.durationS * 1000,
    stallMs: config.stallMs,
    threadNames: planned.map((t) => t.name),
    dumpState: () => dumpTortureState(mem),
    progress: options.progress ?? (config.json ? 'silent' : 'auto'),
    progressLabel: `torture ${config.lock.name}`,
    progressSample: () => `${control.totalProgress()} acquisitions, ${Atomics.load(mem, FAILURE_COUNT)} failures`,
    notice,
    ...(options.handleSigint ? { handleSigint: true } : {}),
    ...(options.execArgv ? { execArgv: options.execArgv } : {}),
  });
  const { run, stall } = job;

  // ---- per-thread rows ----
  const internalErrors: string[] = [];
  for (const error of run.poolErrors) internalErrors.push(`pool: ${error.message}`);
  const rows: TortureThreadRow[] = [];
  const waitsBySide = new Map<TortureSideName, LatencySnapshot[]>();
  let maxReadersInsideTogether = 0;
  let writerAcquisitions = 0;
  let notStarted = 0;
  for (const outcome of run.threads) {
    const side = TORTURE_SIDE_NAMES[planned[outcome.threadIndex]!.side]!;
    let acquisitions = control.progress(outcome.threadIndex);
    let opsPerSec = 0;
    let maxReadersSeen = 0;
    let error: string | undefined;
    if (outcome.status === 'done') {
      const value = outcome.value;
      if (!value.started) notStarted++;
      acquisitions = value.acquisitions;
      opsPerSec = value.elapsedMs > 0 ? (value.acquisitions * 1000) / value.elapsedMs : 0;
      maxReadersSeen = value.maxReadersSeen;
      const list = waitsBySide.get(side) ?? [];
      list.push(value.waitNs);
      waitsBySide.set(side, list);
    } else if (outcome.status === 'failed') {
      error = outcome.error.message;
      internalErrors.push(`thread ${outcome.name} failed: ${outcome.error.message}`);
    }
    if (side === 'writer') writerAcquisitions += acquisitions;
    if (maxReadersSeen > maxReadersInsideTogether) maxReadersInsideTogether = maxReadersSeen;
    rows.push({
      name: outcome.name,
      side,
      status: outcome.status,
      threadId: outcome.threadId,
      acquisitions,
      opsPerSec,
      maxReadersSeen,
      ...(error !== undefined ? { error } : {}),
    });
  }
  if (notStarted > 0) {
    internalErrors.push(`${notStarted} of ${n} threads never passed the start barrier (bound ${startTimeoutMs} ms)`);
  }

  // ---- after-run checks, only when every thread ended by itself (a killed writer may be mid-write) ----
  const allDone = run.threads.every((t) => t.status === 'done');
  if (allDone) {
    const writeCount = Atomics.load(mem, WRITE_COUNT) >>> 0;
    const expected = writerAcquisitions >>> 0;
    if (writeCount !== expected) recordTortureFailure(mem, TortureFailure.LOST_UPDATE, -1, writeCount, expected);
    const first = Atomics.load(mem, VALUE_0);
    for (let w = 1; w < VALUE_WORDS; w++) {
      const word = Atomics.load(mem, VALUE_0 + w * VALUE_STRIDE);
      if (word !== first) {
        recordTortureFailure(mem, TortureFailure.TORN_AT_REST, -1, first, word);
        break;
      }
    }
  }

  // ---- failures ----
  const failureCount = Atomics.load(mem, FAILURE_COUNT);
  const byKind: Record<string, number> = {};
  for (let kind = 1; kind < TORTURE_FAILURE_KINDS; kind++) {
    const count = Atomics.load(mem, FAILURE_KIND_COUNT_0 + kind);
    if (count > 0) byKind[tortureFailureName(kind)] = count;
  }
  const first: TortureFailureSample[] = [];
  for (let i = 0; i < Math.min(failureCount, MAX_LOGGED_FAILURES); i++) {
    const at = FAILURE_LOG_0 + i * FAILURE_RECORD_INTS;
    const kind = Atomics.load(mem, at);
    if (kind === 0) continue;
    const thread = Atomics.load(mem, at + 1);
    const a = Atomics.load(mem, at + 2);
    const b = Atomics.load(mem, at + 3);
    first.push({
      kind: tortureFailureName(kind),
      thread: thread < 0 ? 'main (after the run)' : (planned[thread]?.name ?? `thread-${thread}`),
      a,
      b,
      description: failureDescription(kind, a, b),
    });
  }

  // ---- roles and waits ----
  const roles: Partial<Record<TortureSideName, TortureRoleRow>> = {};
  const elapsedMs = job.elapsedMs;
  for (const sideName of TORTURE_SIDE_NAMES) {
    const members = rows.filter((r) => r.side === sideName);
    if (members.length === 0) continue;
    let min = members[0]!;
    let max = members[0]!;
    let total = 0;
    for (const r of members) {
      total += r.acquisitions;
      if (r.acquisitions < min.acquisitions) min = r;
      if (r.acquisitions > max.acquisitions) max = r;
    }
    roles[sideName] = {
      threads: members.length,
      total,
      min: min.acquisitions,
      minThread: min.name,
      max: max.acquisitions,
      maxThread: max.name,
      opsPerSec: elapsedMs > 0 ? (total * 1000) / elapsedMs : 0,
    };
  }
  const waitNs: TortureReport['waitNs'] = {};
  const allWaits: LatencySnapshot[] = [];
  for (const sideName of TORTURE_SIDE_NAMES) {
    const list = waitsBySide.get(sideName);
    if (!list) continue;
    waitNs[sideName] = summarizeLatency(list);
    allWaits.push(...list);
  }
  if (allWaits.length > 0) waitNs.all = summarizeLatency(allWaits);
  const totalAcquisitions = rows.reduce((sum, r) => sum + r.acquisitions, 0);

  // ---- verdict ----
  const stalled = stall !== null || run.killed > 0;
  let stallReport: StallReport | null = stall;
  if (stallReport === null && run.killed > 0) {
    // Threads that ignored the stop without the watchdog noticing first (e.g. stopped by Ctrl-C):
    // still a stall; report the states they were terminated in.
    const killedNames = run.threads.filter((t) => t.status === 'killed').map((t) => t.name);
    stallReport = {
      atMs: Math.round(elapsedMs),
      stallMs: config.stallMs,
      stalled: killedNames,
      state: dumpTortureState(mem),
      threads: control.snapshots().map((s) => ({
        ...s,
        name: planned[s.threadIndex]!.name,
        stateName: threadStateName(s.state),
        msWithoutProgress: -1,
        stalled: killedNames.includes(planned[s.threadIndex]!.name),
      })),
    };
  }
  let verdict: TortureVerdict;
  if (run.anyFailed || notStarted > 0) verdict = 'internal-error';
  else if (stalled) verdict = 'stall';
  else if (Atomics.load(mem, FAILURE_COUNT) > 0) verdict = 'failures';
  else verdict = 'clean';
  const interrupted = run.stopReason === StopReason.INTERRUPTED;
  // Ctrl-C: 130 after the partial report (a tool failure still says 3).
  const exitCode = verdict === 'internal-error' ? EXIT_INTERNAL : interrupted ? EXIT_INTERRUPTED : verdict === 'clean' ? EXIT_CLEAN : EXIT_FINDINGS;

  return {
    ...jsonEnvelope('torture'),
    verdict,
    exitCode,
    config: {
      lock: config.lock.name,
      selfTest: config.lock.selfTest,
      readers: config.readers,
      irqReaders: config.irqReaders,
      irqReadersDefaulted: config.irqReadersDefaulted === true,
      writers: config.writers,
      durationS: config.durationS,
      seed: config.seed,
      stallMs: config.stallMs,
    },
    stopReason: run.stopReasonName,
    interrupted: run.stopReason === StopReason.INTERRUPTED,
    elapsedMs,
    totalAcquisitions,
    opsPerSec: elapsedMs > 0 ? (totalAcquisitions * 1000) / elapsedMs : 0,
    failures: { count: Atomics.load(mem, FAILURE_COUNT), byKind, first },
    stall: stallReport,
    internalErrors,
    threads: rows,
    roles,
    waitNs,
    maxReadersInsideTogether,
    lockStats: {
      contended: Atomics.load(mem, TORTURE_LOCK_BASE + LockSlot.CONTENDED),
      sleeps: Atomics.load(mem, TORTURE_LOCK_BASE + LockSlot.SLEEPS),
      corruptions: Atomics.load(mem, TORTURE_LOCK_BASE + LockSlot.CORRUPTIONS),
    },
    threadsLeftRunning: run.threadsLeftRunning,
    environment,
  };
}
