/**
 * The controlled scheduler's decision (src/sched/sched-chooser.ts), on one thread: a schedule
 * buffer built by createSchedule, the VM's words faked by one shared buffer of our own, and the
 * participants' states set by hand, as the turn gate would set them.
 */
import { describe, expect, it } from 'vitest';
import { RC_STOP_REASON, StopReason } from '../../src/harness/run-control.js';
import { FINDINGS_TOTAL } from '../../src/trace/findings.js';
import { chooseNext } from '../../src/sched/sched-chooser.js';
import {
  PS_BLOCKED,
  PS_DONE,
  PS_SLEEPING,
  P_DEADLINE,
  P_EXPECTED,
  P_INDEX,
  P_PRIORITY,
  P_STATE,
  P_TAG,
  SC_ABORT,
  SC_BUDGET,
  SC_DEADLOCK_STEP,
  SC_DECISIONS,
  SC_DIVERGED_RUNNABLE,
  SC_DIVERGED_STEP,
  SC_DIVERGED_WANTED,
  SC_EPOCH_START,
  SC_DIRECT_CURSOR,
  SC_DIRECT_SKIPPED,
  DIRECT_SKIP_AFTER,
  SC_HASH,
  SC_LOW_PRIORITY,
  SC_LOG_LENGTH,
  SC_STEP,
  SC_STOP_REASON,
  SC_STOP_STEP,
  SC_TIME_JUMPS,
  SC_YIELDS,
  changePointSlot,
  participantBase,
} from '../../src/sched/sched-layout.js';
import { createSchedule, recordedDecisions, type LiveSchedule, type ReplayInput } from '../../src/sched/schedule-setup.js';
import { POINT_YIELD, takeStep } from '../../src/sched/turn-gate.js';
import type { ScheduleName } from '../../src/sched/schedule-kinds.js';

interface Bench {
  readonly live: LiveSchedule;
  readonly mem: Int32Array;
  /** The fake VM words (tag 0). */
  readonly word: Int32Array;
  readonly control: Int32Array;
  readonly findings: Int32Array;
}

function bench(kind: ScheduleName, workers: number, replay: ReplayInput | null = null, steps = 1000, pctEpoch = 0, directed?: Int32Array): Bench {
  const word = new Int32Array(new SharedArrayBuffer(64 * 4));
  const control = new Int32Array(new SharedArrayBuffer(64 * 4));
  const findings = new Int32Array(new SharedArrayBuffer(64 * 4));
  const live = createSchedule(
    { kind, seed: 42, pctDepth: 3, pctEpoch, steps, workers: Array.from({ length: workers }, (_, i) => i), mainIndex: workers, mainActive: false, replay, ...(directed ? { directed } : {}) },
    { views: [word] },
    control,
    findings,
  );
  return { live, mem: live.sv.mem, word, control, findings };
}

function set(b: Bench, t: number, slot: number, value: number): void {
  Atomics.store(b.mem, participantBase(t) + slot, value);
}

function blockOn(b: Bench, t: number, index: number, expected: number): void {
  set(b, t, P_TAG, 0);
  set(b, t, P_INDEX, index);
  set(b, t, P_EXPECTED, expected);
  set(b, t, P_STATE, PS_BLOCKED);
}

describe('the random scheduler', () => {
  it('picks only runnable participants, and each of them now and then', () => {
    const b = bench('random', 4);
    set(b, 1, P_STATE, PS_DONE);
    blockOn(b, 3, 5, 0);
    const picked = new Map<number, number>();
    for (let i = 0; i < 400; i++) {
      const t = chooseNext(b.live.env);
      picked.set(t, (picked.get(t) ?? 0) + 1);
      blockOn(b, 3, 5, 0); // chooseNext never picks it, but keep it blocked whatever happens
    }
    expect([...picked.keys()].sort()).toEqual([0, 2]);
    expect(picked.get(0)!).toBeGreaterThan(100);
    expect(picked.get(2)!).toBeGreaterThan(100);
    // Every decision is logged, in order.
    expect(Atomics.load(b.mem, SC_DECISIONS)).toBe(400);
    expect([...new Set(recordedDecisions(b.live.sv))].sort()).toEqual([0, 2]);
  });

  it('the same seed makes the same choices', () => {
    const runs = [bench('random', 3), bench('random', 3)].map((b) => Array.from({ length: 200 }, () => chooseNext(b.live.env)).join(''));
    expect(runs[0]).toBe(runs[1]);
  });
});

