/**
 * `gpc-lab verdicts` options, validated at the boundary: raw strings (CLI) or numbers (library)
 * in, a VerdictsConfig out, or a UsageError naming the value and what is allowed. The variant
 * names are checked by runVerdicts once the run's --protocol-module files are loaded
 * (selectVariants), since those add names.
 */
import { UsageError } from '../util/usage-error.js';
import { parseIntegerOption, parseSecondsOption, rejectRepeats, parseListOption, parseShardOption } from '../util/option-parsers.js';
import { resolveStressConfig, WORKLOAD_NAMES, type StressOptions } from '../stress/stress-config.js';
import { resolveCampaignConfig } from '../campaign/campaign-config.js';
import { BUG_CATALOG } from '../bugs/catalog.js';
import { strategyNames } from '../kvm/strategies/registry.js';
import { findProtocol, protocolNames, shippedProtocols } from '../kvm/protocols/registry.js';
import type { ProtocolVariant } from '../kvm/protocols/protocol-variant.js';

export interface VerdictsOptions {
  /** Variant names (comma-separated or a list); default every registered variant, mainline included. */
  protocol?: string | readonly string[];
  /** Files whose default export is a protocol variant (as stress --protocol-module); they join the default list. */
  protocolModule?: string | readonly string[];
  /** Measured seconds per variant run (and per mainline run beside it). */
  budget?: string | number;
  /** This shard of the variant list, "i/n": the variants at list index % n == i - 1. */
  shard?: string;
  seed?: string | number;
  /** Overrides of every run's stress options (each checked as stress checks it). */
  vcpus?: string | number;
  workload?: string | readonly string[];
  bug?: string | readonly string[];
  xenAttach?: string;
  invalRate?: string | number;
  /** Run each campaign catalog switch under each variant instead of the verdict rows. */
  catalog?: boolean;
  json?: boolean;
  markdown?: boolean;
}

/** Stress options every run of the verdicts takes (the overrides above, only those given). */
export type VerdictsStressOverrides = Pick<StressOptions, 'vcpus' | 'workload' | 'bug' | 'xenAttach' | 'invalRate'>;

export interface VerdictsConfig {
  /** The names given with --protocol (empty: every registered variant). */
  readonly protocols: readonly string[];
  readonly protocolModules: readonly string[];
  readonly budgetS: number;
  readonly shard: { readonly index: number; readonly count: number };
  readonly seed: number;
  readonly overrides: VerdictsStressOverrides;
  readonly catalog: boolean;
  readonly json: boolean;
  readonly markdown: boolean;
}

/**
 * 30 s per run: with mainline beside each variant, seven variants (six plus mainline's own row, the
 * workloads each touches) are at most 13 runs of ~31 s, about seven minutes on 2 cores.
 */
export const VERDICTS_DEFAULTS = { budgetS: 30, seed: 1 } as const;



export function resolveVerdictsConfig(input: VerdictsOptions): VerdictsConfig {
  if (input.json === true && input.markdown === true) throw new UsageError('--json and --markdown are two formats of the same report; give one of them');
  const protocols = parseListOption(input.protocol);
  if (input.protocol !== undefined && protocols.length === 0) throw new UsageError(`--protocol must be one or more of ${protocolNames().join(', ')} (comma-separated), got '${[input.protocol].flat().join(',')}'`);
  rejectRepeats('--protocol', protocols);
  const protocolModules = parseListOption(input.protocolModule);
  const overrides: VerdictsStressOverrides = {
    ...(input.vcpus !== undefined ? { vcpus: input.vcpus } : {}),
    ...(input.workload !== undefined ? { workload: input.workload } : {}),
    ...(input.bug !== undefined ? { bug: input.bug } : {}),
    ...(input.xenAttach !== undefined ? { xenAttach: input.xenAttach as StressOptions['xenAttach'] } : {}),
    ...(input.invalRate !== undefined ? { invalRate: input.invalRate } : {}),
  };
  // Checked as stress checks them (same flags, same messages), and the module files exist; with
  // --catalog, --bug names catalog entries, checked as campaign checks them.
  const checked = resolveStressConfig({ ...overrides, ...(input.catalog === true ? { bug: undefined } : {}), protocolModules, duration: 1, seed: 1 });
  if (input.catalog === true && input.bug !== undefined) resolveCampaignConfig({ bug: input.bug });
  return {
    protocols,
    protocolModules: checked.protocolModules,
    budgetS: input.budget === undefined ? VERDICTS_DEFAULTS.budgetS : parseSecondsOption('--budget', input.budget, 3600),
    shard: input.shard === undefined ? { index: 1, count: 1 } : parseShardOption(input.shard),
    seed: input.seed === undefined ? VERDICTS_DEFAULTS.seed : parseIntegerOption('--seed', input.seed, 0, 4_000_000_000),
    overrides,
    catalog: input.catalog === true,
    json: input.json === true,
    markdown: input.markdown === true,
  };
}

/**
 * The variants chosen (before sharding): the --protocol names in their order, or every registered
 * variant (mainline first). Call after the run's protocol modules are loaded.
 */
export function selectVariants(config: VerdictsConfig): ProtocolVariant[] {
  const chosen =
    config.protocols.length === 0
      ? protocolNames().map((n) => findProtocol(n)!)
      : config.protocols.map((name) => {
          const variant = findProtocol(name);
          if (!variant) throw new UsageError(`--protocol must be one or more of ${protocolNames().join(', ')} (comma-separated), got '${name}'`);
          return variant;
        });
  for (const variant of chosen) {
    const problem = invalidVariantMetadata(variant);
    if (problem !== null) throw new UsageError(problem);
  }
  return chosen;
}

/**
 * Why `variant`'s metadata cannot be run (a workload or default strategy no registry knows, an
 * inapplicable switch that is no catalog entry), or null: checked for every chosen variant before
 * any run, so a typo in a variant module costs no run.
 */
export function invalidVariantMetadata(variant: ProtocolVariant): string | null {
  const unknownWorkload = (variant.workloads ?? []).find((w) => !WORKLOAD_NAMES.includes(w));
  if (unknownWorkload !== undefined) return `protocol variant '${variant.name}' names workload '${unknownWorkload}' (workloads: ${WORKLOAD_NAMES.join(', ')})`;
  if (variant.defaultStrategy !== undefined && !strategyNames().includes(variant.defaultStrategy)) {
    return `protocol variant '${variant.name}' names default strategy '${variant.defaultStrategy}' (strategies: ${strategyNames().join(', ')})`;
  }
  const entries = BUG_CATALOG.flatMap((e) => (e.switchName !== '' ? [e.name, e.switchName] : [e.name]));
  const unknownBug = Object.keys(variant.inapplicableBugs ?? {}).find((b) => !entries.includes(b));
  if (unknownBug !== undefined) return `protocol variant '${variant.name}' declares '${unknownBug}' inapplicable, which is no catalog entry or bug switch (gpc-lab bugs lists them)`;
  return null;
}

/** This shard's variants: those at index % n == i - 1 of the chosen list. */
export function shardVariants(config: VerdictsConfig, chosen: readonly ProtocolVariant[]): ProtocolVariant[] {
  return chosen.filter((_, i) => i % config.shard.count === config.shard.index - 1);
}

/** Whether `variant` is a shipped one (its module is src/kvm/protocols/<name>.ts). */
export function isShipped(variant: ProtocolVariant): boolean {
  return shippedProtocols().includes(variant);
}
