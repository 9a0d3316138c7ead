/**
 * `gpc-lab verdicts`: each protocol variant against the oracles, with mainline beside it, one row
 * per variant and property, and for each finding its racing steps and the variant step (module,
 * patch) that allowed it. Exit: 0 every variant ran (whatever it found: findings are the product),
 * 1 mainline has a finding none of its documented candidate upstream bugs explains (or, with
 * --catalog, an applicable catalog switch was not found), 2 usage error, 130 Ctrl-C.
 */
import type { Command } from 'commander';
import { resolveVerdictsConfig, VERDICTS_DEFAULTS, type VerdictsOptions } from '../verdicts/verdicts-config.js';
import { runVerdicts } from '../verdicts/run-verdicts.js';
import { formatVerdictsMarkdown, formatVerdictsText } from '../verdicts/format-verdicts.js';
import { protocolNames } from '../kvm/protocols/registry.js';

const VERDICTS_HELP_AFTER = `
Examples:
  gpc-lab verdicts                                   # every variant, ${VERDICTS_DEFAULTS.budgetS} s each, mainline beside it
  gpc-lab verdicts --protocol b17-trylock --budget 10s --markdown
  gpc-lab verdicts --shard 1/2 --json                # half of the variants (CI jobs, machines)
  gpc-lab verdicts --catalog --budget 10s            # each catalog switch under each variant
A variant with no finding reads "no finding in N checks over T s": what the runs show, never "safe".`;

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerVerdictsCommand(program: Command): void {
  program
    .command('verdicts')
    .description('run each protocol variant (and mainline beside it) against the oracles: per variant and property checks, findings, time to first, and the variant step each finding came through')
    .option('--protocol <names>', `variants to judge (comma-separated or repeatable; default every one: ${protocolNames().join(', ')})`, collect)
    .option('--protocol-module <file>', 'also judge the protocol variant this module exports by default (repeatable)', collect)
    .option('--budget <seconds>', 'measured time per variant run, and per mainline run beside it (30, 30s, 2m)', String(VERDICTS_DEFAULTS.budgetS))
    .option('--shard <i/n>', 'judge only shard i of n of the variants (list index % n == i-1)')
    .option('--seed <n>', 'first seed (the variant at list index k uses seed + 1000k, and so does the mainline run it is the first to need)', String(VERDICTS_DEFAULTS.seed))
    .option('--vcpus <n>', 'vCPUs of every run (default: stress\'s)')
    .option('--workload <list>', 'workloads of every run instead of each variant\'s own')
    .option('--bug <name>', 'bug switch on in every run, variants and mainline alike (repeatable); with --catalog: the catalog entries to run (default all)', collect)
    .option('--xen-attach <how>', 'how shared_info is attached in every run (gpa, hva, mixed; default: stress\'s)')
    .option('--inval-rate <n>', 'MMU-notifier events per second in every run (default: stress\'s)')
    .option('--catalog', 'instead: run each campaign catalog switch under each variant (not applicable: the variant says why)')
    .option('--json', 'print the report as JSON')
    .option('--markdown', 'print the table as Markdown (for docs/VERDICTS.md)')
    .addHelpText('after', VERDICTS_HELP_AFTER)
    .action(async function verdictsAction(raw: VerdictsOptions) {
      const config = resolveVerdictsConfig(raw);
      const quiet = config.json || config.markdown;
      const notice = quiet ? () => {} : (line: string) => void process.stderr.write(`${line}\n`);
      // First Ctrl-C: stop the run in progress and print the partial report; a second one aborts.
      const stop = new AbortController();
      let presses = 0;
      function onVerdictsSigint(): void {
        presses++;
        if (presses > 1) process.exit(130);
        process.stderr.write('interrupted: stopping the verdicts after the run in progress (Ctrl-C again to abort without a report)\n');
        stop.abort();
      }
      process.on('SIGINT', onVerdictsSigint);
      let report;
      try {
        report = await runVerdicts(config, { notice, stop: stop.signal });
      } finally {
        process.off('SIGINT', onVerdictsSigint);
      }
      if (config.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else if (config.markdown) process.stdout.write(`${formatVerdictsMarkdown(report).join('\n')}\n`);
      else process.stdout.write(`${formatVerdictsText(report).join('\n')}\n`);
      process.exitCode = report.exitCode;
    });
}
