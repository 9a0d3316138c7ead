/**
 * Hidden subcommand `gpc-lab profile-fixture`: a tiny known job for checking the profiler end to
 * end (`gpc-lab profile profile-fixture --out DIR`). Two pooled threads (src/harness/pool.ts) run
 * workers/profile-fixture.worker.ts: `fixture-compute` computes, `fixture-wait` sleeps in
 * Atomics.wait, each for --ms milliseconds. It exits with --exit-code, to check that the profiled
 * job's exit code is passed on.
 */
import type { Command } from 'commander';
import { UsageError } from '../util/usage-error.js';
import { runThreads, type ThreadTask } from '../harness/pool.js';
import { RunControl } from '../harness/run-control.js';
import { profilerExecArgv } from '../harness/thread-roles.js';
import type { ProfileFixtureData, ProfileFixtureResult } from '../../workers/profile-fixture.worker.js';

export const PROFILE_FIXTURE_COMMAND = 'profile-fixture';
/** The thread names (profile roles) of the fixture's two threads. */
export const FIXTURE_ROLES = { compute: 'fixture-compute', wait: 'fixture-wait' } as const;

export function registerProfileFixtureCommand(program: Command): void {
  program
    .command(PROFILE_FIXTURE_COMMAND, { hidden: true })
    .description('profiler self-test job: one computing and one waiting worker')
    .option('--ms <n>', 'milliseconds each worker computes or waits (10-10000)', '300')
    .option('--exit-code <n>', 'exit code to finish with (0-3)', '0')
    .action(async function profileFixtureAction(options: { ms: string; exitCode: string }) {
      const ms = integerIn('--ms', options.ms, 10, 10_000);
      const exitCode = integerIn('--exit-code', options.exitCode, 0, 3);
      await runProfileFixture(ms);
      process.exitCode = exitCode;
    });
}

/**
 * Runs both fixture threads to completion through the harness's pool and prints one line per
 * thread. Fails (internal error) if a thread did not finish.
 */
export async function runProfileFixture(ms: number): Promise<void> {
  const tasks: ThreadTask<ProfileFixtureData>[] = [
    { role: 'profile-fixture', name: FIXTURE_ROLES.compute, data: { mode: 'compute', ms } },
    { role: 'profile-fixture', name: FIXTURE_ROLES.wait, data: { mode: 'wait', ms } },
  ];
  const run = await runThreads<ProfileFixtureData, ProfileFixtureResult>(tasks, {
    control: RunControl.create(tasks.length),
    stopGraceMs: 200,
    // The pool's workers get no Node flags by default; pass the profiler's on (Profiling hooks).
    execArgv: profilerExecArgv(),
  });
  for (const thread of run.threads) {
    if (thread.status !== 'done') throw new Error(`profile fixture thread ${thread.name} ${thread.status}`);
    process.stdout.write(`${thread.name}: thread ${thread.value.threadId} done\n`);
  }
}

function integerIn(option: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`${option} must be an integer from ${min} to ${max}, got ${value}`);
  return n;
}
