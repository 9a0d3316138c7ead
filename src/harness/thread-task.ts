/**
 * The task envelope every pooled thread receives, and the worker-side wrapper that turns a role's
 * function into a piscina task. Imported by the pool (main) and by every `workers/<role>.worker.ts`.
 *
 *   // workers/torture.worker.ts
 *   export default defineThreadTask(runTortureThread);
 *   function runTortureThread(data: TortureThreadData, ctx: ThreadContext): TortureThreadResult { ... }
 *
 * The wrapper, before the role's function runs: stores the thread's Node threadId in its
 * run-control line, records (threadId, thread name) for the profiler (thread-roles.ts), and posts one
 * "thread started" message (the pool's `onThreadStarted` hook). After it: sets the thread's state
 * to DONE, or FAILED if the function threw (the error still rejects the task).
 */
import { parentPort, threadId } from 'node:worker_threads';
import { recordThreadRole } from './thread-roles.js';
import { RC_THREAD_ID, ThreadState, setThreadState, threadSlotBase } from './run-control.js';

/** What `pool.run` sends to a thread. Plain data; SharedArrayBuffers inside are shared, not copied. */
export interface ThreadTaskEnvelope<D> {
  /** The thread role: which `workers/<role>.worker.ts` runs (e.g. `torture`, `vcpu`). */
  readonly role: string;
  /** This thread's name in reports and CPU profiles (e.g. `reader-0`, `vcpu-3`). */
  readonly name: string;
  /** 0..threadCount-1: the thread's line in the run-control buffer. */
  readonly threadIndex: number;
  readonly control: SharedArrayBuffer;
  readonly data: D;
}

/** What the role's function gets besides its data. */
export interface ThreadContext {
  readonly role: string;
  readonly name: string;
  readonly threadIndex: number;
  /** The run-control view: pass it to shouldStop / reportProgress / setThreadState. */
  readonly control: Int32Array;
  /** This thread's first slot in `control` (threadSlotBase(threadIndex)). */
  readonly slotBase: number;
  readonly threadId: number;
}

/** The message a thread posts once at start (piscina forwards it as the pool's 'message' event). */
export interface ThreadStartedMessage {
  readonly kind: 'gpc-lab:thread-started';
  readonly threadIndex: number;
  readonly role: string;
  readonly name: string;
  readonly threadId: number;
}

export function isThreadStartedMessage(value: unknown): value is ThreadStartedMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'gpc-lab:thread-started'
  );
}

/** Wraps a role's function as the default export of a worker entry file. */
export function defineThreadTask<D, R>(
  body: (data: D, ctx: ThreadContext) => R | Promise<R>,
): (envelope: ThreadTaskEnvelope<D>) => Promise<R> {
  return async function runThreadTask(envelope: ThreadTaskEnvelope<D>): Promise<R> {
    const control = new Int32Array(envelope.control);
    const slotBase = threadSlotBase(envelope.threadIndex);
    const ctx: ThreadContext = {
      role: envelope.role,
      name: envelope.name,
      threadIndex: envelope.threadIndex,
      control,
      slotBase,
      threadId,
    };
    Atomics.store(control, slotBase + RC_THREAD_ID, threadId);
    setThreadState(control, slotBase, ThreadState.STARTING, 0);
    recordThreadRole(envelope.name);
    const started: ThreadStartedMessage = {
      kind: 'gpc-lab:thread-started',
      threadIndex: envelope.threadIndex,
      role: envelope.role,
      name: envelope.name,
      threadId,
    };
    parentPort?.postMessage(started);
    try {
      const result = await body(envelope.data, ctx);
      setThreadState(control, slotBase, ThreadState.DONE, 0);
      return result;
    } catch (error) {
      setThreadState(control, slotBase, ThreadState.FAILED, 0);
      throw error;
    }
  };
}
