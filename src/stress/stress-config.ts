/**
 * `gpc-lab stress` options, validated at the boundary: raw strings from the command line (or
 * numbers from a library caller) in, a complete StressConfig out, or a UsageError that names the
 * value and what is allowed.
 */
import { TEST_RACE_BIT } from '../kvm/test-race.js';
import { resolveScheduleConfig, scheduleFlags, type ScheduleConfig, type ScheduleOptions } from '../sched/schedule-config.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UsageError } from '../util/usage-error.js';
import { parseChoiceOption, parseIntegerOption, parseSecondsOption, rejectRepeats, parseListOption } from '../util/option-parsers.js';
import { STRATEGY_NAMES, type ShippedStrategyName, type StrategyName } from '../kvm/strategies/registry.js';
import { WORKLOAD_NAMES as USER_WORKLOAD_NAMES, workloadMask as userWorkloadMask } from '../kvm/cache-users.js';
import { BUG_SWITCHES, bugMaskFromNames, findBugSwitch } from '../kvm/bug-switches.js';
import { DEFAULT_PROTOCOL, findProtocol, parseProtocolOption } from '../kvm/protocols/registry.js';
import { FIX_SWITCHES, findFixSwitch, fixMaskFromNames } from '../kvm/fix-switches.js';
import { XEN_ATTACH_NAMES, type XenAttachName } from '../kvm/users/xen-attach.js';
import { LEGAL_MEMSLOT_OPS, MEMSLOT_OP_NAMES, type MemslotOpName } from './control-plane.js';
import {
  INVAL_TARGET_NAMES,
  type InvalTargetName,
} from '../kvm/vm-layout.js';

/** The `--workload` names: one per cache user (src/kvm/cache-users.ts). */
export const WORKLOAD_NAMES = USER_WORKLOAD_NAMES;
/** A cache user's workload name: 'steal', 'xen', 'nested' (and any user added to cache-users.ts). */
export type WorkloadName = string;

/** `--retry`, kept as an alias of `--protocol`: the predicate names of before protocol variants. */
export const RETRY_ALIASES = { any: 'mainline', range: 'range-retry' } as const;
export type RetryAlias = keyof typeof RETRY_ALIASES;
const RETRY_ALIAS_NAMES = Object.keys(RETRY_ALIASES) as RetryAlias[];

/**
 * A name a registry may extend at run time (a --strategy-module's strategy, a --protocol-module's
 * variant): the shipped names are offered, any other string is checked when the run starts.
 */
export type ExtensibleName<Shipped extends string> = Shipped | (string & {});

/** What a caller supplies; every field optional (strings as from the CLI, or numbers). */
export interface StressOptions extends ScheduleOptions {
  vcpus?: string | number;
  duration?: string | number;
  seed?: string | number;
  /** The vmentry check of the guest-uses caches (default 'locked'). */
  strategy?: ExtensibleName<ShippedStrategyName>;
  /** MMU-notifier events per second. */
  invalRate?: string | number;
  /** Invalidations in flight at once (1..8). */
  inflight?: string | number;
  /** Memslot updates per second (control plane). */
  memslotRate?: string | number;
  /** Comma-separated or list of memslot operations (MEMSLOT_OP_NAMES; default: the legal ones). */
  memslotOps?: MemslotOpName | readonly MemslotOpName[] | (string & {});
  /** shared_info juggles per second. */
  juggleRate?: string | number;
  /** Userspace event-channel sends per second (evtchn thread). */
  eventRate?: string | number;
  /** Comma-separated or list of: steal, xen, nested (default all). */
  workload?: string | readonly string[];
  traceDepth?: string | number;
  /** Seconds without progress that make a stall. */
  stallTimeout?: string | number;
  /** 'on' (default) or 'off': run without the oracles, to measure their cost. */
  oracles?: 'on' | 'off' | boolean;
  /** Bug switches to turn on (names from `gpc-lab bugs`). */
  bug?: string | readonly string[];
  /** Fix switches to turn on (would-be upstream fixes: src/kvm/fix-switches.ts). */
  fix?: string | readonly string[];
  /** How the VMM attaches Xen shared_info and vcpu_info: 'gpa', 'hva' or 'mixed' (default). */
  xenAttach?: XenAttachName;
  pageSize?: string | number;
  guestSteps?: string | number;
  /** Seconds a single refresh may keep retrying before it is a livelock finding. */
  livelockTimeout?: string | number;
  /** Seconds the memslot updater may wait for in-flight invalidations before it is a livelock finding (updater-starved). */
  updaterTimeout?: string | number;
  lockdep?: boolean;
  /** The protocol variant (`gpc-lab protocols`; default 'mainline'), a shipped one or one of protocolModules'. */
  protocol?: ExtensibleName<'mainline' | 'range-retry' | 'b17-trylock' | 'seed-2021' | 'griffoul-v4'>;
  /** Files (paths or file: URLs) whose default export is a protocol variant, loaded in every thread in this order. */
  protocolModules?: string | readonly string[];
  /** Modules (paths or file: URLs) whose default export is an entry strategy (`--strategy-module`). */
  strategyModules?: string | readonly string[];
  /** Alias of `protocol`: 'any' = mainline, 'range' = range-retry (history B20). Conflicting with `protocol` is an error. */
  retry?: RetryAlias;
  /** What the notifier invalidates: 'mixed' (default) or 'unrelated' (spare pages only, --inflight always in flight: history B20). */
  invalidate?: InvalTargetName;
  /** Stop at the first finding (the report then gives the time to it from the start of the threads). */
  stopOnFinding?: boolean;
  json?: boolean;
}