describe('the PCT scheduler', () => {
  it('runs the runnable participant of highest priority, whatever the others', () => {
    const b = bench('pct', 3);
    set(b, 0, P_PRIORITY, 5);
    set(b, 1, P_PRIORITY, 9);
    set(b, 2, P_PRIORITY, 7);
    for (let i = 0; i < 20; i++) expect(chooseNext(b.live.env)).toBe(1);
    set(b, 1, P_STATE, PS_DONE);
    expect(chooseNext(b.live.env)).toBe(2);
  });

  it('gives distinct initial priorities d .. d+n-1', () => {
    const b = bench('pct', 4);
    const priorities = [0, 1, 2, 3].map((t) => Atomics.load(b.mem, participantBase(t) + P_PRIORITY)).sort();
    expect(priorities).toEqual([3, 4, 5, 6]);
  });

  it('a change point drops the running participant below every other, once, at the first step at or after it', () => {
    const b = bench('pct', 3);
    set(b, 0, P_PRIORITY, 5);
    set(b, 1, P_PRIORITY, 9);
    set(b, 2, P_PRIORITY, 7);
    Atomics.store(b.mem, changePointSlot(0), 4);
    Atomics.store(b.mem, changePointSlot(1), 1_000_000);
    // Steps 1..3: no change point, the top one keeps running.
    for (let s = 1; s <= 3; s++) expect(takeStep(b.live.env, 1, 7, false)).toBe(1);
    // Step 4 is change point 0: participant 1 drops below every other (here to -1), so 2 (priority 7) runs.
    expect(takeStep(b.live.env, 1, 7, false)).toBe(2);
    expect(Atomics.load(b.mem, participantBase(1) + P_PRIORITY)).toBeLessThan(5);
    expect(Atomics.load(b.mem, SC_STEP)).toBe(4);
    // It fired once: 2 keeps running at the next steps, and 1 stays below.
    expect(takeStep(b.live.env, 2, 7, false)).toBe(2);
    expect(Atomics.load(b.mem, participantBase(2) + P_PRIORITY)).toBe(7);
  });

  it('a change point that a time jump passed over fires at the next step', () => {
    const b = bench('pct', 3);
    set(b, 0, P_PRIORITY, 5);
    set(b, 1, P_PRIORITY, 9);
    set(b, 2, P_PRIORITY, 7);
    Atomics.store(b.mem, changePointSlot(0), 10);
    Atomics.store(b.mem, changePointSlot(1), 1_000_000);
    // Model time jumps from 1 to 20 (as when everyone slept): the step counter passes 10.
    Atomics.store(b.mem, SC_STEP, 20);
    expect(takeStep(b.live.env, 1, 7, false)).toBe(2);
    expect(Atomics.load(b.mem, participantBase(1) + P_PRIORITY)).toBeLessThan(5);
  });

  it('a yield drops the yielder below every other participant, so a spin loop ends', () => {
    const b = bench('pct', 3);
    set(b, 0, P_PRIORITY, 5);
    set(b, 1, P_PRIORITY, 9);
    set(b, 2, P_PRIORITY, 7);
    Atomics.store(b.mem, changePointSlot(0), 1_000_000);
    Atomics.store(b.mem, changePointSlot(1), 1_000_000);
    expect(takeStep(b.live.env, 1, POINT_YIELD, true)).toBe(2);
    expect(takeStep(b.live.env, 2, POINT_YIELD, true)).toBe(0);
    expect(takeStep(b.live.env, 0, POINT_YIELD, true)).toBe(1); // the first yielder is now the highest of the yielders
    expect(Atomics.load(b.mem, SC_YIELDS)).toBe(3);
    // A step that is not a yield changes nobody's priority.
    expect(takeStep(b.live.env, 1, 7, false)).toBe(1);
  });
});

