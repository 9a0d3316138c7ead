/**
 * The shipped protocol variants, one line each: adding a variant is its own file in this folder
 * plus one line here. The registry (registry.ts) lists them mainline first, then by name.
 */
export { MAINLINE } from './mainline.js';
export { RANGE_RETRY } from './range-retry.js';
export { B17_TRYLOCK } from './b17-trylock.js';
export { SEED_2021 } from './seed-2021.js';
export { GRIFFOUL_V4 } from './griffoul-v4.js';
export { DWMW2_RANGE_2024 } from './dwmw2-range-2024.js';
export { ITAZURI_GMEM_RFC2 } from './itazuri-gmem-rfc2.js';
