/**
 * Thread role `profile-fixture`: a known workload for `gpc-lab profile`'s own tests, run through
 * the real harness (runThreads + defineThreadTask, which records the thread's name for the
 * profiler). A thread either computes (`spinFixtureCompute`) or sleeps in Atomics.wait
 * (`parkFixtureWaiter`: a `park...` name, so the profile summary counts it as waiting) for about
 * `ms` milliseconds.
 */
import { defineThreadTask, type ThreadContext } from '../src/harness/thread-task.js';

export interface ProfileFixtureData {
  readonly mode: 'compute' | 'wait';
  readonly ms: number;
}

export interface ProfileFixtureResult {
  readonly threadId: number;
  /** Result of the compute loop, or the number of sleeps (returned so no loop is dead code). */
  readonly checksum: number;
}

export default defineThreadTask(runProfileFixtureThread);

function runProfileFixtureThread(data: ProfileFixtureData, ctx: ThreadContext): ProfileFixtureResult {
  const checksum = data.mode === 'compute' ? spinFixtureCompute(data.ms) : parkFixtureWaiter(data.ms);
  return { threadId: ctx.threadId, checksum };
}

/** Busy arithmetic for `ms` milliseconds, in batches so the clock is read rarely. */
function spinFixtureCompute(ms: number): number {
  const deadline = performance.now() + ms;
  let x = 1;
  do {
    for (let i = 0; i < 100_000; i++) x = (Math.imul(x, 1_103_515_245) + 12_345) | 0;
  } while (performance.now() < deadline);
  return x;
}

/** Sleeps in Atomics.wait for `ms` milliseconds in total (nobody notifies the word). */
function parkFixtureWaiter(ms: number): number {
  const word = new Int32Array(new SharedArrayBuffer(4));
  const deadline = performance.now() + ms;
  let sleeps = 0;
  for (let left = ms; left > 0; left = deadline - performance.now()) {
    Atomics.wait(word, 0, 0, left);
    sleeps++;
  }
  return sleeps;
}
