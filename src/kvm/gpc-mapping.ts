/**
 * gpc_map / gpc_unmap: the kernel mapping of a pfn. A mapping is a byte index into host RAM (the
 * direct map); each map is counted in the page's KMAP slot, so the leak oracle can check at the
 * end that every mapping was dropped exactly once.
 */
import { META_INTS, META_KMAP } from '../mem/host-mm-layout.js';
import { finding, type ModelContext } from './model-context.js';
import { PROP_LEAKS } from '../oracle/properties/leaks.js';

/** gpc_map: the kernel mapping of pfn (a byte index into host RAM); counts the mapping. */
export function gpcMap(ctx: ModelContext, pfn: number): number {
  Atomics.add(ctx.host.mm.mem, ctx.host.mm.metaBase + pfn * META_INTS + META_KMAP, 1);
  return pfn << ctx.pageShift;
}

/** gpc_unmap: drops a mapping made by gpcMap (nothing for pfn or khva -1). Unmapping twice is a finding. */
export function gpcUnmap(ctx: ModelContext, g: number, pfn: number, khvaBase: number): void {
  if (pfn < 0 || khvaBase < 0) return;
  const at = ctx.host.mm.metaBase + pfn * META_INTS + META_KMAP;
  const before = Atomics.sub(ctx.host.mm.mem, at, 1);
  if (before <= 0) {
    Atomics.add(ctx.host.mm.mem, at, 1);
    if (ctx.oracles) finding(ctx, PROP_LEAKS, g, -1, pfn, before, 0, 0);
  }
}
