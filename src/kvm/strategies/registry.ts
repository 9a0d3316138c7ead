/**
 * The entry-check strategies, in id order (the id is what the VM config stores, VM_STRATEGY).
 * Adding a strategy: one module beside this file and one line in shipped-strategies.ts. `--strategy-module FILE`
 * (StressOptions.strategyModules) adds strategies at run time: modules whose default export is an
 * EntryStrategy, loaded by the main thread and every model thread in the same order, so ids agree.
 */
import { parseChoiceOption } from '../../util/option-parsers.js';
import { UsageError } from '../../util/usage-error.js';
import type { EntryStrategy } from './entry-strategy.js';
import * as SHIPPED from './shipped-strategies.js';

/** The default strategy, listed first. */
const DEFAULT_STRATEGY = 'locked';

/** The shipped strategies in id order: the default first, then by name. */
function shippedInIdOrder(): EntryStrategy[] {
  return (Object.values(SHIPPED) as EntryStrategy[]).sort((a, b) =>
    a.name === DEFAULT_STRATEGY ? -1 : b.name === DEFAULT_STRATEGY ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
}

const STRATEGIES: EntryStrategy[] = shippedInIdOrder();

/** The shipped strategy names, in id order (the CLI's choices before any module is loaded). */
export const STRATEGY_NAMES: readonly string[] = STRATEGIES.map((s) => s.name);
/** A strategy's name: a shipped one ('locked', 'generation', 'lockless', 'none') or a loaded module's. */
export type StrategyName = string;
/** The shipped strategies' names (the library's option type offers them; a loaded module may add others). */
export type ShippedStrategyName = 'locked' | 'generation' | 'lockless' | 'none';

export function strategies(): readonly EntryStrategy[] {
  return STRATEGIES;
}

export function strategyNames(): string[] {
  return STRATEGIES.map((s) => s.name);
}

/** The strategy with this id (the VM config's VM_STRATEGY). */
export function strategyById(id: number): EntryStrategy {
  const strategy = STRATEGIES[id];
  if (!strategy) throw new RangeError(`no entry strategy with id ${id} (known: ${strategyNames().join(', ')})`);
  return strategy;
}

/** The id of a strategy by name, or -1. */
export function strategyId(name: string): number {
  return STRATEGIES.findIndex((s) => s.name === name);
}

/** Adds a strategy at run time (by name: a second registration of the same name keeps the first); returns its id. */
export function registerStrategy(strategy: EntryStrategy): number {
  const known = strategyId(strategy.name);
  if (known >= 0) return known;
  STRATEGIES.push(strategy);
  return STRATEGIES.length - 1;
}

/** What an EntryStrategy must have: checked when a module brings one, so a bad file is a usage error, not a crash in a thread. */
function validStrategy(value: unknown): value is EntryStrategy {
  const s = value as Partial<EntryStrategy> | undefined;
  return (
    typeof s === 'object' && s !== null && typeof s.name === 'string' && s.name.length > 0 && typeof s.check === 'function' &&
    typeof s.evictionRequest === 'number' && typeof s.note === 'function' && typeof s.benchFloor === 'function' &&
    typeof s.source === 'string' && typeof s.summary === 'string'
  );
}

/**
 * Loads the strategy modules (file: URLs) in order and registers their default exports, after the
 * built-ins; a second call replaces the extras of the first (one run's set per process).
 */
export async function useStrategyModules(urls: readonly string[]): Promise<void> {
  STRATEGIES.length = STRATEGY_NAMES.length;
  for (const url of urls) {
    const mod = (await import(url)) as { default?: unknown };
    if (!validStrategy(mod.default)) {
      throw new UsageError(`strategy module ${url} must export default an entry strategy (name, source, summary, check, evictionRequest, note, benchFloor)`);
    }
    registerStrategy(mod.default);
  }
}

/** `--strategy NAME` against the strategies registered now: the id, or a UsageError naming the known ones. */
export function parseStrategyOption(flag: string, name: string): number {
  return strategyId(parseChoiceOption(flag, name, strategyNames()));
}
