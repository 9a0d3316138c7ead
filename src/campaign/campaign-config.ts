/**
 * `gpc-lab campaign` options, validated at the boundary: raw strings (CLI) or numbers (library) in,
 * a CampaignConfig out, or a UsageError naming the value and what is allowed.
 */
import { resolveScheduleConfig } from '../sched/schedule-config.js';
import type { ScheduleName } from '../sched/schedule-kinds.js';
import { DEFAULT_SCHEDULE_DIR } from '../stress/schedule-record.js';
import { UsageError } from '../util/usage-error.js';
import { checkOutputPath } from '../util/output-path.js';
import { parseIntegerOption, parseSecondsOption, rejectRepeats, parseListOption, parseShardOption } from '../util/option-parsers.js';
import { BUG_CATALOG, type BugEntry } from '../bugs/catalog.js';
import { findBugSwitch } from '../kvm/bug-switches.js';
import { DEFAULT_PROTOCOL, parseProtocolOption } from '../kvm/protocols/registry.js';

export interface CampaignOptions {
  /** Catalog names (comma-separated or a list); default: every entry the campaign can run. */
  bug?: string | readonly string[];
  /** Runs per bug, each with its own seed. */
  runs?: string | number;
  /** Time budget per run: seconds of measured time until the first finding ("30s" or "30"). */
  budget?: string | number;
  /** This shard of the matrix, "i/n" (1 <= i <= n): bugs whose catalog index % n == i - 1. */
  shard?: string;
  /** First seed; run r of the bug at catalog index k uses seed + 1000 k + r. */
  seed?: string | number;
  /** Seconds per run for cost entries (no finding expected). */
  costDuration?: string | number;
  /** Protocol variant of every run, bug and reference alike (default mainline); an entry that names its own (a cure) keeps it. */
  protocol?: string;
  json?: boolean;
  markdown?: boolean;
  /** Also write the JSON report (raw results, with provenance) to this file, for `campaign merge`. */
  out?: string;
  /** Who decides which thread runs in every run (`--schedule`; default os). */
  schedule?: string;
  /** pct: the depth d. */
  pctDepth?: string | number;
  /** pct: restart every K steps (0: never). */
  pctEpoch?: string | number;
  /** random/pct: the step budget of each schedule. */
  steps?: string | number;
  /** random/pct: where each finding's schedule file goes (default gpc-lab-schedules). */
  scheduleDir?: string;
}

export interface CampaignConfig {
  /** The entries this shard runs. */
  readonly entries: readonly BugEntry[];
  /** Every entry the campaign chose before sharding (names, catalog order of the choice): the same in every shard. */
  readonly selected: readonly string[];
  readonly runs: number;
  readonly budgetS: number;
  readonly shard: { readonly index: number; readonly count: number };
  readonly seed: number;
  readonly costDurationS: number;
  /** The protocol variant's name (a shipped one). */
  readonly protocol: string;
  readonly json: boolean;
  readonly markdown: boolean;
  /** File the JSON report is written to (checked before any run), or null. */
  readonly out: string | null;
  /** `--schedule`: os (real threads), chaos, random or pct (each attempt one schedule). */
  readonly schedule: ScheduleName;
  readonly pctDepth: number;
  /** pct: restart every this many steps of a schedule (0: never). */
  readonly pctEpoch: number;
  readonly steps: number;
  readonly scheduleDir: string;
}

export const CAMPAIGN_DEFAULTS = { runs: 10, budgetS: 30, seed: 1, costDurationS: 2 } as const;


function parseBudget(raw: string | number): number {
  return parseSecondsOption('--budget', raw, 3600);
}


/** The entries the campaign can run (every catalog entry with a stress workload that reaches it). */
export function campaignEntries(): BugEntry[] {
  return BUG_CATALOG.filter((e) => e.notInCampaign === undefined);
}

export function resolveCampaignConfig(input: CampaignOptions): CampaignConfig {
  const runnable = campaignEntries();
  const names = parseListOption(input.bug);
  rejectRepeats('--bug', names);
  if (input.json === true && input.markdown === true) throw new UsageError('--json and --markdown are two formats of the same report; give one of them');
  const chosen =
    names.length === 0
      ? runnable
      : names.map((name) => {
          const entry = runnable.find((e) => e.name === name) ?? runnable.find((e) => e.switchName !== '' && e.switchName === findBugSwitch(name)?.name);
          if (!entry) {
            const leftOut = BUG_CATALOG.find((e) => e.name === name && e.notInCampaign !== undefined);
            if (leftOut) throw new UsageError(`--bug ${name} is not run by campaigns: ${leftOut.notInCampaign}`);
            throw new UsageError(`--bug must be one of ${runnable.map((e) => e.name).join(', ')}, got '${name}'`);
          }
          return entry;
        });
  const shard = input.shard === undefined ? { index: 1, count: 1 } : parseShardOption(input.shard);
  const entries = chosen.filter((e) => BUG_CATALOG.indexOf(e) % shard.count === shard.index - 1);
  if (input.out !== undefined) checkOutputPath('--out', input.out);
  return {
    entries,
    selected: chosen.map((e) => e.name),
    runs: input.runs === undefined ? CAMPAIGN_DEFAULTS.runs : parseIntegerOption('--runs', input.runs, 1, 1000),
    budgetS: input.budget === undefined ? CAMPAIGN_DEFAULTS.budgetS : parseBudget(input.budget),
    shard,
    seed: input.seed === undefined ? CAMPAIGN_DEFAULTS.seed : parseIntegerOption('--seed', input.seed, 0, 4_000_000_000),
    costDurationS: input.costDuration === undefined ? CAMPAIGN_DEFAULTS.costDurationS : parseSecondsOption('--cost-duration', input.costDuration, 600),
    protocol: parseProtocolOption('--protocol', input.protocol ?? DEFAULT_PROTOCOL).name,
    json: input.json === true,
    markdown: input.markdown === true,
    out: input.out ?? null,
    ...resolveCampaignSchedule(input),
  };
}

function resolveCampaignSchedule(input: CampaignOptions): Pick<CampaignConfig, 'schedule' | 'pctDepth' | 'pctEpoch' | 'steps' | 'scheduleDir'> {
  // The same checks as stress's (--pct-depth needs pct, --steps needs random or pct).
  const s = resolveScheduleConfig({ ...(input.schedule !== undefined ? { schedule: input.schedule } : {}), ...(input.pctDepth !== undefined ? { pctDepth: input.pctDepth } : {}), ...(input.pctEpoch !== undefined ? { pctEpoch: input.pctEpoch } : {}), ...(input.steps !== undefined ? { steps: input.steps } : {}) }, 0);
  if (input.scheduleDir !== undefined && s.kind !== 'random' && s.kind !== 'pct') throw new UsageError(`--schedule-dir needs --schedule random or pct (got --schedule ${s.kind})`);
  return { schedule: s.kind, pctDepth: s.pctDepth, pctEpoch: s.pctEpoch, steps: s.steps, scheduleDir: input.scheduleDir ?? DEFAULT_SCHEDULE_DIR };
}
