/**
 * The result of `gpc-lab profile`: what ran, where the profiles are, and each thread's summary;
 * printed as a text table or as JSON (`--json`).
 */
import type { JsonEnvelope } from '../util/json-envelope.js';
import type { SourceLocation } from './source-locations.js';
import type { ThreadSummary } from './thread-summary.js';
import { TIME_CATEGORIES, describeWaitFunctions } from './time-categories.js';

export interface ProfileReport extends JsonEnvelope<'profile'> {
  readonly job: {
    readonly subcommand: string;
    readonly args: readonly string[];
    readonly exitCode: number | null;
    readonly signal: string | null;
  };
  /** Output folder, as given on the command line. */
  readonly outDir: string;
  readonly intervalUs: number;
  /** `main` first, then by role. */
  readonly threads: readonly ThreadSummary[];
  /** Threads that recorded a role but wrote no profile (their workers were not profiled). */
  readonly unprofiledRoles: readonly string[];
}

/** Anonymous time above this share of a thread is called out. */
const ANONYMOUS_NOTE_PERCENT = 1;

export function formatProfileReport(report: ProfileReport): string {
  const lines: string[] = [];
  const command = ['npx gpc-lab', report.job.subcommand, ...report.job.args].join(' ');
  lines.push(
    `profile of \`${command}\`: ${report.threads.length} thread(s), one .cpuprofile each in ${report.outDir} ` +
      `(Chrome DevTools > Performance > Load profile, or speedscope)`,
  );
  lines.push(`wait = time blocked in Atomics.wait, charged to its caller (${describeWaitFunctions()})`);
  for (const thread of report.threads) {
    lines.push('', ...formatThread(thread));
  }
  return `${lines.join('\n')}\n`;
}

function formatThread(thread: ThreadSummary): string[] {
  const categories = TIME_CATEGORIES.map(
    (category) => `${category} ${percent(thread.categoryMs[category], thread.totalMs)}`,
  ).join(', ');
  const header =
    `${thread.role} (tid ${thread.threadId}) ${thread.file}: ${seconds(thread.totalMs)}, ` +
    `${thread.samples} samples: ${categories}`;
  const rows = thread.top.map((fn) => [
    fn.selfMs.toFixed(1),
    `${fn.selfPercent.toFixed(1)}%`,
    fn.category,
    fn.name,
    fn.location === null ? '' : formatLocation(fn.location),
  ]);
  const table = alignColumns([['self ms', 'self %', 'category', 'function', 'location'], ...rows], [true, true, false, false, false]);
  const lines = [header, ...table.map((row) => `    ${row}`)];
  if (thread.totalMs > 0 && (100 * thread.anonymousMs) / thread.totalMs >= ANONYMOUS_NOTE_PERCENT) {
    lines.push(
      `    note: ${thread.anonymousMs.toFixed(1)} ms (${percent(thread.anonymousMs, thread.totalMs)}) in anonymous ` +
        `functions: give hot functions names`,
    );
  }
  return lines;
}

export function formatLocation(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}

function alignColumns(rows: readonly (readonly string[])[], rightAligned: readonly boolean[]): string[] {
  const widths = rightAligned.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (rightAligned[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd(),
  );
}

function percent(part: number, whole: number): string {
  return `${(whole > 0 ? (100 * part) / whole : 0).toFixed(1)}%`;
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}
