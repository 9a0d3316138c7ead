/**
 * `gpc-lab torture`: the kernel's locktorture for the model's locks (src/torture/).
 * Exit: 0 clean, 1 failures or a stall, 2 usage error, 3 internal error (a thread crashed), 130 Ctrl-C.
 */
import { Option, type Command } from 'commander';
import { TORTURE_LOCKS } from '../torture/lock-kinds.js';
import { TORTURE_DEFAULTS, parseTortureOptions, type TortureOptionsInput } from '../torture/config.js';
import { runTorture } from '../torture/runner.js';
import { formatTortureReport } from '../torture/report.js';

const realLocks = TORTURE_LOCKS.filter((l) => !l.selfTest);
const selfTestLocks = TORTURE_LOCKS.filter((l) => l.selfTest);

const HELP_AFTER = `
Locks:
${realLocks.map((l) => `  ${l.name.padEnd(32)} ${l.description}`).join('\n')}
Self-test variants (broken on purpose; the torture must report them):
${selfTestLocks.map((l) => `  ${l.name.padEnd(32)} ${l.description}`).join('\n')}

Each thread loops: take the lock, check the critical section, release, pause (hold and pause
lengths drawn from --seed). Checks: a writer sees no reader and no other writer; a reader sees no
writer; an 8-word value (one word per cache line) written under the write lock is never seen torn;
no write under the lock is lost. Under mutex/spinlock, readers take the lock exclusively and also
check that no other holder is inside; --irq-readers needs an rwlock. A thread that makes no
progress for --stall-ms is a stall: reported with every thread's state and the lock words.

Ctrl-C stops the run early and prints a partial report (marked interrupted); a second Ctrl-C
exits at once. Exit codes: 0 clean, 1 failures or stall, 2 usage error, 3 internal error, 130
Ctrl-C (after the partial report).

Examples:
  gpc-lab torture                                   # rwlock, 4 readers, 1 irq reader, 2 writers, 5 s
  gpc-lab torture --lock mutex --readers 2 --writers 4 --duration 10 --json
  gpc-lab torture --lock broken-mutex-no-wake --duration 2   # must report a stall`;

interface TortureCliOptions extends TortureOptionsInput {}

export function registerTortureCommand(program: Command): void {
  program
    .command('torture')
    .description('torture a lock (rwlock, mutex, spinlock) with reader and writer threads and check mutual exclusion')
    .option('--lock <name>', `lock under test (see below)`, TORTURE_DEFAULTS.lock)
    .option('--readers <n>', 'process-context reader threads', String(TORTURE_DEFAULTS.readers))
    .option('--writers <n>', 'writer threads', String(TORTURE_DEFAULTS.writers))
    .option('--irq-readers <n>', 'irq-context reader threads (rwlock only; default 1 for rwlocks, else 0)')
    .option('--duration <seconds>', 'how long to run: seconds (decimals allowed) or with a unit: 500ms, 30s, 2m', String(TORTURE_DEFAULTS.durationS))
    .option('--seed <n>', 'seed for hold and pause lengths (0..4294967295; default: from the clock, printed)')
    .option('--stall-ms <ms>', 'a thread without progress for this long is a stall', String(TORTURE_DEFAULTS.stallMs))
    .option('--json', 'print the report as JSON (no progress output)')
    .addOption(new Option('--crash-after <n>', 'test hook: thread 0 throws after n acquisitions').hideHelp())
    .addHelpText('after', HELP_AFTER)
    .action(async function tortureAction(raw: TortureCliOptions) {
      const config = parseTortureOptions(raw);
      const report = await runTorture(config, { handleSigint: true });
      if (config.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(`${formatTortureReport(report).join('\n')}\n`);
      process.exitCode = report.exitCode;
    });
}
