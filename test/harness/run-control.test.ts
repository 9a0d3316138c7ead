import { describe, expect, it } from 'vitest';
import {
  RC_READY_COUNT,
  RunControl,
  StopReason,
  ThreadState,
  awaitStartBarrier,
  reportProgress,
  setThreadState,
  shouldStop,
  startBarrierTimedOut,
  stopReasonName,
  threadSlotBase,
  threadStateName,
} from '../../src/harness/run-control.js';

describe('run control', () => {
  it('the first stop request wins and its reason is kept; listeners run once', () => {
    const control = RunControl.create(2);
    const seen: number[] = [];
    control.onStop((reason) => seen.push(reason));
    expect(shouldStop(control.view)).toBe(false);
    expect(control.requestStop(StopReason.STALLED)).toBe(true);
    expect(control.requestStop(StopReason.COMPLETED)).toBe(false);
    expect(shouldStop(control.view)).toBe(true);
    expect(stopReasonName(control.stopReason)).toBe('stalled');
    expect(seen).toEqual([StopReason.STALLED]);
    // a listener added after the stop runs at once
    control.onStop((reason) => seen.push(reason));
    expect(seen).toEqual([StopReason.STALLED, StopReason.STALLED]);
  });

  it("a thread's progress, state and argument land in its own cache line", () => {
    const control = RunControl.create(3);
    reportProgress(control.view, threadSlotBase(1), 41);
    setThreadState(control.view, threadSlotBase(1), ThreadState.WAITING_WRITE_LOCK, 5);
    expect(threadSlotBase(1) - threadSlotBase(0)).toBe(16);
    expect(control.snapshot(1)).toMatchObject({ progress: 41, state: ThreadState.WAITING_WRITE_LOCK, stateArg: 5 });
    expect(control.snapshot(0)).toMatchObject({ progress: 0, state: ThreadState.NOT_STARTED });
    expect(control.totalProgress()).toBe(41);
    expect(threadStateName(control.state(1))).toBe('waiting for write lock');
    expect(threadStateName(40, { 40: 'in guest mode' })).toBe('in guest mode');
  });

  it('progress counters are read as unsigned, so a wrapped counter still reads as a count', () => {
    const control = RunControl.create(1);
    reportProgress(control.view, threadSlotBase(0), 2 ** 31 + 5);
    expect(control.progress(0)).toBe(2 ** 31 + 5);
  });

  it('the start barrier lets the last thread through at once and times out when others never come', () => {
    const alone = RunControl.create(1);
    expect(awaitStartBarrier(alone.view, threadSlotBase(0), 1000)).toBe(true);
    expect(alone.state(0)).toBe(ThreadState.RUNNING);

    expect(alone.startBarrierPassed()).toBe(true);

    const waiting = RunControl.create(2);
    const began = performance.now();
    expect(awaitStartBarrier(waiting.view, threadSlotBase(0), 120)).toBe(false);
    expect(performance.now() - began).toBeGreaterThanOrEqual(100);
    expect(Atomics.load(waiting.view, RC_READY_COUNT)).toBe(1);
    expect(startBarrierTimedOut(waiting.view)).toBe(true);
    // the main thread does not start timing a run that is still waiting for a thread
    expect(waiting.startBarrierPassed()).toBe(false);
  });

  it('the start barrier returns false at once when the run is already stopped', () => {
    const control = RunControl.create(2);
    control.requestStop(StopReason.INTERRUPTED);
    const began = performance.now();
    expect(awaitStartBarrier(control.view, threadSlotBase(0), 10_000)).toBe(false);
    expect(performance.now() - began).toBeLessThan(1000);
    // It arrived; the stop came first: not a time-out (the thread counts as started, with nothing to run).
    expect(startBarrierTimedOut(control.view)).toBe(false);
  });

  it('every thread arrived but the run stopped before one was scheduled: false for "do not run", yet no time-out', () => {
    const control = RunControl.create(2);
    Atomics.add(control.view, RC_READY_COUNT, 1); // the other thread arrived
    control.requestStop(StopReason.COMPLETED); // a very short run ended before this one woke
    expect(awaitStartBarrier(control.view, threadSlotBase(0), 10_000)).toBe(false);
    expect(Atomics.load(control.view, RC_READY_COUNT)).toBe(2);
    expect(startBarrierTimedOut(control.view)).toBe(false);
  });

  it('a thread count outside 1..1024 is refused with the value in the message', () => {
    expect(() => RunControl.create(0)).toThrow(/from 1 to 1024, got 0/);
  });
});
