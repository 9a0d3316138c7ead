/**
 * `gpc-lab campaign`: how fast and how reliably the oracles catch each injectable bug, against the
 * reference protocol for the same time. Exit: 0 every bug caught in every run and the reference
 * clean, 1 otherwise, 2 usage error.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CampaignReport } from '../campaign/campaign-report.js';
import { asCampaignReport, mergeCampaignReports } from '../campaign/merge-campaign.js';
import { checkOutputPath } from '../util/output-path.js';
import { UsageError } from '../util/usage-error.js';
import { CAMPAIGN_DEFAULTS, campaignEntries, resolveCampaignConfig, type CampaignOptions } from '../campaign/campaign-config.js';
import { runCampaign } from '../campaign/run-campaign.js';
import { DEFAULT_PROTOCOL, protocolNames } from '../kvm/protocols/registry.js';
import { formatCampaignMarkdown, formatCampaignText } from '../campaign/format-campaign.js';

const CAMPAIGN_HELP_AFTER = `
Across machines (CI): each job runs one shard and writes its raw results; one job merges them.
  gpc-lab campaign --shard 1/4 --out shard-1.json        # ... through --shard 4/4
  gpc-lab campaign merge shard-*.json --markdown          # the same table as one unsharded run
A merge refuses shards of different versions, built code or configurations, and marks itself
partial (exit 1) when a shard is missing, or given twice with different results.
.github/workflows/campaign.yml does this on GitHub Actions.`;

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerCampaignCommand(program: Command): void {
  const d = CAMPAIGN_DEFAULTS;
  const campaign = program
    .command('campaign')
    .enablePositionalOptions()
    .description('run each injectable bug R times until its first finding (or the budget), plus the reference protocol for the same time; table of detection rate and time')
    .option('--bug <name>', `catalog entries (repeatable or comma-separated; default all: ${campaignEntries().map((e) => e.name).join(', ')})`, collect)
    .option('--runs <n>', 'runs per bug, each with its own seed (1..1000)', String(d.runs))
    .option('--budget <seconds>', 'measured time per run before it counts as missed: seconds or with a unit (30, 30s, 2m)', String(d.budgetS))
    .option('--shard <i/n>', 'run only shard i of n (bugs whose catalog index % n == i-1), for CI jobs or machines')
    .option('--seed <n>', 'first seed (run r of catalog entry k uses seed + 1000k + r)', String(d.seed))
    .option('--cost-duration <seconds>', 'seconds per run for cost entries (B18)', String(d.costDurationS))
    .option('--protocol <name>', `protocol variant of every run, bug and reference alike: ${protocolNames().join(', ')} (an entry whose workload names its cure keeps it)`, DEFAULT_PROTOCOL)
    .option('--schedule <os|chaos|random|pct>', 'who decides which thread runs in every run: os (real threads, the default), chaos, random or pct (each attempt is one schedule; the report gives schedules to the first finding, and each finding\'s schedule file is saved and replayed)', 'os')
    .option('--pct-depth <d>', 'pct: the bug depth targeted (default 3)')
    .option('--pct-epoch <K>', 'pct: restart PCT every K steps of a schedule (default 0: never)')
    .option('--steps <n>', 'random/pct: the step budget of each schedule (default 200000)')
    .option('--schedule-dir <dir>', 'random/pct: where the findings\' schedule files go (default gpc-lab-schedules)')
    .option('--json', 'print the report as JSON')
    .option('--markdown', 'print the table as Markdown')
    .option('--out <file>', 'also write the JSON report (raw results with their provenance) to this file, for `campaign merge`')
    .addHelpText('after', CAMPAIGN_HELP_AFTER)
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
      if (config.out !== null) writeFileSync(config.out, `${JSON.stringify(report, null, 2)}\n`);
      printCampaignReport(report, config);
      process.exitCode = report.exitCode;
    });
  campaign
    .command('merge')
    .description('merge the JSON reports of one campaign\'s shards (campaign --shard i/n --out FILE) into one table')
    .argument('<files...>', 'shard reports (or earlier merges), in any order')
    .option('--json', 'print the merged report as JSON')
    .option('--markdown', 'print the table as Markdown (e.g. for a CI job summary)')
    .option('--out <file>', 'also write the merged JSON report to this file')
    .action(function campaignMergeAction(files: string[], options: { json?: boolean; markdown?: boolean; out?: string }) {
      if (options.json && options.markdown) throw new UsageError('--json and --markdown are two formats of the same report; give one of them');
      if (options.out !== undefined) checkOutputPath('--out', options.out);
      const shards = files.map((file) => ({ file, report: asCampaignReport(file, readJsonFile(file)) }));
      const report = mergeCampaignReports(shards);
      if (options.out !== undefined) writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
      printCampaignReport(report, { json: options.json === true, markdown: options.markdown === true });
      process.exitCode = report.exitCode;
    });
}

function printCampaignReport(report: CampaignReport, format: { json: boolean; markdown: boolean }): void {
  if (format.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else if (format.markdown) process.stdout.write(`${formatCampaignMarkdown(report).join('\n')}\n`);
  else process.stdout.write(`${formatCampaignText(report).join('\n')}\n`);
}

function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(`${file} is not JSON`);
  }
}
