/**
 * What every model thread (vcpu, notifier, evtchn, juggler) receives and returns, and the common
 * start of its task: open its model context, optionally turn lockdep on, meet the others at the
 * start barrier.
 */
import { lockdepEnable } from '../sync/lockdep.js';
import { awaitStartBarrier } from '../harness/run-control.js';
import type { ThreadContext } from '../harness/thread-task.js';
import type { LatencySnapshot } from '../harness/histogram.js';
import { flushCounters, openModelContext, type ModelContext, type VmBuffers } from '../kvm/model-context.js';

export interface ModelThreadData {
  readonly buffers: VmBuffers;
  /** The thread's index in the model (vcpu v = v; notifier = n; evtchn = n+1; juggler = n+2). */
  readonly thread: number;
  /** Operations per second for rate-driven roles. */
  readonly rate: number;
  /** Invalidations in flight at once (notifier). */
  readonly inflight: number;
  readonly startTimeoutMs: number;
  /** Test hook: vcpu-0 throws after this many iterations (-1: never). */
  readonly crashAfter: number;
  /** Shared lockdep buffer, when lockdep is on. */
  readonly lockdep?: SharedArrayBuffer;
}

export interface ModelThreadResult {
  readonly started: boolean;
  readonly refreshLatencyUs: LatencySnapshot;
  readonly evictionLatencyUs: LatencySnapshot;
}

/** Opens the context and waits at the start barrier; returns null if the run ended before it started. */
export function startModelThread(data: ModelThreadData, thread: ThreadContext): ModelContext | null {
  const ctx = openModelContext(data.buffers, data.thread);
  ctx.control = thread.control;
  ctx.slotBase = thread.slotBase;
  if (data.lockdep) lockdepEnable(data.lockdep, data.thread, thread.name);
  if (!awaitStartBarrier(thread.control, thread.slotBase, data.startTimeoutMs)) return null;
  return ctx;
}

export function modelThreadResult(ctx: ModelContext | null): ModelThreadResult {
  if (ctx) flushCounters(ctx);
  return {
    started: ctx !== null,
    refreshLatencyUs: ctx ? ctx.refreshLatency.snapshot() : emptyLatency(),
    evictionLatencyUs: ctx ? ctx.evictionLatency.snapshot() : emptyLatency(),
  };
}

function emptyLatency(): LatencySnapshot {
  return { counts: new Float64Array(0), count: 0, sum: 0, min: 0, max: 0 };
}
