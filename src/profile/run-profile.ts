/**
 * `gpc-lab profile`: run the job under the CPU profiler, name the profiles by thread role,
 * summarize each thread, print the summary, and return the job's exit code.
 */
import { jsonEnvelope } from '../util/json-envelope.js';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXIT_CLEAN, EXIT_FINDINGS, EXIT_INTERNAL, EXIT_USAGE } from '../util/exit-codes.js';
import { UsageError } from '../util/usage-error.js';
import { parseCpuProfile } from './cpuprofile.js';
import type { ProfileArgs } from './profile-args.js';
import { nameProfilesByRole, prepareProfileDir } from './profile-files.js';
import { formatProfileReport, type ProfileReport } from './profile-report.js';
import { runProfiledJob, type JobOutcome } from './run-profiled-job.js';
import { SourceLocator } from './source-locations.js';
import { summarizeThread } from './thread-summary.js';

/** Returns the exit code: the job's (0 clean, 1 findings, 2 its usage error), else 3. */
export async function runProfile(args: ProfileArgs, cliPath: string): Promise<number> {
  const outDir = resolve(args.outDir);
  if (isNonDirectory(outDir)) throw new UsageError(`--out ${args.outDir} exists and is not a folder`);
  prepareProfileDir(outDir);

  const outcome = await runProfiledJob({
    cliPath,
    subcommand: args.subcommand,
    jobArgs: args.jobArgs,
    outDir,
    intervalUs: args.intervalUs,
    stdoutToStderr: args.json,
  });
  // The job rejected its options and printed why; there is nothing worth summarizing.
  if (outcome.exitCode === EXIT_USAGE) return EXIT_USAGE;

  const { threads, unprofiledRoles } = nameProfilesByRole(outDir, outcome.pid);
  if (unprofiledRoles.length > 0) {
    process.stderr.write(
      `warning: ${unprofiledRoles.length} thread(s) wrote no profile (${unprofiledRoles.join(', ')}): ` +
        `their workers were started with an execArgv without profilerExecArgv() ` +
        `(docs/ARCHITECTURE.md, "Profiling hooks")\n`,
    );
  }
  if (threads.length === 0) {
    process.stderr.write(`error: the profiled job wrote no .cpuprofile into ${args.outDir} (${describeEnd(outcome)})\n`);
    return EXIT_INTERNAL;
  }
  const locator = new SourceLocator();
  const summaries = threads.map(function summarizeProfiledThread(thread) {
    const path = join(outDir, thread.file);
    const profile = parseCpuProfile(readFileSync(path, 'utf8'), path);
    return summarizeThread(profile, thread, locator, args.top);
  });
  const report: ProfileReport = {
    ...jsonEnvelope('profile'),
    job: { subcommand: args.subcommand, args: args.jobArgs, exitCode: outcome.exitCode, signal: outcome.signal },
    outDir: args.outDir,
    intervalUs: args.intervalUs,
    threads: summaries,
    unprofiledRoles,
  };
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatProfileReport(report));

  if (outcome.exitCode === EXIT_CLEAN || outcome.exitCode === EXIT_FINDINGS) return outcome.exitCode;
  process.stderr.write(`error: the profiled job failed (${describeEnd(outcome)})\n`);
  return EXIT_INTERNAL;
}

function describeEnd(outcome: JobOutcome): string {
  return outcome.signal !== null ? `killed by ${outcome.signal}` : `exit code ${outcome.exitCode}`;
}

function isNonDirectory(path: string): boolean {
  try {
    return !statSync(path).isDirectory();
  } catch {
    return false; // does not exist yet: prepareProfileDir creates it
  }
}