/** Hooks the tests use, not part of the public options (the CLI's hidden --crash-after). */
export interface StressTestHooks {
  /** vcpu-0 throws after this many loop iterations. */
  crashAfter?: string | number;
  /** TEST ONLY: vcpu-0 and vcpu-1 run the injected two-preemption race (src/kvm/test-race.ts; needs 2+ vCPUs). */
  injectRace?: boolean;
}

export interface StressConfig {
  readonly vcpus: number;
  readonly durationS: number;
  readonly seed: number;
  readonly strategy: StrategyName;
  readonly invalRate: number;
  readonly inflight: number;
  readonly memslotRate: number;
  /** The control plane's operations (src/stress/control-plane.ts). */
  readonly memslotOps: readonly MemslotOpName[];
  readonly juggleRate: number;
  readonly eventRate: number;
  readonly workload: readonly WorkloadName[];
  readonly traceDepth: number;
  readonly stallTimeoutS: number;
  readonly oracles: boolean;
  readonly bugs: readonly string[];
  readonly bugMask: number;
  /** Fix switches on (names) and their mask (VM_FIX_MASK). */
  readonly fixes: readonly string[];
  readonly fixMask: number;
  readonly xenAttach: XenAttachName;
  readonly pageSize: number;
  readonly guestSteps: number;
  readonly livelockTimeoutS: number;
  readonly updaterTimeoutS: number;
  readonly lockdep: boolean;
  /** The protocol variant's name (checked against the registry once protocolModules are loaded: runStress). */
  readonly protocol: string;
  /** file: URLs of the run's protocol modules, in load order. */
  readonly protocolModules: readonly string[];
  /** The entry-strategy modules' file: URLs, loaded by every thread in this order. */
  readonly strategyModules: readonly string[];
  readonly invalidate: InvalTargetName;
  readonly stopOnFinding: boolean;
  readonly json: boolean;
  /** Test hook: vcpu-0 throws after this many iterations; -1 = never. */
  readonly crashAfter: number;
  /** Who decides which thread runs (`--schedule`, src/sched/). */
  readonly schedule: ScheduleConfig;
}

export const STRESS_DEFAULTS = {
  vcpus: 4,
  durationS: 10,
  strategy: 'locked' as StrategyName,
  invalRate: 2000,
  inflight: 1,
  memslotRate: 20,
  juggleRate: 200,
  eventRate: 2000,
  traceDepth: 64,
  stallTimeoutS: 5,
  pageSize: 4096,
  guestSteps: 16,
  livelockTimeoutS: 2,
  updaterTimeoutS: 2,
} as const;

export const MAX_VCPUS = 256;
const MAX_DURATION_S = 86_400;
const MAX_RATE = 1_000_000;

function rate(flag: string, raw: string | number | undefined, fallback: number): number {
  return raw === undefined ? fallback : parseIntegerOption(flag, raw, 0, MAX_RATE);
}


export function workloadMask(workload: readonly WorkloadName[]): number {
  return userWorkloadMask(workload);
}

