import { describe, expect, it } from 'vitest';
import { runThreads, type ThreadTask } from '../../src/harness/pool.js';
import { RunControl, StopReason, ThreadState } from '../../src/harness/run-control.js';
import type { ThreadStartedMessage } from '../../src/harness/thread-task.js';
import type { SelftestData, SelftestResult } from '../../workers/harness-selftest.worker.js';

function tasks(...modes: SelftestData[]): ThreadTask<SelftestData>[] {
  return modes.map((data, i) => ({ role: 'harness-selftest', name: `t-${i}`, data }));
}

/**
 * Runs `action` `ms` after every thread has passed the start barrier, as the runners time their
 * duration: thread start-up on a busy machine can take longer than `ms`, and a stop before the
 * barrier would end the threads before they ran. Returns the canceller.
 */
function afterStartBarrier(control: RunControl, ms: number, action: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const poll = setInterval(() => {
    if (!control.startBarrierPassed()) return;
    clearInterval(poll);
    timer = setTimeout(action, ms);
  }, 5);
  return () => {
    clearInterval(poll);
    clearTimeout(timer);
  };
}

describe('runThreads', () => {
  it('three counting threads run together until stopped, return their counts, and all exit', async () => {
    const control = RunControl.create(3);
    const started: ThreadStartedMessage[] = [];
    const cancelStop = afterStartBarrier(control, 300, () => control.requestStop(StopReason.COMPLETED));
    const run = await runThreads<SelftestData, SelftestResult>(tasks({ mode: 'count' }, { mode: 'count' }, { mode: 'count' }), {
      control,
      stopGraceMs: 5000,
      onThreadStarted: (info) => started.push(info),
    });
    cancelStop();
    expect(run.stopReasonName).toBe('completed');
    expect(run.threads.map((t) => t.status)).toEqual(['done', 'done', 'done']);
    for (const t of run.threads) {
      if (t.status !== 'done') throw new Error('unreachable');
      expect(t.value.iterations).toBeGreaterThan(0);
      expect(t.value.iterations).toBe(control.progress(t.threadIndex));
      // the threadId the thread saw is the one recorded in run control and in the start message
      expect(t.threadId).toBe(t.value.threadId);
      expect(control.state(t.threadIndex)).toBe(ThreadState.DONE);
    }
    expect(started.map((s) => s.name).sort()).toEqual(['t-0', 't-1', 't-2']);
    expect(new Set(started.map((s) => s.threadId)).size).toBe(3);
    expect(run.threadsCreated).toBe(3);
    expect(run.threadsLeftRunning).toBe(0);
  });

  it('one thread throws: the others are stopped, its error is reported, and no thread is left running', async () => {
    const control = RunControl.create(3);
    const began = performance.now();
    const run = await runThreads<SelftestData, SelftestResult>(
      tasks({ mode: 'count' }, { mode: 'throw', after: 20 }, { mode: 'count' }),
      { control, stopGraceMs: 5000 },
    );
    expect(run.stopReason).toBe(StopReason.THREAD_FAILED);
    expect(run.anyFailed).toBe(true);
    const [a, crashed, c] = run.threads;
    expect(crashed!.status).toBe('failed');
    if (crashed!.status === 'failed') expect(crashed!.error.message).toContain('selftest crash after 20 iterations');
    expect(control.state(1)).toBe(ThreadState.FAILED);
    // the others saw the stop flag and ended by themselves, well before the grace period
    expect(a!.status).toBe('done');
    expect(c!.status).toBe('done');
    expect(performance.now() - began).toBeLessThan(4000);
    expect(run.threadsLeftRunning).toBe(0);
    expect(run.threadsExited).toBe(run.threadsCreated);
  });

  it('a thread asleep in Atomics.wait ignores the stop: it is terminated after the grace period and reported killed', async () => {
    const control = RunControl.create(2);
    const hangBuffer = new SharedArrayBuffer(4);
    const cancelStop = afterStartBarrier(control, 200, () => control.requestStop(StopReason.COMPLETED));
    const began = performance.now();
    const run = await runThreads<SelftestData, SelftestResult>(tasks({ mode: 'count' }, { mode: 'hang', hangBuffer }), {
      control,
      stopGraceMs: 300,
    });
    cancelStop();
    const elapsed = performance.now() - began;
    expect(run.threads[0]!.status).toBe('done');
    expect(run.threads[1]!.status).toBe('killed');
    expect(run.killed).toBe(1);
    // it was still in its Atomics.wait when killed (state set before the wait)
    expect(control.state(1)).toBe(ThreadState.WAITING_MUTEX);
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(5000);
    expect(run.threadsLeftRunning).toBe(0);
    expect(run.threadsExited).toBe(2);
  });

  it('aborting the kill signal ends a run with a hung thread at once', async () => {
    const control = RunControl.create(1);
    const kill = new AbortController();
    let stoppedAt = 0;
    const cancelKill = afterStartBarrier(control, 200, () => {
      stoppedAt = performance.now();
      control.requestStop(StopReason.STALLED);
      kill.abort();
    });
    const run = await runThreads<SelftestData, SelftestResult>(tasks({ mode: 'hang' }), {
      control,
      stopGraceMs: 60_000,
      killSignal: kill.signal,
    });
    cancelKill();
    expect(run.threads[0]!.status).toBe('killed');
    expect(run.stopReasonName).toBe('stalled');
    // it was hung in its Atomics.wait, and ended long before the 60 s grace period
    expect(control.state(0)).toBe(ThreadState.WAITING_MUTEX);
    expect(stoppedAt).toBeGreaterThan(0);
    expect(performance.now() - stoppedAt).toBeLessThan(5000);
    expect(run.threadsLeftRunning).toBe(0);
  });

  it('a task count that does not match the run control is refused before any thread starts', async () => {
    await expect(runThreads(tasks({ mode: 'count' }), { control: RunControl.create(2) })).rejects.toThrow(
      /control is for 2 threads, got 1 tasks/,
    );
  });
});
