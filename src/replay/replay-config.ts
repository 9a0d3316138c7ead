/**
 * The stress options a replay runs with: the schedule file's configuration, its scheduler, and a
 * wall-clock cap long enough that the replay (slower or faster than the recording) reaches the
 * recorded stop: the cap only ever truncates, and a truncated replay says so (it diverges).
 */
import type { ScheduleFile } from '../sched/schedule-file.js';
import type { ReplayInput } from '../sched/schedule-setup.js';
import type { StressOptions } from '../stress/stress-config.js';

const MIN_REPLAY_CAP_S = 120;

export function stressOf(file: ScheduleFile): StressOptions {
  const recorded = Number(file.config.duration ?? 10);
  return {
    ...file.config,
    duration: Math.max(MIN_REPLAY_CAP_S, recorded * 4),
    json: true,
    schedule: file.scheduler.kind,
    schedSeed: file.scheduler.seed,
    steps: file.scheduler.steps,
    ...(file.scheduler.kind === 'pct' ? { pctDepth: file.scheduler.pctDepth, ...(file.scheduler.pctEpoch !== undefined ? { pctEpoch: file.scheduler.pctEpoch } : {}) } : {}),
  };
}

/** What the scheduler follows: `decisions` (the file's, or a shrink candidate) with the file's stop; guided for --shrink. */
export function replayInputOf(file: ScheduleFile, decisions: Uint8Array, guided = false): ReplayInput {
  return { kind: file.scheduler.kind, decisions, stopStep: file.stop.step, stopReason: file.stop.reason, ...(guided ? { guided: true } : {}) };
}
