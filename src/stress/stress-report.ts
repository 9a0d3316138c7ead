/** The typed result of `gpc-lab stress` (what `--json` prints and `runStress` returns). */
import type { JsonEnvelope } from '../util/json-envelope.js';
import type { PathRow } from './path-coverage.js';
import type { LatencySummary } from '../harness/histogram.js';
import type { ProtocolDescription } from '../kvm/protocols/protocol-variant.js';
import type { DataLossReport } from './data-loss-report.js';
import type { ScheduleReport } from './scheduled-run.js';

export interface PropertyRow {
  name: string;
  kind: 'safety' | 'liveness';
  description: string;
  checks: number;
  findings: number;
}

export interface StressThreadRow {
  name: string;
  role: string;
  status: 'done' | 'failed' | 'killed';
  error?: string;
  vmentries: number;
  entryCancels: number;
  guestSteps: number;
  kickExits: number;
  refreshes: number;
  refreshRetries: number;
  maxRetries: number;
  refreshFailures: number;
  checksOk: number;
  checksFailed: number;
  invalidations: number;
  evictions: number;
  evictionWaits: number;
  eventsSent: number;
  eventsDropped: number;
  juggles: number;
}

/** One gpc's own counters (kept in the gpc table, per cache). */
export interface CacheRow {
  name: string;
  refreshes: number;
  retries: number;
  maxRetries: number;
  refreshFailures: number;
  /** Times an invalidation cleared valid. */
  invalidated: number;
}

export interface StressFinding {
  property: string;
  /** The thread that detected it ("vcpu-1", "notifier", "main" for the end-of-run checks). */
  thread: string;
  /** The cache it is about ("gpc 3 (steal-time vcpu-2)"); absent when none. */
  cache?: string;
  /** The guest physical address and its gfn it is about; absent when none. */
  gpa?: number;
  gfn?: number;
  /** The host page it is about; absent when none. */
  pfn?: number;
  /** The property's own fields, by name (each property module's `fields` says what they mean); absent values are left out. */
  details: Record<string, number | string | boolean>;
  message: string;
  /** The steps that led to it, in global order, trimmed to its cache, page and vCPU plus each thread's last steps; identical repeats folded; the last is its FINDING. */
  interleaving: InterleavingEvent[];
  /** The command that re-runs this configuration and stops at the first finding (real threads: it replays the workload, not the schedule). */
  rerun: string;
  /** Recorded findings identical to this one (same property, thread, subject and message), folded into it: how many in all. */
  repeats?: number;
}

/** One flight-recorder event, its values named by the step table (src/trace/trace-steps.ts). */
export interface InterleavingEvent {
  /** Global order of all threads' events (the text's "#N"). */
  order: number;
  thread: string;
  /** The step's name ("refresh-install(valid=1)", "FINDING"). */
  step: string;
  /** The gpc index; absent when the step names none. */
  cache?: number;
  gfn?: number;
  pfn?: number;
  /** mmu_invalidate_seq, mn_active_invalidate_count and the memslot generation when it was logged. */
  seq: number;
  count: number;
  generation: number;
  /** The step's other values by label ("retries", "vcpu", "requests", "kind", "property"...). */
  args: Record<string, number | string | boolean>;
  /** Identical events of the same thread folded into this one: how many in all, and the last one's order. */
  repeats?: number;
  lastOrder?: number;
}

/** The first finding of the run and when it came. */
export interface FirstFinding {
  property: string;
  /** Seconds from the start barrier (threads running; start-up not counted). */
  atS: number;
  /** False if only the end-of-run oracles saw it (atS is then the whole measured window). */
  duringRun: boolean;
}

