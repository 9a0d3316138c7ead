/**
 * The shipped entry-check strategies, one line each: adding a strategy is its own file in this
 * folder plus one line here. The registry (registry.ts) lists them `locked` first (the default),
 * then by name; a strategy's id is its position there.
 */
export { GENERATION } from './generation.js';
export { LOCKED } from './locked.js';
export { LOCKLESS } from './lockless.js';
export { NONE } from './none.js';