/** A module option's file: URL (a path is resolved against the working directory); the file must exist. */
function moduleFileUrl(flag: string, what: string, raw: string): string {
  const url = raw.startsWith('file:') ? raw : pathToFileURL(resolve(raw)).href;
  let path = '';
  try {
    path = fileURLToPath(url);
  } catch {
    throw new UsageError(`${flag} must be a file path or a file: URL, got '${raw}'`);
  }
  if (!existsSync(path)) throw new UsageError(`${flag} must name an existing file (a module whose default export is ${what}), got '${raw}'`);
  return url;
}

function protocolModuleUrl(raw: string): string {
  return moduleFileUrl('--protocol-module', 'a protocol variant', raw);
}

function strategyModuleUrl(raw: string): string {
  return moduleFileUrl('--strategy-module', 'an entry strategy', raw);
}

/**
 * `--protocol` (or its alias `--retry`) and `--protocol-module`. A name that is neither shipped
 * nor registered is a usage error here, unless modules are given: runStress checks it again once
 * they are loaded.
 */
function resolveProtocolChoice(input: StressOptions): { protocol: string; protocolModules: string[] } {
  const protocolModules = parseListOption(input.protocolModules).map(protocolModuleUrl);
  const alias = input.retry === undefined ? undefined : RETRY_ALIASES[parseChoiceOption('--retry', input.retry, RETRY_ALIAS_NAMES)];
  if (alias !== undefined && input.protocol !== undefined && input.protocol !== alias) {
    throw new UsageError(`--retry ${input.retry} is --protocol ${alias}: it conflicts with --protocol ${input.protocol} (give one of them)`);
  }
  const protocol = input.protocol ?? alias ?? DEFAULT_PROTOCOL;
  if (protocolModules.length === 0) parseProtocolOption('--protocol', protocol);
  return { protocol, protocolModules };
}

/** The strategy the run's shipped protocol variant names, if it names one (a module's variant is not loaded yet: none). */
function variantDefaultStrategy(input: StressOptions): string | undefined {
  if (input.protocol === undefined || parseListOption(input.protocolModules).length > 0) return undefined;
  return findProtocol(input.protocol)?.defaultStrategy;
}