describe('PCT restarted every K steps (--pct-epoch)', () => {
  const EPOCH = 50;
  const priorities = (b: Bench): number[] => [0, 1, 2, 3].map((t) => Atomics.load(b.mem, participantBase(t) + P_PRIORITY));
  const points = (b: Bench): number[] => [0, 1].map((i) => Atomics.load(b.mem, changePointSlot(i)));

  it("draws the first epoch's change points within the epoch, not over the step budget", () => {
    for (let i = 0; i < 20; i++) {
      const b = bench('pct', 4, null, 1_000_000, EPOCH);
      for (const cp of points(b)) expect(cp).toBeGreaterThanOrEqual(1), expect(cp).toBeLessThanOrEqual(EPOCH);
    }
  });

  it('at the end of each epoch: fresh distinct priorities d .. d+n-1, the floor back to 0, and d-1 change points in the next K steps', () => {
    const b = bench('pct', 4, null, 1_000_000, EPOCH);
    const seen = new Set<string>();
    let who = 0;
    for (let step = 1; step <= 20 * EPOCH; step++) {
      // Yields now and then (not at an epoch's last step, where the yielder would drop again at once).
      const yielding = step % 7 === 0 && step % EPOCH !== 0;
      who = takeStep(b.live.env, who, yielding ? POINT_YIELD : 7, yielding);
      if (step % EPOCH === 0) {
        // The step that ends an epoch starts the next one (its own change points are later).
        expect(Atomics.load(b.mem, SC_EPOCH_START)).toBe(step);
        expect([...priorities(b)].sort()).toEqual([3, 4, 5, 6]);
        expect(Atomics.load(b.mem, SC_LOW_PRIORITY)).toBe(0);
        for (const cp of points(b)) expect(cp).toBeGreaterThan(step), expect(cp).toBeLessThanOrEqual(step + EPOCH);
        seen.add(priorities(b).join(','));
      }
    }
    // The priorities are redrawn, not kept: 20 epochs of 4 participants show several orders.
    expect(seen.size).toBeGreaterThan(3);
  });

  it('without --pct-epoch nothing is redrawn: priorities only fall (yields, change points), never rise', () => {
    const b = bench('pct', 4, null, 1_000_000, 0);
    let who = 0;
    const start = priorities(b);
    for (let step = 1; step <= 500; step++) {
      const before = priorities(b);
      who = takeStep(b.live.env, who, step % 7 === 0 ? POINT_YIELD : 7, step % 7 === 0);
      priorities(b).forEach((p, t) => expect(p).toBeLessThanOrEqual(before[t]!));
    }
    expect(priorities(b)).not.toEqual(start);
    expect(Atomics.load(b.mem, SC_EPOCH_START)).toBe(0);
  });

  it('the same seed redraws the same epochs (a recording and its replay agree)', () => {
    const run = (): number[] => {
      const b = bench('pct', 4, null, 1_000_000, EPOCH);
      const trace: number[] = [];
      let who = 0;
      for (let step = 1; step <= 10 * EPOCH; step++) trace.push((who = takeStep(b.live.env, who, 7, step % 5 === 0)));
      return trace;
    };
    expect(run()).toEqual(run());
  });
});

