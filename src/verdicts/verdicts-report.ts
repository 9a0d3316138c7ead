/** The typed result of `gpc-lab verdicts` (what `--json` prints and `runVerdicts` returns). */
import type { JsonEnvelope } from '../util/json-envelope.js';
import type { InterleavingEvent } from '../stress/stress-report.js';

/** The variant step that allowed a finding: the replaced step whose trace steps are among the racing steps. */
export interface AllowingStep {
  /** The ProtocolSteps name ('retryPredicate', ...). */
  readonly step: string;
  /** The variant's stepSources line for it: the patch (message id, subject) or function it models. */
  readonly patch: string;
  /** The function that implements it, and the module it lives in. */
  readonly function: string;
  readonly module: string;
  /** The racing steps (trace step names) that are this step's doing. */
  readonly tracedBy: readonly string[];
}

export interface FindingVerdict {
  readonly property: string;
  readonly thread: string;
  readonly cache?: string;
  readonly message: string;
  /** Recorded findings identical to this one, folded in: how many in all. */
  readonly repeats: number;
  /** The racing steps first (the events on the finding's cache, page or gfn, of every thread that touched it), then the rest of its interleaving. */
  readonly racing: readonly InterleavingEvent[];
  readonly context: readonly InterleavingEvent[];
  /** The variant's replaced steps that show among the racing steps; empty: none of them does (then `allowedBy` says so). */
  readonly allowingSteps: readonly AllowingStep[];
  /** One line: which step of the variant allowed it (or that the finding is mainline's own). */
  readonly allowedBy: string;
  /** The documented candidate upstream bug it shows (docs/VERDICTS.md, src/stress/candidate-bugs.ts), or null. */
  readonly candidateBug: string | null;
  readonly rerun: string;
}

/** One row: a protocol and a property over one run. */
export interface PropertyVerdict {
  readonly property: string;
  readonly kind: 'safety' | 'liveness';
  readonly checks: number;
  readonly findings: number;
  /** Seconds from the start barrier to the run's first finding, when this property had it; null otherwise (only a run's first finding is timed). */
  readonly firstAtS: number | null;
  /** "no finding in N checks over T s", or "N findings, first after T s" (never "safe"). */
  readonly verdict: string;
}

export interface RunExercised {
  readonly vmentries: number;
  readonly refreshes: number;
  readonly refreshRetries: number;
  readonly invalidations: number;
  readonly invalidationsOutsideMemslots: number;
  readonly memslotUpdates: number;
  readonly juggles: number;
  readonly eventsSent: number;
  /** Irq-context events deferred (-EWOULDBLOCK) to process context, and the fast path's failed read_trylocks (b17-trylock's cost, history B18). */
  readonly eventsDeferred: number;
  readonly fastPathTrylockFails: number;
  /**
   * Refresh windows an invalidation ended in, and the installs the retry check let through after
   * one (src/kvm/gpc-seqless-window.ts). On mainline such an install means no seq moved (S1's
   * mechanism); under a variant whose retry ignores unrelated invalidations (range-retry) most are
   * installs after an unrelated one, as designed.
   */
  readonly refreshInvalidationsInWindow: number;
  readonly refreshSeqlessInstalls: number;
}

/** One stress run of the verdicts (a variant's, or mainline's beside it). */
export interface VerdictRun {
  readonly protocol: string;
  readonly workloads: readonly string[];
  readonly strategy: string;
  readonly seed: number;
  readonly seconds: number;
  readonly checks: number;
  readonly findingsTotal: number;
  readonly firstFinding: { readonly property: string; readonly atS: number } | null;
  readonly properties: readonly PropertyVerdict[];
  /** What the run exercised (the stress report's totals): what a "no finding" is evidence over. */
  readonly exercised: RunExercised;
  readonly findings: readonly FindingVerdict[];
  /** The stress run's own verdict and re-run command. */
  readonly stressVerdict: string;
  readonly rerun: string;
  readonly internalErrors: readonly string[];
}

export interface VariantVerdict {
  readonly name: string;
  readonly summary: string;
  readonly source: string;
  /** Where its steps live (a file under src/kvm/protocols/, or the --protocol-module URL). */
  readonly module: string;
  readonly replacedSteps: readonly { readonly step: string; readonly patch: string }[];
  readonly run: VerdictRun;
  /** Mainline with the same workloads, strategy and budget: one run per distinct workload set and strategy, shared (null for mainline itself: it is its own baseline). */
  readonly mainline: VerdictRun | null;
  /** One line: what the evidence shows, e.g. "no finding in 812,004 checks over 30.0 s". */
  readonly summaryLine: string;
}

/** Mainline's findings that are not one of its documented candidate upstream bugs. */
export interface UnexplainedMainlineFinding {
  readonly workloads: readonly string[];
  readonly property: string;
  readonly findings: number;
  readonly message: string;
  readonly rerun: string;
}

/** `--catalog`: a catalog bug switch under a variant. */
export interface ApplicabilityRow {
  readonly variant: string;
  readonly bug: string;
  readonly history: string;
  /** 'not applicable' (the variant says why), 'found', 'not found' (in the budget), 'cost' (a cost entry: no finding expected, not judged). */
  readonly outcome: 'not applicable' | 'found' | 'not found' | 'cost';
  readonly why?: string;
  /** The first finding's property, and whether it is one the catalog entry expects (else it may be the variant's own finding). */
  readonly property?: string;
  readonly expected?: boolean;
  readonly atS?: number;
  readonly seconds: number;
  readonly rerun?: string;
}

export interface VerdictsReport extends JsonEnvelope<'verdicts'> {
  readonly budgetS: number;
  readonly seed: number;
  readonly shard: string;
  /** The variants chosen before sharding (every shard lists the same). */
  readonly selected: readonly string[];
  readonly environment: Record<string, unknown>;
  /** The command line that re-runs this report. */
  readonly rerun: string;
  readonly variants: readonly VariantVerdict[];
  readonly unexplainedMainline: readonly UnexplainedMainlineFinding[];
  /** With --catalog: each catalog switch under each variant. */
  readonly catalog?: readonly ApplicabilityRow[];
  readonly wallS: number;
  readonly interrupted: boolean;
  readonly exitCode: number;
  readonly notes: readonly string[];
}
