import { Worker } from 'node:worker_threads';
import { workerFile } from '../../src/harness/worker-file.js';
import { ScriptSlot } from '../../src/sync/lock-script.js';

/** What one script thread ended with. */
export interface ScriptOutcome {
  threadIndex: number;
  ok: boolean;
  error?: string;
}

export interface ScriptRun {
  /** Resolves when every thread has ended (or was terminated at the deadline). */
  done: Promise<ScriptOutcome[]>;
  /** Terminates every thread still running. */
  terminate(): Promise<void>;
  /** Threads still running (0 after `done`). */
  running(): number;
}

/** Shared memory for scripts: the fixed slots plus `extraInts` free ones from ScriptSlot.FREE. */
export function scriptMemory(extraInts = 1024): { buffer: SharedArrayBuffer; mem: Int32Array } {
  const buffer = new SharedArrayBuffer((ScriptSlot.FREE + extraInts) * 4);
  return { buffer, mem: new Int32Array(buffer) };
}

/**
 * Starts one real worker thread per script. Every thread is bounded by `deadlineMs`: a thread
 * still running then is terminated and reported as not ok, so a test never hangs.
 */
export function startScripts(
  memory: SharedArrayBuffer,
  scripts: number[][],
  options: { lockdep?: SharedArrayBuffer; deadlineMs?: number; waitLimitMs?: number } = {},
): ScriptRun {
  const deadlineMs = options.deadlineMs ?? 60_000;
  let alive = scripts.length;
  const workers = scripts.map(
    (script, threadIndex) =>
      new Worker(workerFile('lock-script'), {
        workerData: {
          memory,
          script: Int32Array.from([...script, 0]),
          threadIndex,
          lockdep: options.lockdep,
          waitLimitMs: options.waitLimitMs ?? 20_000,
        },
      }),
  );
  const outcomes = workers.map(
    (worker, threadIndex) =>
      new Promise<ScriptOutcome>((resolve) => {
        let error: string | undefined;
        worker.on('error', (e: Error) => {
          error = `${e.name}: ${e.message}`;
        });
        worker.on('exit', (code) => {
          alive--;
          resolve({ threadIndex, ok: error === undefined && code === 0, ...(error ? { error } : code !== 0 ? { error: `exit ${code}` } : {}) });
        });
      }),
  );
  const timer = setTimeout(() => {
    for (const worker of workers) void worker.terminate();
  }, deadlineMs);
  const done = Promise.all(outcomes).finally(() => clearTimeout(timer));
  return {
    done,
    running: () => alive,
    async terminate() {
      await Promise.all(workers.map((worker) => worker.terminate()));
      await done;
    },
  };
}

/** Polls (event loop stays free) until `predicate` holds; throws after `limitMs`. */
export async function eventually(predicate: () => boolean, limitMs: number, what: string): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${limitMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits `ms` and then checks that `predicate` still holds the whole time (sampled). */
export async function holdsFor(predicate: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!predicate()) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return predicate();
}
