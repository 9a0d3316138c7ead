import { describe, expect, it } from 'vitest';
import type { ThreadTask } from '../../src/harness/pool.js';
import { RunControl } from '../../src/harness/run-control.js';
import { runTimedJob, type TimedJobOptions } from '../../src/harness/timed-job.js';
import type { StallReport } from '../../src/harness/watchdog.js';
import type { SelftestData, SelftestResult } from '../../workers/harness-selftest.worker.js';

function tasks(...modes: SelftestData[]): ThreadTask<SelftestData>[] {
  return modes.map((data, i) => ({ role: 'harness-selftest', name: `t-${i}`, data }));
}

/** A job's options with quiet defaults; `control` is made for `n` threads. */
function jobOptions(n: number, overrides: Partial<TimedJobOptions>): TimedJobOptions {
  return {
    control: RunControl.create(n),
    durationMs: 60_000,
    stallMs: 10_000,
    threadNames: Array.from({ length: n }, (_, i) => `t-${i}`),
    dumpState: () => ['selftest state'],
    progress: 'silent',
    progressLabel: 'selftest',
    progressSample: () => '',
    notice: () => {},
    ...overrides,
  };
}

describe('runTimedJob', () => {
  it('one thread starts late: the duration is timed from the start barrier, not from starting the pool, and nothing is left behind', async () => {
    const windowStarts: number[] = [];
    const sigintListeners = process.listenerCount('SIGINT');
    const options = jobOptions(3, {
      durationMs: 400,
      handleSigint: true,
      onWindowStart: () => windowStarts.push(performance.now()),
    });
    const began = performance.now();
    const job = await runTimedJob<SelftestData, SelftestResult>(
      tasks({ mode: 'count' }, { mode: 'count' }, { mode: 'count', startDelayMs: 600 }),
      options,
    );
    const wall = performance.now() - began;
    expect(job.run.stopReasonName).toBe('completed');
    expect(job.run.threads.map((t) => t.status)).toEqual(['done', 'done', 'done']);
    for (const t of job.run.threads) if (t.status === 'done') expect(t.value.iterations).toBeGreaterThan(0);
    // the window opened once, when the late thread arrived (600 ms after it started, at least)
    expect(windowStarts).toHaveLength(1);
    expect(windowStarts[0]! - job.windowStartedAt).toBeGreaterThanOrEqual(0);
    expect(windowStarts[0]! - job.windowStartedAt).toBeLessThan(1000);
    expect(job.windowStartedAt - began).toBeGreaterThanOrEqual(590);
    // ...and lasted the duration from there: the 600 ms start-up is not in it
    expect(job.elapsedMs).toBeGreaterThanOrEqual(395);
    expect(job.elapsedMs).toBeLessThan(5000);
    expect(wall).toBeGreaterThanOrEqual(job.windowStartedAt - began + job.elapsedMs);
    expect(job.stall).toBeNull();
    expect(job.run.threadsLeftRunning).toBe(0);
    expect(process.listenerCount('SIGINT')).toBe(sigintListeners);
  });

  it('a thread hangs in Atomics.wait: the watchdog names it once, the job stops as stalled, and the hung thread is terminated', async () => {
    const notices: string[] = [];
    const stalls: StallReport[] = [];
    const began = performance.now();
    const job = await runTimedJob<SelftestData, SelftestResult>(
      tasks({ mode: 'count' }, { mode: 'hang' }),
      jobOptions(2, { stallMs: 400, notice: (line) => notices.push(line), onStall: (report) => stalls.push(report) }),
    );
    const wall = performance.now() - began;
    expect(job.run.stopReasonName).toBe('stalled');
    expect(stalls).toHaveLength(1);
    expect(job.stall).toBe(stalls[0]);
    expect(job.stall!.stalled).toEqual(['t-1']);
    expect(job.stall!.state).toEqual(['selftest state']);
    expect(notices).toEqual(['stall: t-1 made no progress for 400 ms; stopping']);
    expect(job.run.threads.map((t) => t.status)).toEqual(['done', 'killed']);
    // bounded by stallMs + ~1.5 s, far from the 60 s duration (generous for a busy machine)
    expect(wall).toBeLessThan(15_000);
    expect(job.run.threadsLeftRunning).toBe(0);
  });

  it('the stop signal aborts mid-run: the job ends early as interrupted, its window measured up to the stop', async () => {
    const stop = new AbortController();
    let stopTimer: NodeJS.Timeout | undefined;
    const job = await runTimedJob<SelftestData, SelftestResult>(
      tasks({ mode: 'count' }, { mode: 'count' }),
      jobOptions(2, {
        stopSignal: stop.signal,
        // as a user's Ctrl-C would: once the run is under way
        onWindowStart: () => (stopTimer = setTimeout(() => stop.abort(), 200)),
      }),
    );
    clearTimeout(stopTimer);
    expect(job.run.stopReasonName).toBe('interrupted');
    expect(job.run.threads.map((t) => t.status)).toEqual(['done', 'done']);
    expect(job.elapsedMs).toBeGreaterThanOrEqual(195);
    expect(job.elapsedMs).toBeLessThan(10_000);
    expect(job.run.threadsLeftRunning).toBe(0);
  });
});
