/**
 * The entry-check strategies, in id order (the id is what the VM config stores, VM_STRATEGY).
 * Adding a strategy: one module beside this file and one line here. `registerStrategy` adds one at
 * run time (an extension module loaded by every thread in the same order, so ids agree).
 */
import type { EntryStrategy } from './entry-strategy.js';
import { GENERATION } from './generation.js';
import { LOCKED } from './locked.js';
import { LOCKLESS } from './lockless.js';
import { NONE } from './none.js';

const STRATEGIES: EntryStrategy[] = [
  LOCKED,
  GENERATION,
  LOCKLESS,
  NONE,
];

/** The built-in strategy names, in id order (the CLI's choices before any extension is loaded). */
export const STRATEGY_NAMES = ['locked', 'generation', 'lockless', 'none'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

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
