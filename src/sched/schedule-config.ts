/**
 * The schedule part of a stress configuration (`--schedule`, `--sched-seed`, `--pct-depth`,
 * `--pct-epoch`, `--chaos-rate`, `--steps`, `--save-schedule`): parsed here, so stress and campaign accept the
 * same forms, and printed back in a re-run command.
 */
import { parseChoiceOption, parseIntegerOption, parseNumberOption } from '../util/option-parsers.js';
import { UsageError } from '../util/usage-error.js';
import { DEFAULT_CHAOS_RATE, DEFAULT_PCT_DEPTH, DEFAULT_PCT_EPOCH, DEFAULT_SCHEDULE_STEPS, SCHEDULE_NAMES, type ScheduleName } from './schedule-kinds.js';
import { MAX_CHANGE_POINTS } from './sched-layout.js';

export interface ScheduleOptions {
  schedule?: ScheduleName | (string & {});
  schedSeed?: string | number;
  pctDepth?: string | number;
  pctEpoch?: string | number;
  chaosRate?: string | number;
  steps?: string | number;
  /** Write the schedule (random/pct) to this file whether or not there is a finding. */
  saveSchedule?: string;
}

export interface ScheduleConfig {
  readonly kind: ScheduleName;
  /** The scheduler's seed (random/pct/chaos): separate from --seed, which seeds the workload. */
  readonly seed: number;
  readonly pctDepth: number;
  /** pct: restart PCT every this many steps (0: never; schedule-kinds.ts DEFAULT_PCT_EPOCH). */
  readonly pctEpoch: number;
  readonly chaosRate: number;
  /** random/pct: the step budget of the schedule. */
  readonly steps: number;
  readonly saveSchedule: string | null;
}

export const MAX_SCHEDULE_STEPS = 20_000_000;

export function resolveScheduleConfig(input: ScheduleOptions, workloadSeed: number): ScheduleConfig {
  const kind = parseChoiceOption('--schedule', input.schedule ?? 'os', SCHEDULE_NAMES);
  const controlled = kind === 'random' || kind === 'pct';
  if (!controlled && kind !== 'chaos') {
    for (const [flag, value] of [['--sched-seed', input.schedSeed], ['--pct-depth', input.pctDepth], ['--pct-epoch', input.pctEpoch], ['--steps', input.steps], ['--chaos-rate', input.chaosRate], ['--save-schedule', input.saveSchedule]] as const) {
      if (value !== undefined) throw new UsageError(`${flag} needs --schedule chaos, random or pct (got --schedule ${kind})`);
    }
  }
  if (kind !== 'pct' && input.pctDepth !== undefined) throw new UsageError(`--pct-depth needs --schedule pct (got --schedule ${kind})`);
  if (kind !== 'pct' && input.pctEpoch !== undefined) throw new UsageError(`--pct-epoch needs --schedule pct (got --schedule ${kind})`);
  if (kind !== 'chaos' && input.chaosRate !== undefined) throw new UsageError(`--chaos-rate needs --schedule chaos (got --schedule ${kind})`);
  if (!controlled && (input.steps !== undefined || input.saveSchedule !== undefined)) {
    throw new UsageError(`${input.steps !== undefined ? '--steps' : '--save-schedule'} needs --schedule random or pct (a chaos schedule is not replayable)`);
  }
  return {
    kind,
    seed: input.schedSeed === undefined ? (workloadSeed ^ 0x5eed) >>> 0 : parseIntegerOption('--sched-seed', input.schedSeed, 0, 4294967295),
    pctDepth: input.pctDepth === undefined ? DEFAULT_PCT_DEPTH : parseIntegerOption('--pct-depth', input.pctDepth, 1, MAX_CHANGE_POINTS + 1),
    pctEpoch: input.pctEpoch === undefined ? DEFAULT_PCT_EPOCH : parsePctEpoch(input.pctEpoch),
    chaosRate: input.chaosRate === undefined ? DEFAULT_CHAOS_RATE : parseNumberOption('--chaos-rate', input.chaosRate, 0, 1),
    steps: input.steps === undefined ? DEFAULT_SCHEDULE_STEPS : parseIntegerOption('--steps', input.steps, 100, MAX_SCHEDULE_STEPS),
    saveSchedule: input.saveSchedule ?? null,
  };
}

/** Shortest `--pct-epoch` other than 0: an epoch must leave room for its d-1 change points and the steps between them. */
export const MIN_PCT_EPOCH = 10;

function parsePctEpoch(value: string | number): number {
  const epoch = parseIntegerOption('--pct-epoch', value, 0, MAX_SCHEDULE_STEPS);
  if (epoch !== 0 && epoch < MIN_PCT_EPOCH) throw new UsageError(`--pct-epoch must be 0 (off) or from ${MIN_PCT_EPOCH} to ${MAX_SCHEDULE_STEPS} steps, got '${value}'`);
  return epoch;
}

/** The schedule's flags for a re-run command (none for os). */
export function scheduleFlags(s: ScheduleConfig): string[] {
  if (s.kind === 'os') return [];
  const parts = [`--schedule ${s.kind}`, `--sched-seed ${s.seed}`];
  if (s.kind === 'pct' && s.pctDepth !== DEFAULT_PCT_DEPTH) parts.push(`--pct-depth ${s.pctDepth}`);
  if (s.kind === 'pct' && s.pctEpoch !== DEFAULT_PCT_EPOCH) parts.push(`--pct-epoch ${s.pctEpoch}`);
  if (s.kind === 'chaos' && s.chaosRate !== DEFAULT_CHAOS_RATE) parts.push(`--chaos-rate ${s.chaosRate}`);
  if ((s.kind === 'pct' || s.kind === 'random') && s.steps !== DEFAULT_SCHEDULE_STEPS) parts.push(`--steps ${s.steps}`);
  return parts;
}
