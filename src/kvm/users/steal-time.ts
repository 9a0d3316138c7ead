/**
 * The steal-time record (host-uses, one cache per vCPU): record_steal_time under the read lock,
 * version odd, value, version even. The writer's last value is kept in ST_LAST_STEAL for the
 * end-of-run check through the true translation.
 */
import { readLock, readUnlock } from '../../sync/rwlock.js';
import { checkKhvaAccessLocked, checkKhvaAfterAccessLocked } from '../../oracle/access-oracles.js';
import { STEP_KHVA_ACCESS } from '../../trace/trace-steps.js';
import { G_KHVA, GPC_LOCK, gpcBase } from '../gpc-layout.js';
import { gpcCheckLocked, gpcRefresh } from '../gpc.js';
import { USER_STEAL_TIME } from '../cache-users.js';
import { userCache } from '../cache-table.js';
import { traceStep, type ModelContext } from '../model-context.js';
import { ST_CHECKS_FAILED, ST_CHECKS_OK, ST_LAST_STEAL, ST_STEAL_WRITES } from '../thread-stats.js';
import { STEAL_RECORD_BYTES, STEAL_VALUE, STEAL_VERSION } from './page-fields.js';

/** Writes vCPU v's steal-time record. Returns false if the cache could not be refreshed. */
export function recordStealTime(ctx: ModelContext, v: number): boolean {
  const g = userCache(ctx.layout.caches, USER_STEAL_TIME, v, 0);
  const gpcs = ctx.gpcs;
  const lock = gpcBase(g) + GPC_LOCK;
  readLock(gpcs, lock);
  while (!gpcCheckLocked(ctx, g, -1, STEAL_RECORD_BYTES)) {
    readUnlock(gpcs, lock);
    ctx.counters[ST_CHECKS_FAILED]! += 1;
    if (gpcRefresh(ctx, g, STEAL_RECORD_BYTES) < 0) return false;
    readLock(gpcs, lock);
  }
  ctx.counters[ST_CHECKS_OK]! += 1;
  checkKhvaAccessLocked(ctx, g);
  const khva = gpcs[gpcBase(g) + G_KHVA]!;
  if (khva < 0) {
    // khva = NULL under a passing check (history B2): the kernel would oops on NULL + offset. The
    // state-invariant oracle has reported it; the access faults and writes nothing.
    readUnlock(gpcs, lock);
    return false;
  }
  const at = khva >> 2;
  const ram = ctx.ram;
  const version = ram[at + STEAL_VERSION]!;
  const steal = ctx.counters[ST_LAST_STEAL]! + 1;
  ctx.counters[ST_LAST_STEAL] = steal;
  Atomics.store(ram, at + STEAL_VERSION, (version + 1) | 1);
  Atomics.store(ram, at + STEAL_VALUE, steal | 0);
  Atomics.store(ram, at + STEAL_VERSION, ((version + 1) | 1) + 1);
  checkKhvaAfterAccessLocked(ctx, g);
  traceStep(ctx, STEP_KHVA_ACCESS, g, -1, at >> (ctx.pageShift - 2), steal);
  readUnlock(gpcs, lock);
  ctx.counters[ST_STEAL_WRITES]! += 1;
  return true;
}
