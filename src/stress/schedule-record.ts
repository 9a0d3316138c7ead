/**
 * A random/pct stress run as a schedule file (src/sched/schedule-file.ts): its configuration, the
 * scheduler's decisions and stop, and the first finding's signature. And where such a file goes
 * by default, and the command that replays it. Cold path.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { encodeDecisions, findingSignature, scheduleFileStamp, writeScheduleFile, type ScheduleFile } from '../sched/schedule-file.js';
import type { RecordedSchedule } from './run-stress.js';
import { stressOptionsOf, type StressConfig } from './stress-config.js';
import type { StressReport } from './stress-report.js';
import { stopReasonName } from '../harness/run-control.js';

/** Where a finding's schedule goes when no --save-schedule says otherwise (relative to the working directory). */
export const DEFAULT_SCHEDULE_DIR = 'gpc-lab-schedules';

export function scheduleFileOf(config: StressConfig, report: StressReport, recorded: RecordedSchedule): ScheduleFile {
  const first = report.findings[0];
  const kind = config.schedule.kind === 'random' ? 'random' : 'pct';
  return {
    ...scheduleFileStamp(),
    config: stressOptionsOf(config),
    threads: (report.schedule.participants ?? []).map((p) => ({ index: p.index, name: p.thread })),
    scheduler: { kind, seed: config.schedule.seed, pctDepth: config.schedule.pctDepth, ...(config.schedule.pctEpoch > 0 ? { pctEpoch: config.schedule.pctEpoch } : {}), changePoints: recorded.changePoints, steps: config.schedule.steps },
    stop: { step: recorded.outcome.stopStep, reason: recorded.outcome.stopReason, reasonName: recorded.outcome.stopReason === 0 ? 'none' : stopReasonName(recorded.outcome.stopReason) },
    decisions: { count: recorded.decisions.length, runs: encodeDecisions(recorded.decisions) },
    traceHash: recorded.outcome.hash.toString(16).padStart(8, '0'),
    finding: first ? findingSignature(first) : null,
  };
}

/** The default file name for a run's schedule: property, schedule kind, seeds. */
export function defaultSchedulePath(config: StressConfig, report: StressReport): string {
  const what = report.findings[0]?.property ?? 'clean';
  return join(DEFAULT_SCHEDULE_DIR, `${what}-${config.schedule.kind}-seed${config.seed}-sched${config.schedule.seed}.json`);
}

/** Writes the file (making its directory); returns the replay command. */
export function saveSchedule(path: string, file: ScheduleFile): string {
  mkdirSync(dirname(path), { recursive: true });
  writeScheduleFile(path, file);
  return `npx gpc-lab replay ${path}`;
}
