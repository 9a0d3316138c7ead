/** The report of `gpc-lab bench` (what --json prints; the table and the chart are drawn from it). */
import type { JsonEnvelope } from '../util/json-envelope.js';
import type { BatchStats } from '../harness/batch-timer.js';
import type { RatioVerdict } from '../harness/measured-difference.js';
import type { RunEnvironment } from '../harness/environment.js';
import type { LatencySummary } from '../harness/histogram.js';
import type { LoadKind } from './bench-config.js';
import type { NativeReport } from './native-bench.js';

export interface VmentryFigure extends BatchStats {
  /** Failed entry checks and reloads (GET_NESTED_STATE_PAGES) per 1000 operations (warm-up included). */
  readonly checkFailuresPer1k: number;
  readonly reloadsPer1k: number;
}

export interface VmentryConfigResult {
  readonly vcpus: number;
  readonly load: LoadKind;
  /** Samples are pooled over the vcpus timing threads. */
  readonly figures: VmentryFigure[];
  /** The load thread's invalidations (null when idle). */
  readonly invalidations: { readonly events: number; readonly perSecond: number; readonly evictionWaits: number; readonly evictionLatencyUs: LatencySummary } | null;
  readonly refreshLatencyUs: LatencySummary;
  readonly gcEvents: number;
  readonly seconds: number;
}

export interface EvictionResult {
  readonly vcpus: number;
  readonly invalidations: number;
  /** Evictions that found the vCPU in guest mode and waited for it to leave. */
  readonly waits: number;
  /** Kick + wait, µs (only evictions that waited are recorded). */
  readonly latencyUs: LatencySummary;
  /** Refreshes by the real vCPU loop (GET_NESTED_STATE_PAGES after an eviction), µs. */
  readonly refreshLatencyUs: LatencySummary;
}

export interface GoalResult {
  /** The goal as stated once (several figures, e.g. locked x1..x8, share one). */
  readonly statement: string;
  /** What the figures of this statement have in common (printed once), or ''. */
  readonly explanation: string;
  /** The ratio against its floor's spread (src/harness/measured-difference.ts). */
  readonly verdict: RatioVerdict;
  readonly goal: string;
  readonly figure: string;
  readonly floor: string;
  readonly ratio: number;
  readonly target: number;
  readonly met: boolean;
  /** Why it is missed (or what makes it close), from the measured figures. */
  readonly note: string;
}

export interface BenchReport extends JsonEnvelope<'bench'> {
  readonly quick: boolean;
  readonly config: Record<string, unknown>;
  readonly environment: RunEnvironment;
  readonly loadAverage1mAtEnd: number;
  readonly vmentry: VmentryConfigResult[];
  readonly invalidation: { readonly figures: BatchStats[]; readonly refreshAfterInvalidationUs: LatencySummary; readonly gcEvents: number };
  readonly eviction: EvictionResult[];
  readonly goals: GoalResult[];
  /** The C11 counterparts (bench/native), or why they were skipped. */
  readonly native: NativeReport;
  /** One line per seed position, from the 1-vCPU idle figures. */
  readonly seed: string[];
  readonly gcDroppedSamples: number;
  readonly gcFlaggedFigures: number;
  /** The chart written, or null (none asked for, or its write failed: chartError says why). */
  readonly chartFile: string | null;
  readonly chartError?: string;
  readonly interrupted: boolean;
}
