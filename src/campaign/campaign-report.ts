/** The typed result of `gpc-lab campaign` (what `--json` prints and `runCampaign` returns). */
import type { ReplayVerdict } from '../replay/run-replay.js';
import type { JsonEnvelope } from '../util/json-envelope.js';
import type { BugKind } from '../bugs/catalog.js';
import type { CampaignProvenance } from './campaign-provenance.js';

/** One run of one bug: attempts until the first finding or the budget. */
export interface CampaignRun {
  seed: number;
  detected: boolean;
  /** Seconds of measured time (threads running, start-up not counted) until the first finding, summed over attempts; the time spent if not detected. */
  timeS: number;
  /** The property of the first finding, or null. */
  property: string | null;
  attempts: number;
  /** Findings in the run that found it (all properties). */
  findings: number;
  vmentries: number;
  /** The command that re-runs the attempt that found it (stops at the first finding). */
  rerun: string | null;
  /** The protocol variant it ran (`--protocol`). */
  protocol: string;
  internalErrors: string[];
  /** random/pct: the finding's schedule file, and what `gpc-lab replay` of it said. */
  scheduleFile?: string;
  replayed?: ReplayVerdict;
}

/** Cost figures of one configuration (B18): per second of measured time. */
export interface CostFigures {
  seconds: number;
  /** Runs pooled (interleaved with the other side's). */
  runs: number;
  fastPathTrylockFailsPerS: number;
  /** The lowest and highest run's figure: the run-to-run spread. */
  fastPathTrylockFailsPerSRange: [number, number];
  hookUsPerInvalidation: number;
  hookUsPerInvalidationRange: [number, number];
  invalidationsPerS: number;
  findings: number;
}

export interface CampaignRow {
  name: string;
  switchName: string;
  history: string;
  source: string;
  kind: BugKind;
  expect: string[];
  runs: CampaignRun[];
  detected: number;
  /** Median / max time to first finding over the detected runs (seconds), null if none. */
  medianS: number | null;
  maxS: number | null;
  /** Property -> runs it caught first. */
  caughtBy: Record<string, number>;
  /** Stress runs (attempts) per second of wall time, and vmentries per second of measured time. */
  runsPerS: number;
  vmentriesPerS: number;
  /** The same workload without the switch (or with the cure), for the same measured time. */
  /** The reference's runs; under random/pct `strategies` names the entry checks each schedule ran with (runs = schedules x checks). */
  reference: { seconds: number; runs: number; findings: number; properties: string[]; commands: string[]; protocol: string; strategies?: string[] };
  /** Cost entries: the switch's figures and the reference's. */
  cost?: { bug: CostFigures; reference: CostFigures };
  slowBecause?: string;
  /** True if this row meets its expectation (all runs detected and a clean reference, or a clean cost run). */
  ok: boolean;
  wallS: number;
}

export interface CampaignReport extends JsonEnvelope<'campaign'> {
  runs: number;
  budgetS: number;
  /** "i/n" for one shard, "1,2/4" for a merge of shards 1 and 2 of 4. */
  shard: string;
  /** The shard indices (1-based) these rows come from, ascending, and how many shards the campaign has. */
  shardsCovered: number[];
  shardCount: number;
  /** Version, commit, model and configuration hashes, hosts: what `campaign merge` checks. */
  provenance: CampaignProvenance;
  /** Names of every entry of the whole campaign (all shards), in catalog order. */
  selected: string[];
  seed: number;
  /** The protocol variant of the runs (`--protocol`); entries whose workload names one (a cure) use theirs. */
  protocol: string;
  /** Who decided which thread ran (`--schedule`): os, chaos, random or pct (each attempt one schedule); absent in reports from before schedules (os). */
  schedule?: string;
  environment: Record<string, unknown>;
  rows: CampaignRow[];
  /** Reference findings summed over rows (must be 0). */
  referenceFindings: number;
  wallS: number;
  /** 'partial': a merge that lacks shards, or has one twice with different results, or an interrupted shard. */
  verdict: 'ok' | 'missed' | 'partial';
  exitCode: number;
  /** Ctrl-C stopped it: `rows` holds only the bugs whose runs all finished. */
  interrupted: boolean;
  notes: string[];
}