describe('the directed rule (replay --from-finding)', () => {
  const event = (who: number, kind: number): number => (who << 16) | kind;

  it("runs the next event's thread, passes the event when that thread takes a step of its kind, and records the decisions", () => {
    const b = bench('random', 3, null, 1000, 0, Int32Array.from([event(2, 7), event(0, 9), event(1, 7)]));
    expect(chooseNext(b.live.env)).toBe(2);
    // A step of another kind does not pass the event: thread 2 keeps running.
    expect(takeStep(b.live.env, 2, 8, false)).toBe(2);
    expect(Atomics.load(b.mem, SC_DIRECT_CURSOR)).toBe(0);
    expect(takeStep(b.live.env, 2, 7, false)).toBe(0);
    expect(Atomics.load(b.mem, SC_DIRECT_CURSOR)).toBe(1);
    expect(takeStep(b.live.env, 0, 9, false)).toBe(1);
    expect(takeStep(b.live.env, 1, 7, false)).toBe(1); // the order is done: the previous thread goes on
    expect(Atomics.load(b.mem, SC_DIRECT_CURSOR)).toBe(3);
    expect(recordedDecisions(b.live.sv)).toEqual(Uint8Array.from([2, 2, 0, 1, 1]));
  });

  it('a thread that cannot run keeps the previous one; an event not seen for DIRECT_SKIP_AFTER steps is skipped', () => {
    const b = bench('random', 2, null, 100_000, 0, Int32Array.from([event(1, 7), event(0, 9)]));
    set(b, 1, P_STATE, PS_DONE);
    expect(chooseNext(b.live.env)).toBe(0);
    for (let i = 1; i < DIRECT_SKIP_AFTER; i++) expect(takeStep(b.live.env, 0, 8, false)).toBe(0);
    expect(Atomics.load(b.mem, SC_DIRECT_CURSOR)).toBe(0);
    takeStep(b.live.env, 0, 8, false);
    expect(Atomics.load(b.mem, SC_DIRECT_CURSOR)).toBe(1);
    expect(Atomics.load(b.mem, SC_DIRECT_SKIPPED)).toBe(1);
    takeStep(b.live.env, 0, 9, false);
    expect(Atomics.load(b.mem, SC_DIRECT_CURSOR)).toBe(2);
  });
});

describe('blocked and sleeping participants', () => {
  it('a blocked participant becomes runnable exactly when its word changes', () => {
    const b = bench('pct', 2);
    set(b, 0, P_PRIORITY, 3);
    set(b, 1, P_PRIORITY, 9);
    b.word[7] = 11;
    blockOn(b, 1, 7, 11);
    for (let i = 0; i < 10; i++) expect(chooseNext(b.live.env)).toBe(0);
    Atomics.store(b.word, 7, 12);
    expect(chooseNext(b.live.env)).toBe(1);
    // Chosen, it is runnable again (it re-checks its condition itself, as after a futex wait).
    Atomics.store(b.word, 7, 11);
    expect(chooseNext(b.live.env)).toBe(1);
  });

  it('a word of the fake VM at an offset view is found by its whole-buffer index', () => {
    const b = bench('pct', 2);
    set(b, 0, P_PRIORITY, 3);
    set(b, 1, P_PRIORITY, 9);
    blockOn(b, 1, 20, 0);
    expect(chooseNext(b.live.env)).toBe(0);
    new Int32Array(b.word.buffer, 16 * 4)[4] = 1; // word 20 through another view
    expect(chooseNext(b.live.env)).toBe(1);
  });

  it('everyone asleep: model time jumps to the earliest deadline, and that sleeper runs', () => {
    const b = bench('pct', 3);
    Atomics.store(b.mem, SC_STEP, 10);
    for (const [t, deadline] of [[0, 50], [1, 30], [2, 40]] as const) {
      set(b, t, P_DEADLINE, deadline);
      set(b, t, P_STATE, PS_SLEEPING);
    }
    expect(chooseNext(b.live.env)).toBe(1);
    expect(Atomics.load(b.mem, SC_STEP)).toBe(30);
    expect(Atomics.load(b.mem, SC_TIME_JUMPS)).toBe(1);
    expect(Atomics.load(b.mem, SC_DEADLOCK_STEP)).toBe(-1);
  });

  it('a sleeper whose deadline has not come is not run while someone else can run (no time jump)', () => {
    const b = bench('pct', 2);
    set(b, 0, P_PRIORITY, 3);
    set(b, 1, P_PRIORITY, 9);
    set(b, 1, P_DEADLINE, 100);
    set(b, 1, P_STATE, PS_SLEEPING);
    expect(chooseNext(b.live.env)).toBe(0);
    expect(Atomics.load(b.mem, SC_TIME_JUMPS)).toBe(0);
    Atomics.store(b.mem, SC_STEP, 100);
    expect(chooseNext(b.live.env)).toBe(1);
  });
});

