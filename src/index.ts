/**
 * gpc-lab's library API. A hand-written export list: what is here is public and typed.
 */
export { Random } from './util/random.js';
