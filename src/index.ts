/**
 * gpc-lab's library API. A hand-written export list: what is here is public and typed.
 */

// Locks on SharedArrayBuffer + Atomics (src/sync).
export { LOCK_BLOCK_INTS } from './sync/lock-block.js';
export { LockClass, lockClassName } from './sync/lock-classes.js';
export {
  rwlockInit,
  readLock,
  readLockIrq,
  readTryLock,
  readUnlock,
  writeLock,
  writeTryLock,
  writeUnlock,
  rwlockSnapshot,
} from './sync/rwlock.js';
export { mutexInit, mutexLock, mutexTryLock, mutexUnlock } from './sync/mutex.js';
export { spinLockInit, spinLock, spinTryLock, spinUnlock } from './sync/spinlock.js';
export {
  LockdepError,
  assertHeld,
  createLockdepBuffer,
  lockdepEnable,
  lockdepDisable,
  readLockdepFindings,
} from './sync/lockdep.js';

// Running threads (src/harness).
export { runThreads } from './harness/pool.js';
export { runTimedJob } from './harness/timed-job.js';
export { RunControl, StopReason, ThreadState, installSigintStop } from './harness/run-control.js';
export { defineThreadTask } from './harness/thread-task.js';
export { runBatchBench } from './harness/batch-timer.js';
export { Random } from './util/random.js';

// Bad input (src/util): what stress(), runTorture's config and the other option resolvers throw.
export { UsageError } from './util/usage-error.js';
export { parseChoiceOption, parseIntegerOption, parseSecondsOption } from './util/option-parsers.js';

// Lock torture (gpc-lab torture).
export { parseTortureOptions } from './torture/config.js';
export { runTorture } from './torture/runner.js';
export { formatTortureReport } from './torture/report.js';

export type { RwlockSnapshot } from './sync/rwlock.js';
export type { HeldMode, LockdepFinding } from './sync/lockdep.js';
export type { ThreadTask, ThreadOutcome, ThreadsRun, RunThreadsOptions } from './harness/pool.js';
export type { ThreadContext } from './harness/thread-task.js';
export type { TimedJob, TimedJobOptions } from './harness/timed-job.js';
export type { BatchStats, BatchVariant, BatchPlan } from './harness/batch-timer.js';
export type { TortureConfig, TortureOptionsInput } from './torture/config.js';
export type { TortureReport, TortureVerdict } from './torture/report.js';

// The gfn_to_pfn_cache model and `gpc-lab stress` (src/kvm, src/stress).
export { stress } from './stress/stress.js';
export { resolveStressConfig, rerunCommand, STRESS_DEFAULTS, WORKLOAD_NAMES } from './stress/stress-config.js';
export { runStress } from './stress/run-stress.js';
export { formatStressReport } from './stress/format-report.js';
export { buildVm } from './stress/build-vm.js';
export { STRATEGY_NAMES, strategyNames, registerStrategy } from './kvm/strategies/registry.js';
export type { EntryStrategy, StrategyRunFacts } from './kvm/strategies/entry-strategy.js';
export { BUG_SWITCHES, bugMaskFromNames } from './kvm/bug-switches.js';
export { shippedProtocols, DEFAULT_PROTOCOL, findProtocol, protocolNames, protocolId, registerProtocol, resolveProtocol } from './kvm/protocols/registry.js';
export { describeProtocol, PROTOCOL_STEP_NAMES } from './kvm/protocols/protocol-variant.js';
export { PROPERTIES } from './oracle/properties.js';
export type { StressOptions, StressConfig, WorkloadName } from './stress/stress-config.js';
export type { StressRunOptions } from './stress/run-stress.js';
export type { StressReport, StressFinding, InterleavingEvent, StressThreadRow, StressTotals, PropertyRow } from './stress/stress-report.js';
export type { VmConfig, BuiltVm } from './stress/build-vm.js';
export type { StrategyName } from './kvm/strategies/registry.js';
export type { BugSwitchInfo } from './kvm/bug-switches.js';
export type { PropertyInfo, PropertySpec, FindingDetails, DetailValue } from './trace/property.js';
export type { ProtocolVariant, ProtocolSteps, ProtocolStepName, ProtocolDescription, MemslotUpdateHooks } from './kvm/protocols/protocol-variant.js';

// Injectable bugs and `gpc-lab campaign` (src/bugs, src/campaign).
export { BUG_CATALOG } from './bugs/catalog.js';
export { listBugs } from './bugs/format-bugs.js';
export { resolveCampaignConfig, campaignEntries, CAMPAIGN_DEFAULTS } from './campaign/campaign-config.js';
export { runCampaign } from './campaign/run-campaign.js';
export { formatCampaignText, formatCampaignMarkdown } from './campaign/format-campaign.js';
export type { BugEntry, BugKind } from './bugs/catalog.js';
export type { BugListing } from './bugs/format-bugs.js';
export type { CampaignOptions, CampaignConfig } from './campaign/campaign-config.js';
export type { CampaignRunOptions } from './campaign/run-campaign.js';
export type { CampaignReport, CampaignRow, CampaignRun, CostFigures } from './campaign/campaign-report.js';
export type { FirstFinding } from './stress/stress-report.js';
