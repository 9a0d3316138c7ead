/**
 * The main thread as a participant of a controlled schedule: the control plane (memslot updates)
 * runs on the main thread, asynchronously, so its scheduling points are awaits: it hands the turn
 * over and awaits `Atomics.waitAsync` on its wake word until the turn comes back. While it waits,
 * its event loop runs (progress, watchdog, Ctrl-C) but nothing there touches the model.
 *
 * Its points: each wait of kvm_set_memslot / kvm_swap_active_memslots (mn_invalidate_lock, the
 * wait for in-flight invalidations, synchronize_srcu), the explicit points after each of the
 * swap's published stores (swap-memslots.ts), and the pacing between updates (model time).
 *
 * `mainGate` is null outside a controlled run: every function below then does the os thing.
 * Module state of the main thread only; one run at a time per process (runStress is not re-entrant
 * under a controlled schedule: the campaign runs its runs one after another).
 */
import { abortSchedule, type ChooserEnv } from './sched-chooser.js';
import { PS_DONE, P_STATE, P_WAKE, SC_ABORT, SC_STEP, SC_TURN, participantBase } from './sched-layout.js';
import { STEP_US } from './schedule-kinds.js';
import { POINT_BLOCK, POINT_EXIT, POINT_SLEEP, handTurnTo, markBlockedOnWord, markSleepingMs, takeStep, wakeEveryone } from './turn-gate.js';
import { atomicsWaitAsync } from '../util/atomics-wait-async.js';

export class MainParticipant {
  private readonly base: number;

  constructor(
    readonly env: ChooserEnv,
    /** The main thread's participant index (its model thread index, n + 3). */
    readonly participant: number,
  ) {
    this.base = participantBase(participant);
  }

  get aborted(): boolean {
    return Atomics.load(this.env.sv.mem, SC_ABORT) !== 0;
  }

  /** True while main holds the turn. */
  get holdsTurn(): boolean {
    return Atomics.load(this.env.sv.mem, SC_TURN) === this.participant;
  }

  private async waitForTurn(): Promise<void> {
    const mem = this.env.sv.mem;
    const wake = this.base + P_WAKE;
    for (;;) {
      const w = Atomics.load(mem, wake);
      if (Atomics.load(mem, SC_TURN) === this.participant || Atomics.load(mem, SC_ABORT) !== 0) return;
      const wait = atomicsWaitAsync(mem, wake, w, 1000);
      if (wait.async) await wait.value;
    }
  }

  /** One scheduling point of kind `kind`: count it, choose, and await the turn if someone else runs. */
  async point(kind: number): Promise<void> {
    if (this.aborted) return;
    const next = takeStep(this.env, this.participant, kind, false);
    if (next === this.participant || this.aborted) return;
    handTurnTo(this.env.sv, next);
    await this.waitForTurn();
  }

  /** Sleeps `ms` of model time. */
  async sleepMs(ms: number): Promise<void> {
    if (this.aborted) return;
    markSleepingMs(this.env.sv, this.base, ms);
    await this.point(POINT_SLEEP);
  }

  /** Waits until mem[index] !== expected (a futex wait), handing the turn over meanwhile. */
  async blockOnWord(mem: Int32Array, index: number, expected: number): Promise<void> {
    if (this.aborted) {
      const wait = atomicsWaitAsync(mem, index, expected, 20);
      if (wait.async) await wait.value;
      return;
    }
    if (Atomics.load(mem, index) !== expected) return;
    markBlockedOnWord(this.env, this.base, mem, index, expected);
    await this.point(POINT_BLOCK);
  }

  /** Main is done (its control plane stopped): hand the turn on for good. */
  exit(): void {
    const mem = this.env.sv.mem;
    if (this.aborted) return;
    if (!this.holdsTurn) {
      // Main never leaves the schedule without the turn but in an abort (the run is ending anyway).
      abortSchedule(this.env.sv);
      wakeEveryone(this.env.sv);
      return;
    }
    Atomics.store(mem, this.base + P_STATE, PS_DONE);
    const next = takeStep(this.env, this.participant, POINT_EXIT, false);
    if (!this.aborted) handTurnTo(this.env.sv, next);
  }
}

/** The main thread's participant in the current controlled run, or null. */
export let mainGate: MainParticipant | null = null;

export function setMainGate(gate: MainParticipant | null): void {
  mainGate = gate;
}

/**
 * The main thread's futex-style wait: under a controlled schedule a hand-over until the word
 * changes; otherwise `Atomics.waitAsync` for at most `sliceMs`. Callers re-check after it.
 */
export async function mainWaitWord(mem: Int32Array, index: number, expected: number, sliceMs: number): Promise<void> {
  if (mainGate !== null) return mainGate.blockOnWord(mem, index, expected);
  const wait = atomicsWaitAsync(mem, index, expected, sliceMs);
  if (wait.async) await wait.value;
}

/** A scheduling point of the main thread (no-op outside a controlled run). */
export async function mainPoint(kind: number): Promise<void> {
  if (mainGate !== null) await mainGate.point(kind);
}

/** Sleeps `ms`: model time under a controlled schedule, a timer otherwise. */
export async function mainSleepMs(ms: number): Promise<void> {
  if (mainGate !== null) return mainGate.sleepMs(ms);
  await new Promise<void>((resolve) => setTimeout(resolve, ms));
}

/** Model time in ms on the main thread (steps under a controlled schedule), else performance.now(). */
export function mainNowMs(): number {
  if (mainGate !== null) return (Atomics.load(mainGate.env.sv.mem, SC_STEP) * STEP_US) / 1000;
  return performance.now();
}
