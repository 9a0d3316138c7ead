/**
 * Where a campaign's results come from, so shards run on different machines can be merged only
 * when they ran the same model on the same configuration: the tool's version, the git commit (if
 * run from a clone), a hash of the built code, a hash of the configuration every shard shares (the
 * unsharded selection, runs, budget, seeds, protocol; not the shard index), and the host.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { availableParallelism } from 'node:os';
import { builtCodeHash, gitCommit, packageVersion } from '../util/package-info.js';
import type { CampaignConfig } from './campaign-config.js';

export interface CampaignHost {
  hostname: string;
  platform: string;
  arch: string;
  cpus: number;
  node: string;
}

export interface CampaignProvenance {
  toolVersion: string;
  /** HEAD of the clone that ran it, or null. */
  gitCommit: string | null;
  /** sha256 prefix of the built code (dist/*.js). */
  modelHash: string;
  /** sha256 prefix of the configuration every shard of this campaign shares. */
  configHash: string;
  /** The machines that ran it (one per shard; a merge lists each once). */
  hosts: CampaignHost[];
}

/** What every shard of one campaign has in common (the shard index is left out). */
export function sharedConfiguration(config: CampaignConfig): Record<string, unknown> {
  return {
    selected: config.selected,
    runs: config.runs,
    budgetS: config.budgetS,
    seed: config.seed,
    costDurationS: config.costDurationS,
    protocol: config.protocol,
    shardCount: config.shard.count,
    // Shards under other schedules are not one campaign; os campaigns keep their earlier hash.
    ...(config.schedule !== 'os' ? { schedule: config.schedule, pctDepth: config.pctDepth, ...(config.pctEpoch > 0 ? { pctEpoch: config.pctEpoch } : {}), steps: config.steps } : {}),
  };
}

export function configurationHash(config: CampaignConfig): string {
  return createHash('sha256').update(JSON.stringify(sharedConfiguration(config))).digest('hex').slice(0, 16);
}

export function thisHost(): CampaignHost {
  return { hostname: hostname(), platform: process.platform, arch: process.arch, cpus: availableParallelism(), node: process.version };
}

export function campaignProvenance(config: CampaignConfig): CampaignProvenance {
  return { toolVersion: packageVersion(), gitCommit: gitCommit(), modelHash: builtCodeHash(), configHash: configurationHash(config), hosts: [thisHost()] };
}
