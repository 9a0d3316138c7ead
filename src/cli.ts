#!/usr/bin/env node
/**
 * `gpc-lab`: the command-line entry. Each subcommand lives in its own file under src/cli/ and
 * registers itself on the commander program; this file only wires them and maps failures to exit
 * codes (0 clean, 1 findings, 2 usage error, 3 internal error).
 */
import { Command, CommanderError } from 'commander';
import { EXIT_INTERNAL, EXIT_USAGE } from './util/exit-codes.js';
import { UsageError } from './util/usage-error.js';
import { packageVersion } from './util/package-info.js';
import { registerProfileCommand } from './cli/profile.js';
import { registerTortureCommand } from './cli/torture.js';
import { registerBenchLocksCommand } from './cli/bench-locks.js';
import { registerStressCommand } from './cli/stress.js';
import { registerBenchCommand } from './cli/bench.js';
import { registerBugsCommand } from './cli/bugs.js';
import { registerCampaignCommand } from './cli/campaign.js';
import { registerReplayCommand } from './cli/replay.js';
import { registerProtocolsCommand } from './cli/protocols.js';
import { registerVerdictsCommand } from './cli/verdicts.js';

const version = packageVersion();

const TOP_HELP_AFTER = `
Examples:
  gpc-lab stress                                    # 10 s on the default workload, with its report
  gpc-lab stress --vcpus 4 --duration 60 --strategy generation
  gpc-lab stress --bug refresh-skips-retry --stop-on-finding
  gpc-lab bugs                                      # the catalog of historical bugs
  gpc-lab campaign --runs 10 --budget 30s           # does every bug get caught, and how fast
  gpc-lab verdicts --budget 10s                     # each protocol variant, mainline beside it
  gpc-lab bench --quick                             # per-vmentry check cost of each strategy
  gpc-lab profile stress --duration 5 --out prof    # one CPU profile per thread, in prof/

Exit codes: 0 clean, 1 findings (or a stall, or a missed bug), 2 usage error (nothing was run),
3 internal error, 130 interrupted by Ctrl-C (after the partial report).
From a clone: node dist/cli.js <command> (after npm ci, which builds) or npx gpc-lab <command>.
`;

const program = new Command('gpc-lab')
  .description("An executable model of KVM's gfn_to_pfn_cache on real threads")
  .version(version, '-V, --version', 'print the version')
  // An unknown command or option, or a bad value commander checks: its one line, then this one.
  .showHelpAfterError('(add --help for usage)')
  // A subcommand's options belong to it (campaign's --json is not campaign merge's).
  .enablePositionalOptions()
  .addHelpText('after', TOP_HELP_AFTER)
  .exitOverride();

// Subcommands register here, one line each.
registerProfileCommand(program);
registerTortureCommand(program);
registerBenchLocksCommand(program);
registerStressCommand(program);
registerBenchCommand(program);
registerBugsCommand(program);
registerCampaignCommand(program);
registerReplayCommand(program);
registerProtocolsCommand(program);
registerVerdictsCommand(program);

async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; parse errors were already printed.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    // One line for the user; the stack only when asked for (GPC_LAB_DEBUG=1), as it is our bug.
    const detail = error instanceof Error ? (process.env.GPC_LAB_DEBUG ? (error.stack ?? error.message) : error.message) : String(error);
    process.stderr.write(`internal error: ${detail}\n`);
    return EXIT_INTERNAL;
  }
}

process.exitCode = await main(process.argv);
