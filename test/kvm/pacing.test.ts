import { describe, expect, it } from 'vitest';
import { RunControl, ThreadState, threadSlotBase } from '../../src/harness/run-control.js';
import { PACING_SLICE_MS, Pacer } from '../../src/kvm/pacing.js';
import { waitForPacedTurn } from '../../src/stress/threads/paced-turn.js';
import { Random } from '../../src/util/random.js';

describe('paced loops', () => {
  it('a loop pacing at 200/s through waitForPacedTurn gets about 200 turns a second and shows itself running between turns', () => {
    const control = RunControl.create(1);
    const slotBase = threadSlotBase(0);
    const pacer = new Pacer(200, new Random(5, 1));
    const began = performance.now();
    let turns = 0;
    let waits = 0;
    while (performance.now() - began < 1000) {
      waits++;
      if (waitForPacedTurn(control.view, slotBase, pacer)) turns++;
      expect(control.state(0)).toBe(ThreadState.RUNNING);
    }
    // Exponential gaps with a mean of 5 ms: ~200 in the second (sd ~14). A late wake-up on a busy
    // machine is caught up (the schedule does not slip), so the bounds are loose only for noise.
    expect(turns).toBeGreaterThan(120);
    expect(turns).toBeLessThan(280);
    expect(waits).toBeGreaterThanOrEqual(turns);
  });

  it('a loop whose rate is 0 never gets a turn, and each wait returns within a pacing slice so it can see a stop', () => {
    const control = RunControl.create(1);
    const pacer = new Pacer(0, new Random(5, 1));
    const began = performance.now();
    for (let i = 0; i < 5; i++) expect(waitForPacedTurn(control.view, threadSlotBase(0), pacer)).toBe(false);
    const elapsed = performance.now() - began;
    expect(elapsed).toBeGreaterThanOrEqual(5 * PACING_SLICE_MS - 5);
    // 5 slices of 20 ms; a generous bound for a descheduled main thread
    expect(elapsed).toBeLessThan(3000);
  });
});