describe('the end of a schedule', () => {
  it('nobody runnable and not all done: a deadlock, recorded at its step, and the schedule aborts', () => {
    const b = bench('pct', 3);
    Atomics.store(b.mem, SC_STEP, 77);
    set(b, 0, P_STATE, PS_DONE);
    blockOn(b, 1, 3, 0);
    blockOn(b, 2, 4, 0);
    expect(chooseNext(b.live.env)).toBe(-1);
    expect(Atomics.load(b.mem, SC_DEADLOCK_STEP)).toBe(77);
    expect(Atomics.load(b.mem, SC_ABORT)).toBe(1);
    // The run stops too (the threads, now free, must not run on until the wall-clock cap).
    expect(Atomics.load(b.control, RC_STOP_REASON)).toBe(StopReason.STALLED);
  });

  it('all done: the end (-1), and no deadlock, no abort', () => {
    const b = bench('pct', 3);
    for (const t of [0, 1, 2]) set(b, t, P_STATE, PS_DONE);
    expect(chooseNext(b.live.env)).toBe(-1);
    expect(Atomics.load(b.mem, SC_DEADLOCK_STEP)).toBe(-1);
    expect(Atomics.load(b.mem, SC_ABORT)).toBe(0);
    expect(Atomics.load(b.control, RC_STOP_REASON)).toBe(0);
  });

  it('the step budget stops the run as COMPLETED at that step, in run control', () => {
    const b = bench('random', 2, null, 100);
    Atomics.store(b.mem, SC_STEP, 99);
    chooseNext(b.live.env);
    expect(Atomics.load(b.mem, SC_STOP_STEP)).toBe(-1);
    expect(Atomics.load(b.control, RC_STOP_REASON)).toBe(0);
    Atomics.store(b.mem, SC_STEP, 100);
    chooseNext(b.live.env);
    expect(Atomics.load(b.mem, SC_STOP_STEP)).toBe(100);
    expect(Atomics.load(b.mem, SC_STOP_REASON)).toBe(StopReason.COMPLETED);
    expect(Atomics.load(b.control, RC_STOP_REASON)).toBe(StopReason.COMPLETED);
  });

  it('a finding stops a recording at the next step, as FINDING; sleepers then wake at once', () => {
    const b = bench('pct', 2);
    set(b, 0, P_STATE, PS_DONE);
    set(b, 1, P_DEADLINE, 900);
    set(b, 1, P_STATE, PS_SLEEPING);
    Atomics.store(b.mem, SC_STEP, 20);
    Atomics.store(b.findings, FINDINGS_TOTAL, 1);
    expect(chooseNext(b.live.env)).toBe(1);
    expect(Atomics.load(b.mem, SC_STOP_STEP)).toBe(20);
    expect(Atomics.load(b.control, RC_STOP_REASON)).toBe(StopReason.FINDING);
    expect(Atomics.load(b.mem, SC_TIME_JUMPS)).toBe(0);
  });
});