export function resolveStressConfig(input: StressOptions & StressTestHooks): StressConfig {
  const vcpus = input.vcpus === undefined ? STRESS_DEFAULTS.vcpus : parseIntegerOption('--vcpus', input.vcpus, 1, MAX_VCPUS);
  const durationS = input.duration === undefined ? STRESS_DEFAULTS.durationS : parseSecondsOption('--duration', input.duration, MAX_DURATION_S);
  const seed = input.seed === undefined ? (Math.random() * 4294967296) >>> 0 : parseIntegerOption('--seed', input.seed, 0, 4294967295);
  const strategyModules = parseListOption(input.strategyModules).map(strategyModuleUrl);
  // With strategy modules the name is checked once they are loaded (runStress).
  // No --strategy: the protocol variant's authors' choice (ProtocolVariant.defaultStrategy), else the default.
  const strategyName = input.strategy ?? variantDefaultStrategy(input) ?? STRESS_DEFAULTS.strategy;
  const strategy: StrategyName = strategyModules.length > 0 ? strategyName : parseChoiceOption('--strategy', strategyName, STRATEGY_NAMES);
  const workloadList = parseListOption(input.workload);
  if (input.workload !== undefined && workloadList.length === 0) {
    throw new UsageError(`--workload must be one or more of ${WORKLOAD_NAMES.join(', ')} (comma-separated), got '${[input.workload].flat().join(',')}'`);
  }
  const workload = workloadList.length === 0 ? [...WORKLOAD_NAMES] : workloadList.map((w) => parseChoiceOption('--workload', w, WORKLOAD_NAMES));
  const pageSize = input.pageSize === undefined ? STRESS_DEFAULTS.pageSize : parseIntegerOption('--page-size', input.pageSize, 64, 65536);
  if ((pageSize & (pageSize - 1)) !== 0) throw new UsageError(`--page-size must be a power of two from 64 to 65536, got '${String(input.pageSize)}'`);
  if (pageSize < 4 * vcpus) throw new UsageError(`--page-size ${pageSize} is too small for ${vcpus} vCPUs (shared_info needs 4 bytes per vCPU: at least ${4 * vcpus})`);
  const memslotOpList = parseListOption(input.memslotOps);
  if (input.memslotOps !== undefined && memslotOpList.length === 0) {
    throw new UsageError(`--memslot-ops must be one or more of ${MEMSLOT_OP_NAMES.join(', ')} (comma-separated), got '${[input.memslotOps].flat().join(',')}'`);
  }
  const memslotOps = memslotOpList.length === 0 ? [...LEGAL_MEMSLOT_OPS] : [...new Set(memslotOpList.map((o) => parseChoiceOption('--memslot-ops', o, MEMSLOT_OP_NAMES)))];
  const oraclesRaw = input.oracles ?? 'on';
  const oracles = typeof oraclesRaw === 'boolean' ? oraclesRaw : parseChoiceOption('--oracles', oraclesRaw, ['on', 'off'] as const) === 'on';
  const bugs = parseListOption(input.bug);
  rejectRepeats('--bug', bugs);
  let bugMask = 0;
  try {
    bugMask = bugMaskFromNames(bugs);
  } catch {
    const unknown = bugs.find((b) => findBugSwitch(b) === undefined);
    throw new UsageError(`--bug must be one of ${BUG_SWITCHES.map((b) => b.name).join(', ')}, got '${unknown}'`);
  }
  const fixes = [...new Set(parseListOption(input.fix))];
  const unknownFix = fixes.find((f) => findFixSwitch(f) === undefined);
  if (unknownFix !== undefined) throw new UsageError(`--fix must be one of ${FIX_SWITCHES.map((f) => f.name).join(', ')}, got '${unknownFix}'`);
  return {
    vcpus,
    durationS,
    seed,
    strategy,
    strategyModules,
    invalRate: rate('--inval-rate', input.invalRate, STRESS_DEFAULTS.invalRate),
    inflight: input.inflight === undefined ? STRESS_DEFAULTS.inflight : parseIntegerOption('--inflight', input.inflight, 1, 8),
    memslotRate: rate('--memslot-rate', input.memslotRate, STRESS_DEFAULTS.memslotRate),
    memslotOps,
    juggleRate: rate('--juggle-rate', input.juggleRate, STRESS_DEFAULTS.juggleRate),
    eventRate: rate('--event-rate', input.eventRate, STRESS_DEFAULTS.eventRate),
    workload,
    traceDepth: input.traceDepth === undefined ? STRESS_DEFAULTS.traceDepth : parseIntegerOption('--trace-depth', input.traceDepth, 0, 4096),
    stallTimeoutS: input.stallTimeout === undefined ? STRESS_DEFAULTS.stallTimeoutS : parseSecondsOption('--stall-timeout', input.stallTimeout, 3600),
    oracles,
    bugs,
    bugMask: input.injectRace === true ? bugMask | TEST_RACE_BIT : bugMask,
    fixes,
    fixMask: fixMaskFromNames(fixes),
    xenAttach: parseChoiceOption('--xen-attach', input.xenAttach ?? 'mixed', XEN_ATTACH_NAMES),
    pageSize,
    guestSteps: input.guestSteps === undefined ? STRESS_DEFAULTS.guestSteps : parseIntegerOption('--guest-steps', input.guestSteps, 1, 10_000),
    livelockTimeoutS: input.livelockTimeout === undefined ? STRESS_DEFAULTS.livelockTimeoutS : parseSecondsOption('--livelock-timeout', input.livelockTimeout, 3600),
    updaterTimeoutS: input.updaterTimeout === undefined ? STRESS_DEFAULTS.updaterTimeoutS : parseSecondsOption('--updater-timeout', input.updaterTimeout, 3600),
    lockdep: input.lockdep === true,
    ...resolveProtocolChoice(input),
    invalidate: parseChoiceOption('--invalidate', input.invalidate ?? 'mixed', INVAL_TARGET_NAMES),
    stopOnFinding: input.stopOnFinding === true,
    json: input.json === true,
    crashAfter: input.crashAfter === undefined ? -1 : parseIntegerOption('--crash-after', input.crashAfter, 1, 1 << 30),
    schedule: resolveScheduleConfig(input, seed),
  };
}

