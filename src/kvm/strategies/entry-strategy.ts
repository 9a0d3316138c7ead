/**
 * What an entry-check strategy is (DESIGN 5.7): the vmentry check of a vCPU's guest-uses caches,
 * run after the vCPU published IN_GUEST_MODE, and what the rest of the protocol needs to know about
 * it. One module per strategy under strategies/, listed in registry.ts.
 *
 * A vCPU thread picks its strategy's `check` once, at start, so the hot call site only ever sees one
 * function (monomorphic, inlinable).
 */
import type { GuestRegisters } from '../guest-registers.js';
import type { ModelContext } from '../model-context.js';

/** What a stress run tells a strategy's report note. */
export interface StrategyRunFacts {
  /** Findings of a property, by name ("stale-entry", "uaf-guest-mode", ...). */
  readonly findings: (property: string) => number;
  /** Entries with an old generation whose translation was unchanged (counted, not findings). */
  readonly oldGenerationEntries: number;
}

export interface EntryStrategy {
  readonly name: string;
  /** Where the strategy comes from (the seed thread, a series, a proposal). */
  readonly source: string;
  /** One line for `--help` and the reports. */
  readonly summary: string;
  /**
   * The check: true if the vCPU may enter with the registers it holds; false makes the loop request
   * GET_NESTED_STATE_PAGES (reload) and cancel the entry. Hot path: allocation-free, no throw.
   */
  readonly check: (ctx: ModelContext, gr: GuestRegisters) => boolean;
  /**
   * Request bits an invalidation's eviction of a guest-uses vCPU carries (mmu-notifier.ts): 0 is
   * KVM_REQ_OUTSIDE_GUEST_MODE, which sets no bit and relies on this check.
   */
  readonly evictionRequest: number;
  /** The explanation of a stress run's verdict under this strategy. */
  readonly note: (facts: StrategyRunFacts) => string[];
  /**
   * The bench's raw floor for the check over `caches` guest-uses caches (a variant name of
   * bench/vmentry.bench.ts), or undefined: compared with the empty loop.
   */
  readonly benchFloor: (caches: number) => string | undefined;
}