export interface StressTotals {
  vmentries: number;
  guestSteps: number;
  entryChecks: number;
  checks: number;
  refreshes: number;
  refreshRetries: number;
  invalidations: number;
  invalidationsThatCleared: number;
  mmEvents: number;
  pagesFreed: number;
  windowUnmaps: number;
  evictions: number;
  evictionWaits: number;
  memslotUpdates: number;
  memslotMoves: number;
  memslotMovesSkipped: number;
  /** Legal memslot operations done (docs/UPSTREAM-SPEC.md 3.1): CREATE, DELETE (two swaps each), FLAGS_ONLY; dummy-slot toggles are among the creates/deletes too. */
  memslotCreates: number;
  memslotDeletes: number;
  memslotFlagsOnly: number;
  /** Illegal re-points of an existing slot's hva (`--memslot-ops repoint-hva`), and updates kvm_set_memory_region rejected. */
  memslotRepointsIllegal: number;
  memslotRejected: number;
  /** kvm_swap_active_memslots calls (publishes; a DELETE or MOVE makes two). */
  memslotSwaps: number;
  /** Publishes that found mn_active_invalidate_count raised and waited for it, and how long (ms: total, longest). */
  memslotCountWaits: number;
  memslotCountWaitMs: number;
  memslotCountWaitMaxMs: number;
  /** Of those waits, the ones longer than --updater-timeout (each a livelock finding, "updater-starved"). */
  memslotCountWaitsStarved: number;
  juggles: number;
  eventsSent: number;
  eventsDropped: number;
  eventsConsumed: number;
  eventsPendingAtEnd: number;
  slowPathSends: number;
  /** Events the irq-context fast path delivered (irqfd_wakeup or xen_timer_callback -> kvm_xen_set_evtchn_fast). */
  eventsFromIrq: number;
  /** Irq-context events deferred (-EWOULDBLOCK) and delivered from process context (irqfd work item, or the vCPU's timer injection). */
  eventsDeferred: number;
  /** Deliveries whose vcpu_info failed its check: the selector went to the vCPU's kernel-side copy. */
  vcpuInfoFallbacks: number;
  /** vcpu_info re-registrations at another offset of its page (KVM_XEN_VCPU_ATTR_TYPE_VCPU_INFO), and those whose bits were carried over at a later exit (no memslot translated the page). */
  vcpuInfoMoves: number;
  vcpuInfoLateCarries: number;
  posted: number;
  nestedConsumed: number;
  postedPendingAtEnd: number;
  stealWrites: number;
  /** Xen runstate areas published, those through both caches (page-crossing), atomic give-ups (trylock / check), gpc2 re-activations. */
  runstateUpdates: number;
  runstateSplitUpdates: number;
  runstateTrylockGiveUps: number;
  runstateCheckGiveUps: number;
  runstateGpc2Activations: number;
  /** dwmw2-range-2024: refresh rounds that waited for an invalidation covering the uhva (gpc_wait_for_invalidations), and range_end clears of a refresh in flight (needs_invalidation). 0 elsewhere. */
  gpcInvalidationWaits: number;
  gpcInflightInvalidations: number;
  /** itazuri-gmem-rfc2: guest_memfd invalidations (punch hole, conversion). 0 elsewhere. */
  gmemInvalidations: number;
  getNestedStatePages: number;
  /** KVM's own accesses to the nested pages through khva (protocols seed-2021 / griffoul-v4), those on a page vmcs02 did not hold, and L2 -> L1 exits with L1's VMRESUME. */
  nestedHostAccesses: number;
  nestedHostPfnMismatches: number;
  nestedL1Vmexits: number;
  /** vmentries whose guest-uses translation had an old generation but was still right (not stale). */
  oldGenerationEntries: number;
  /** Irq-context event-channel fast paths whose read_trylock failed (history B17/B18 fallbacks). */
  fastPathTrylockFails: number;
  /** Time in the notifier's gpc hook, summed over all invalidations (µs). */
  invalidationHookUs: number;
  /** The most retries one refresh needed. */
  maxRefreshRetries: number;
  /** Xen shared_info / vcpu_info attachments by GPA and by HVA (--xen-attach), and of the HVA ones, shared_info at the overlay page (outside every memslot). */
  xenAttachGpa: number;
  xenAttachHva: number;
  xenAttachOverlay: number;
  /** Invalidations whose range hit no memslot: count++/count-- only, no seq (docs/UPSTREAM-SPEC.md 1.3). */
  invalidationsOutsideMemslots: number;
  /** Refresh attempts whose unlocked window saw an invalidation end, and of those the ones installed with no seq moved (S1 hva-seq-miss). */
  refreshInvalidationsInWindow: number;
  refreshSeqlessInstalls: number;
}

export interface StressReport extends JsonEnvelope<'stress'> {
  /** 'unchecked': the run ended normally with --oracles off (exit 0; nothing was looked for). */
  verdict: 'clean' | 'unchecked' | 'findings' | 'interrupted' | 'internal-error';
  exitCode: number;
  seed: number;

  /** The command line that re-runs this configuration (same seed). */
  rerun: string;
  stopReason: string;
  /** The protocol variant that ran (`--protocol`): name, summary, source, and the steps it replaces with their sources. */
  protocol: ProtocolDescription;
  config: Record<string, unknown>;
  environment: Record<string, unknown>;
  /** Measured window (from the start barrier to the stop), seconds. */
  elapsedS: number;
  properties: PropertyRow[];
  threads: StressThreadRow[];
  caches: CacheRow[];
  totals: StressTotals;
  /** Mainline's paths with their counts: which ran, which were enabled (src/stress/path-coverage.ts). */
  paths: PathRow[];
  /** Per second over the measured window. */
  rates: { vmentries: number; checks: number; invalidations: number; refreshes: number; guestSteps: number; memslotUpdates: number; juggles: number; eventsSent: number };
  latencyUs: { refresh: LatencySummary; evictionWait: LatencySummary };
  peakRssMiB: number;
  /** Resident memory once a second during the measured window (MiB). */
  rssSamplesMiB: number[];
  findingsTotal: number;
  /** The first finding (by global trace order) and when it came, or null. */
  firstFinding: FirstFinding | null;
  findings: StressFinding[];
  stall?: string[];
  /** Who decided which thread ran (`--schedule`), and what the scheduler did (random/pct/replay: steps, handovers, the trace hash, a divergence or deadlock). */
  schedule: ScheduleReport;
  /** Data written into memory a memslot DELETE took away, by whose loss (src/stress/data-loss-report.ts). */
  dataLoss: DataLossReport;
  notes: string[];
  internalErrors: string[];
}
