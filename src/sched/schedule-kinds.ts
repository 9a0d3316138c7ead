/**
 * `--schedule` (issue 10): who decides which thread runs.
 *
 *   os      the OS scheduler on real threads (every run before issue 10; the default)
 *   chaos   real threads plus seeded random delays and yields at the scheduling points (rr's chaos
 *           mode, Coyote's fuzzing): not replayable, finds narrow windows fast
 *   random  one thread at a time; at every scheduling point a seeded scheduler picks the next
 *           runnable thread uniformly (replayable)
 *   pct     one thread at a time, PCT (Burckhardt et al. 2010): random distinct priorities, the
 *           highest-priority runnable thread runs, d-1 change points lower the running thread's
 *           priority; a yield lowers the yielder's (replayable); `--pct-epoch K` restarts it
 *           every K steps
 *
 * `replay` is not a `--schedule` value: `gpc-lab replay` runs the decisions of a schedule file.
 */
export const SCHEDULE_NAMES = ['os', 'chaos', 'random', 'pct'] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

/** The kind codes in the scheduler buffer (SC_KIND). */
export const SCHED_OS = 0;
export const SCHED_CHAOS = 1;
export const SCHED_RANDOM = 2;
export const SCHED_PCT = 3;
export const SCHED_REPLAY = 4;

export function scheduleKindCode(name: ScheduleName | 'replay'): number {
  return name === 'replay' ? SCHED_REPLAY : SCHEDULE_NAMES.indexOf(name);
}

/** True for the kinds that run one thread at a time (the turn gate). */
export function isControlledSchedule(name: ScheduleName | 'replay'): boolean {
  return name === 'random' || name === 'pct' || name === 'replay';
}

/** `--pct-depth` default (the d = 3: two change points). */
export const DEFAULT_PCT_DEPTH = 3;
/**
 * `--pct-epoch` default: 0, one PCT schedule over the whole run (the paper's algorithm). K > 0
 * restarts PCT every K steps (new priorities, d-1 new change points in the next K steps): each
 * epoch is a PCT schedule of length K from the state the run has reached, so a bug whose d events
 * fall within K steps is found with probability >= 1/(n K^(d-1)) per epoch, not per run.
 */
export const DEFAULT_PCT_EPOCH = 0;
/** `--chaos-rate` default: the chance that a scheduling point injects a delay. */
export const DEFAULT_CHAOS_RATE = 0.02;
/** Model time under a controlled schedule: one scheduling point is this many microseconds. */
export const STEP_US = 1;
/** `--steps` default: the step budget of one controlled schedule. */
export const DEFAULT_SCHEDULE_STEPS = 200_000;
