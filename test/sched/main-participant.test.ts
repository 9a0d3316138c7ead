/**
 * The main thread as a participant (src/sched/main-participant.ts): its points are awaits on
 * Atomics.waitAsync. Here the test itself plays the one worker participant (the turn holder when
 * main waits), on the same thread: the handover's store + notify is what resumes main.
 */
import { describe, expect, it } from 'vitest';
import { PS_BLOCKED, PS_DONE, PS_SLEEPING, P_PRIORITY, P_STATE, P_WAKE, SC_ABORT, SC_STEP, SC_TURN, participantBase } from '../../src/sched/sched-layout.js';
import { createSchedule, startSchedule, type LiveSchedule } from '../../src/sched/schedule-setup.js';
import { handTurnTo, takeStep } from '../../src/sched/turn-gate.js';
import { MainParticipant } from '../../src/sched/main-participant.js';

const WORKER = 0;
const MAIN = 1;

function schedule(): { live: LiveSchedule; main: MainParticipant; word: Int32Array } {
  const word = new Int32Array(new SharedArrayBuffer(64));
  const live = createSchedule(
    { kind: 'pct', seed: 1, pctDepth: 1, steps: 100_000, workers: [WORKER], mainIndex: MAIN, mainActive: true, replay: null },
    { views: [word] },
    new Int32Array(new SharedArrayBuffer(256)),
    new Int32Array(new SharedArrayBuffer(256)),
  );
  Atomics.store(live.sv.mem, participantBase(MAIN) + P_PRIORITY, 9);
  Atomics.store(live.sv.mem, participantBase(WORKER) + P_PRIORITY, 3);
  startSchedule(live);
  return { live, main: live.main!, word };
}

/** The worker's turn: steps until the scheduler picks someone else (at most `bound`), then hands over. Returns the steps it took. */
function workerRunsUntilHandover(live: LiveSchedule, bound: number): number {
  expect(Atomics.load(live.sv.mem, SC_TURN)).toBe(WORKER);
  for (let steps = 1; steps <= bound; steps++) {
    const next = takeStep(live.env, WORKER, 7, false);
    if (next !== WORKER) {
      handTurnTo(live.sv, next);
      return steps;
    }
  }
  throw new Error(`the worker kept the turn for ${bound} steps`);
}

async function settled(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((resolve) => setTimeout(resolve, 20));
  return done;
}

describe('the main participant', () => {
  it('holds the first turn', () => {
    const { main } = schedule();
    expect(main.holdsTurn).toBe(true);
  });

  it('a model-time sleep hands the turn over and resumes when the deadline step comes and the turn is handed back', async () => {
    const { live, main } = schedule();
    const sleeping = main.sleepMs(0.05); // 50 steps of 1 µs
    expect(Atomics.load(live.sv.mem, participantBase(MAIN) + P_STATE)).toBe(PS_SLEEPING);
    expect(await settled(sleeping)).toBe(false);
    const steps = workerRunsUntilHandover(live, 1000);
    expect(steps).toBeGreaterThanOrEqual(49);
    expect(steps).toBeLessThanOrEqual(51);
    await sleeping;
    expect(main.holdsTurn).toBe(true);
    expect(Atomics.load(live.sv.mem, SC_STEP)).toBe(50); // the deadline: main's own step 1, then the worker's 49
  });

  it('a futex-style wait on a word: the worker runs while the word is unchanged, main runs as soon as it changes', async () => {
    const { live, main, word } = schedule();
    const blocked = main.blockOnWord(word, 3, 0);
    expect(Atomics.load(live.sv.mem, participantBase(MAIN) + P_STATE)).toBe(PS_BLOCKED);
    for (let i = 0; i < 30; i++) expect(takeStep(live.env, WORKER, 7, false)).toBe(WORKER);
    expect(await settled(blocked)).toBe(false);
    Atomics.store(word, 3, 1);
    expect(workerRunsUntilHandover(live, 5)).toBe(1);
    await blocked;
    expect(main.holdsTurn).toBe(true);
  });

  it('a wait on a word that already changed returns at once, keeping the turn', async () => {
    const { live, main, word } = schedule();
    Atomics.store(word, 2, 5);
    await main.blockOnWord(word, 2, 4);
    expect(main.holdsTurn).toBe(true);
    expect(Atomics.load(live.sv.mem, SC_STEP)).toBe(0);
  });

  it('exit hands the turn on for good; an abort releases a waiting main', async () => {
    const a = schedule();
    a.main.exit();
    expect(Atomics.load(a.live.sv.mem, participantBase(MAIN) + P_STATE)).toBe(PS_DONE);
    expect(Atomics.load(a.live.sv.mem, SC_TURN)).toBe(WORKER);

    const b = schedule();
    const sleeping = b.main.sleepMs(1000);
    expect(await settled(sleeping)).toBe(false);
    Atomics.store(b.live.sv.mem, SC_ABORT, 1);
    Atomics.add(b.live.sv.mem, participantBase(MAIN) + P_WAKE, 1);
    Atomics.notify(b.live.sv.mem, participantBase(MAIN) + P_WAKE);
    await sleeping;
    expect(b.main.aborted).toBe(true);
  });
});
