import { describe, expect, it } from 'vitest';
import { RunControl, ThreadState, reportProgress, setThreadState, threadSlotBase } from '../../src/harness/run-control.js';
import { formatStallReport, startWatchdog, type StallReport } from '../../src/harness/watchdog.js';

/** Waits for `predicate` in 10 ms steps, at most `ms`. */
async function waitFor(predicate: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!predicate()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

describe('watchdog', () => {
  it('a thread stuck waiting for a mutex is reported with every thread state and the caller dump', async () => {
    const control = RunControl.create(3);
    const v = control.view;
    setThreadState(v, threadSlotBase(0), ThreadState.RUNNING, 0);
    setThreadState(v, threadSlotBase(1), ThreadState.WAITING_MUTEX, 3);
    setThreadState(v, threadSlotBase(2), ThreadState.DONE, 0); // finished: never judged
    let progress = 0;
    const ticker = setInterval(() => reportProgress(v, threadSlotBase(0), ++progress), 10);
    const reports: StallReport[] = [];
    const began = performance.now();
    const watchdog = startWatchdog({
      control,
      stallMs: 200,
      pollMs: 20,
      threadNames: ['busy', 'sleeper', 'finished'],
      dumpState: () => ['lock STATE=2'],
      onStall: (report) => reports.push(report),
    });
    const seen = await waitFor(() => reports.length > 0, 3000);
    clearInterval(ticker);
    watchdog.stop();
    expect(seen).toBe(true);
    expect(performance.now() - began).toBeGreaterThanOrEqual(190);
    const report = reports[0]!;
    expect(report.stalled).toEqual(['sleeper']);
    expect(report.threads.find((t) => t.name === 'sleeper')).toMatchObject({ stateName: 'waiting for mutex', stateArg: 3, stalled: true });
    expect(report.threads.find((t) => t.name === 'busy')!.stalled).toBe(false);
    expect(report.state).toEqual(['lock STATE=2']);
    expect(watchdog.report).toBe(report);
    const text = formatStallReport(report).join('\n');
    expect(text).toContain('sleeper');
    expect(text).toContain('lock STATE=2');
    // it reports once
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(reports).toHaveLength(1);
  });

  it('threads that keep progressing, or wait at the start barrier, are never reported', async () => {
    const control = RunControl.create(2);
    const v = control.view;
    setThreadState(v, threadSlotBase(0), ThreadState.IN_CRITICAL_SECTION, 0);
    setThreadState(v, threadSlotBase(1), ThreadState.AT_START_BARRIER, 0);
    let progress = 0;
    const ticker = setInterval(() => reportProgress(v, threadSlotBase(0), ++progress), 10);
    let stalls = 0;
    const watchdog = startWatchdog({ control, stallMs: 100, pollMs: 20, onStall: () => stalls++ });
    await new Promise((resolve) => setTimeout(resolve, 400));
    clearInterval(ticker);
    watchdog.stop();
    expect(progress).toBeGreaterThan(10); // the ticker did run through the window
    expect(stalls).toBe(0);
  });
});
