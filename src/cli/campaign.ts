/**
 * `gpc-lab campaign`: how fast and how reliably the oracles catch each injectable bug, against the
 * reference protocol for the same time. Exit: 0 every bug caught in every run and the reference
 * clean, 1 otherwise, 2 usage error.
 */
import type { Command } from 'commander';
import { CAMPAIGN_DEFAULTS, campaignEntries, resolveCampaignConfig, type CampaignOptions } from '../campaign/campaign-config.js';
import { runCampaign } from '../campaign/run-campaign.js';
import { DEFAULT_PROTOCOL, protocolNames } from '../kvm/protocols/registry.js';
import { formatCampaignMarkdown, formatCampaignText } from '../campaign/format-campaign.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerCampaignCommand(program: Command): void {
  const d = CAMPAIGN_DEFAULTS;
  program
    .command('campaign')
    .description('run each injectable bug R times until its first finding (or the budget), plus the reference protocol for the same time; table of detection rate and time')
    .option('--bug <name>', `catalog entries (repeatable or comma-separated; default all: ${campaignEntries().map((e) => e.name).join(', ')})`, collect)
    .option('--runs <n>', 'runs per bug, each with its own seed (1..1000)', String(d.runs))
    .option('--budget <seconds>', 'measured time per run before it counts as missed: seconds or with a unit (30, 30s, 2m)', String(d.budgetS))
    .option('--shard <i/n>', 'run only shard i of n (bugs whose catalog index % n == i-1), for CI jobs or machines')
    .option('--seed <n>', 'first seed (run r of catalog entry k uses seed + 1000k + r)', String(d.seed))
    .option('--cost-duration <seconds>', 'seconds per run for cost entries (B18)', String(d.costDurationS))
    .option('--protocol <name>', `protocol variant of every run, bug and reference alike: ${protocolNames().join(', ')} (an entry whose workload names its cure keeps it)`, DEFAULT_PROTOCOL)
    .option('--json', 'print the report as JSON')
    .option('--markdown', 'print the table as Markdown')
    .action(async function campaignAction(raw: CampaignOptions) {
      const config = resolveCampaignConfig(raw);
      const quiet = config.json || config.markdown;
      const notice = quiet ? () => {} : (line: string) => void process.stderr.write(`${line}\n`);
      // First Ctrl-C: stop the run in progress and print the partial table; a second one aborts.
      const stop = new AbortController();
      let presses = 0;
      function onCampaignSigint(): void {
        presses++;
        if (presses > 1) process.exit(130);
        process.stderr.write('interrupted: stopping the campaign after the run in progress (Ctrl-C again to abort without a report)\n');
        stop.abort();
      }
      process.on('SIGINT', onCampaignSigint);
      let report;
      try {
        report = await runCampaign(config, { notice, stop: stop.signal });
      } finally {
        process.off('SIGINT', onCampaignSigint);
      }
      if (config.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else if (config.markdown) process.stdout.write(`${formatCampaignMarkdown(report).join('\n')}\n`);
      else process.stdout.write(`${formatCampaignText(report).join('\n')}\n`);
      process.exitCode = report.exitCode;
    });
}