/** The command line that re-runs this configuration (same seed). */
export function rerunCommand(config: StressConfig): string {
  const parts = [
    'npx gpc-lab stress',
    `--vcpus ${config.vcpus}`,
    `--duration ${config.durationS}`,
    `--seed ${config.seed}`,
    `--strategy ${config.strategy}`,
  ];
  const d = STRESS_DEFAULTS;
  if (config.invalRate !== d.invalRate) parts.push(`--inval-rate ${config.invalRate}`);
  if (config.inflight !== d.inflight) parts.push(`--inflight ${config.inflight}`);
  if (config.memslotRate !== d.memslotRate) parts.push(`--memslot-rate ${config.memslotRate}`);
  if (config.memslotOps.join(',') !== LEGAL_MEMSLOT_OPS.join(',')) parts.push(`--memslot-ops ${config.memslotOps.join(',')}`);
  if (config.juggleRate !== d.juggleRate) parts.push(`--juggle-rate ${config.juggleRate}`);
  if (config.eventRate !== d.eventRate) parts.push(`--event-rate ${config.eventRate}`);
  if (config.workload.length !== WORKLOAD_NAMES.length) parts.push(`--workload ${config.workload.join(',')}`);
  if (config.pageSize !== d.pageSize) parts.push(`--page-size ${config.pageSize}`);
  if (config.guestSteps !== d.guestSteps) parts.push(`--guest-steps ${config.guestSteps}`);
  if (config.stallTimeoutS !== d.stallTimeoutS) parts.push(`--stall-timeout ${config.stallTimeoutS}`);
  if (config.livelockTimeoutS !== d.livelockTimeoutS) parts.push(`--livelock-timeout ${config.livelockTimeoutS}`);
  if (config.updaterTimeoutS !== d.updaterTimeoutS) parts.push(`--updater-timeout ${config.updaterTimeoutS}`);
  if (config.traceDepth !== d.traceDepth) parts.push(`--trace-depth ${config.traceDepth}`);
  if (!config.oracles) parts.push('--oracles off');
  if (config.protocol !== DEFAULT_PROTOCOL) parts.push(`--protocol ${config.protocol}`);
  for (const url of config.protocolModules) parts.push(`--protocol-module ${fileURLToPath(url)}`);
  for (const url of config.strategyModules) parts.push(`--strategy-module ${fileURLToPath(url)}`);
  if (config.invalidate !== 'mixed') parts.push(`--invalidate ${config.invalidate}`);
  for (const bug of config.bugs) parts.push(`--bug ${bug}`);
  for (const fix of config.fixes) parts.push(`--fix ${fix}`);
  if (config.xenAttach !== 'mixed') parts.push(`--xen-attach ${config.xenAttach}`);
  if (config.lockdep) parts.push('--lockdep');
  if (config.stopOnFinding) parts.push('--stop-on-finding');
  if ((config.bugMask & TEST_RACE_BIT) !== 0) parts.push('--inject-race');
  parts.push(...scheduleFlags(config.schedule));
  return parts.join(' ');
}

/**
 * The options that resolve to `config` again (resolveStressConfig(stressOptionsOf(c)) has c's
 * values): what a schedule file stores, so a replay re-checks them like any input. The schedule
 * part is left out (a replay follows the file's decisions); stopOnFinding and json too.
 */
export function stressOptionsOf(config: StressConfig): StressOptions & StressTestHooks {
  return {
    ...((config.bugMask & TEST_RACE_BIT) !== 0 ? { injectRace: true } : {}),
    vcpus: config.vcpus,
    duration: config.durationS,
    seed: config.seed,
    strategy: config.strategy,
    invalRate: config.invalRate,
    inflight: config.inflight,
    memslotRate: config.memslotRate,
    memslotOps: [...config.memslotOps],
    juggleRate: config.juggleRate,
    eventRate: config.eventRate,
    workload: [...config.workload],
    traceDepth: config.traceDepth,
    stallTimeout: config.stallTimeoutS,
    oracles: config.oracles,
    bug: [...config.bugs],
    fix: [...config.fixes],
    xenAttach: config.xenAttach,
    pageSize: config.pageSize,
    guestSteps: config.guestSteps,
    livelockTimeout: config.livelockTimeoutS,
    updaterTimeout: config.updaterTimeoutS,
    lockdep: config.lockdep,
    protocol: config.protocol,
    protocolModules: config.protocolModules.map((u) => fileURLToPath(u)),
    strategyModules: config.strategyModules.map((u) => fileURLToPath(u)),
    invalidate: config.invalidate,
  };
}
