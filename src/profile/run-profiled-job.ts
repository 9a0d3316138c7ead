/**
 * Runs a gpc-lab subcommand in a child Node process under the V8 CPU profiler:
 * `node --cpu-prof --cpu-prof-dir=DIR <cli.js> <subcommand> ...`. The main thread is profiled, and
 * every worker inherits the flag (piscina workers too, unless created with `execArgv: []`), each
 * writing its own `CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile` (concurrency-anchors 4.2).
 * `GPC_LAB_PROFILE_DIR` tells the job's threads where to record their roles
 * (src/harness/thread-roles.ts). NODE_OPTIONS cannot carry --cpu-prof on Node 20, hence the child.
 */
import { spawn } from 'node:child_process';
import { PROFILE_DIR_ENV } from '../harness/thread-roles.js';

export interface ProfiledJob {
  /** The gpc-lab CLI script to run (the running one: process.argv[1]). */
  readonly cliPath: string;
  readonly subcommand: string;
  readonly jobArgs: readonly string[];
  /** Absolute output folder. */
  readonly outDir: string;
  readonly intervalUs: number;
  /** Send the job's stdout to our stderr (keeps our stdout for the JSON summary). */
  readonly stdoutToStderr: boolean;
}

export interface JobOutcome {
  readonly pid: number;
  /** Null when the job was killed by a signal. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Starts the job and resolves when it exits. While it runs, SIGINT is left to the job (the terminal
 * sends it to the whole process group; the job stops cleanly and writes its profiles), and SIGTERM
 * is passed on to it.
 */
export function runProfiledJob(job: ProfiledJob): Promise<JobOutcome> {
  const nodeArgs = [
    '--cpu-prof',
    `--cpu-prof-dir=${job.outDir}`,
    `--cpu-prof-interval=${job.intervalUs}`,
    job.cliPath,
    job.subcommand,
    ...job.jobArgs,
  ];
  const child = spawn(process.execPath, nodeArgs, {
    stdio: ['inherit', job.stdoutToStderr ? 2 : 'inherit', 'inherit'],
    env: { ...process.env, [PROFILE_DIR_ENV]: job.outDir },
  });
  function leaveSigintToJob(): void {}
  function forwardSigterm(): void {
    child.kill('SIGTERM');
  }
  process.on('SIGINT', leaveSigintToJob);
  process.on('SIGTERM', forwardSigterm);
  return new Promise<JobOutcome>(function waitForJob(resolve, reject) {
    child.once('error', function jobFailedToStart(error) {
      process.off('SIGINT', leaveSigintToJob);
      process.off('SIGTERM', forwardSigterm);
      reject(new Error(`could not start the profiled job: ${error.message}`));
    });
    child.once('exit', function jobExited(exitCode, signal) {
      process.off('SIGINT', leaveSigintToJob);
      process.off('SIGTERM', forwardSigterm);
      resolve({ pid: child.pid!, exitCode, signal });
    });
  });
}
