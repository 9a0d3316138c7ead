/**
 * `gpc-lab profile [--top N] [--json] [--interval US] <subcommand> [its options] --out DIR`:
 * runs any other subcommand under the V8 CPU profiler, one `.cpuprofile` per thread named by role,
 * and prints each thread's top functions and its compute / wait / idle split.
 *
 * The command line is parsed by src/profile/profile-args.ts, not by commander, so the
 * subcommand's options pass through untouched.
 */
import type { Command } from 'commander';
import { parseProfileArgs, DEFAULT_INTERVAL_US, DEFAULT_TOP } from '../profile/profile-args.js';
import { PROFILE_FIXTURE_COMMAND, registerProfileFixtureCommand } from '../profile/fixture-command.js';
import { runProfile } from '../profile/run-profile.js';
import { describeWaitFunctions } from '../profile/time-categories.js';

const HELP_AFTER = `
Profile options (before the subcommand; --out may also come after it):
  --out DIR        folder for the profiles (required); its old *.cpuprofile files are removed
  --top N          functions listed per thread (default ${DEFAULT_TOP})
  --json           print the summary as JSON; the job's own output then goes to stderr
  --interval US    sampling interval in microseconds (default ${DEFAULT_INTERVAL_US})

Writes DIR/<role>.cpuprofile for every thread (main, notifier, vcpu-0, ...) and DIR/threads.json.
Open a profile in Chrome DevTools (Performance > Load profile) or speedscope.
"wait" is time blocked in Atomics.wait, which V8 charges to the calling function
(${describeWaitFunctions()}; see src/profile/time-categories.ts).
Exit code: the job's (0, 1, 2), or 3.

Example:
  gpc-lab profile stress --vcpus 2 --duration 5 --out prof`;

export function registerProfileCommand(program: Command): void {
  program
    .command('profile')
    .description('run a subcommand under the V8 CPU profiler: one .cpuprofile per thread and a per-thread summary')
    .usage('[--top N] [--json] [--interval US] <subcommand> [its options] --out DIR')
    .argument('[args...]', 'the subcommand and its options')
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText('after', HELP_AFTER)
    .action(async function profileAction(args: string[]) {
      const names = program.commands.map((command) => command.name());
      const visible = names.filter((name) => name !== 'profile' && name !== PROFILE_FIXTURE_COMMAND);
      const parsed = parseProfileArgs(args, visible, [PROFILE_FIXTURE_COMMAND]);
      process.exitCode = await runProfile(parsed, process.argv[1]!);
    });
  registerProfileFixtureCommand(program);
}