describe('replay', () => {
  const decisions = Uint8Array.from([0, 1, 1, 2, 0]);

  it('follows the logged decisions, not its own rule, and stays silent while it can', () => {
    const b = bench('pct', 3, { kind: 'pct', decisions, stopStep: -1, stopReason: 0 });
    set(b, 0, P_PRIORITY, 99); // PCT alone would always pick 0
    expect(Array.from({ length: 5 }, () => chooseNext(b.live.env))).toEqual([0, 1, 1, 2, 0]);
    expect(Atomics.load(b.mem, SC_DIVERGED_STEP)).toBe(-1);
    expect(Atomics.load(b.mem, SC_ABORT)).toBe(0);
    expect(Atomics.load(b.mem, SC_LOG_LENGTH)).toBe(5); // a replay does not write its log
  });

  it('diverges when the logged participant is not runnable: the decision, whom it wanted, who could run', () => {
    const b = bench('pct', 3, { kind: 'pct', decisions, stopStep: -1, stopReason: 0 });
    expect(chooseNext(b.live.env)).toBe(0);
    blockOn(b, 1, 9, 0);
    expect(chooseNext(b.live.env)).toBe(-1);
    expect(Atomics.load(b.mem, SC_DIVERGED_STEP)).toBe(1);
    expect(Atomics.load(b.mem, SC_DIVERGED_WANTED)).toBe(1);
    expect(Atomics.load(b.mem, SC_DIVERGED_RUNNABLE)).toBe((1 << 0) | (1 << 2));
    expect(Atomics.load(b.mem, SC_ABORT)).toBe(1);
    expect(Atomics.load(b.control, RC_STOP_REASON)).toBe(StopReason.COMPLETED);
  });

  it('diverges when the log runs out before the threads are done', () => {
    const b = bench('random', 2, { kind: 'random', decisions: Uint8Array.from([1]), stopStep: -1, stopReason: 0 });
    expect(chooseNext(b.live.env)).toBe(1);
    expect(chooseNext(b.live.env)).toBe(-1);
    expect(Atomics.load(b.mem, SC_DIVERGED_STEP)).toBe(1);
    expect(Atomics.load(b.mem, SC_DIVERGED_WANTED)).toBe(-1);
  });

  it('past the recorded stop, a log that runs out (the threads leaving in another order) ends the schedule: no divergence', () => {
    const b = bench('pct', 2, { kind: 'pct', decisions: Uint8Array.from([1]), stopStep: 1, stopReason: StopReason.FINDING });
    Atomics.store(b.mem, SC_STEP, 1);
    expect(chooseNext(b.live.env)).toBe(1);
    expect(Atomics.load(b.mem, SC_STOP_STEP)).toBe(1);
    Atomics.store(b.mem, SC_STEP, 2);
    expect(chooseNext(b.live.env)).toBe(-1);
    expect(Atomics.load(b.mem, SC_DIVERGED_STEP)).toBe(-1);
    expect(Atomics.load(b.mem, SC_ABORT)).toBe(1);
    expect(Atomics.load(b.control, RC_STOP_REASON)).toBe(StopReason.FINDING);
  });

  it('the trace hash covers the steps up to the stop, not the threads leaving after it', () => {
    const run = (tail: number[]): number => {
      const b = bench('pct', 3);
      Atomics.store(b.mem, changePointSlot(0), 1_000_000);
      Atomics.store(b.mem, changePointSlot(1), 1_000_000);
      for (let i = 0; i < 5; i++) takeStep(b.live.env, 0, 7, false);
      Atomics.store(b.findings, FINDINGS_TOTAL, 1);
      takeStep(b.live.env, 0, 8, false); // the chooser applies the stop at this step
      expect(Atomics.load(b.mem, SC_STOP_STEP)).toBe(6);
      for (const who of tail) takeStep(b.live.env, who, POINT_YIELD, false);
      return Atomics.load(b.mem, SC_HASH);
    };
    expect(run([2, 1, 0])).toBe(run([0, 1]));
    const other = bench('pct', 3);
    for (let i = 0; i < 6; i++) takeStep(other.live.env, 1, 7, false);
    expect(Atomics.load(other.mem, SC_HASH)).not.toBe(run([]));
  });

  it('stops at the recorded stop step with the recorded reason, and ignores findings', () => {
    const b = bench('pct', 2, { kind: 'pct', decisions: Uint8Array.from([0, 0, 0]), stopStep: 2, stopReason: StopReason.FINDING });
    expect(Atomics.load(b.mem, SC_BUDGET)).toBe(2);
    Atomics.store(b.findings, FINDINGS_TOTAL, 3);
    Atomics.store(b.mem, SC_STEP, 1);
    chooseNext(b.live.env);
    expect(Atomics.load(b.mem, SC_STOP_STEP)).toBe(-1);
    Atomics.store(b.mem, SC_STEP, 2);
    chooseNext(b.live.env);
    expect(Atomics.load(b.mem, SC_STOP_STEP)).toBe(2);
    expect(Atomics.load(b.control, RC_STOP_REASON)).toBe(StopReason.FINDING);
  });
});
