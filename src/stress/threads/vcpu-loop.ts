/**
 * The vCPU thread: vcpu_enter_guest (src/kvm/vcpu-entry.ts) in a loop until the run stops, holding
 * the memslots SRCU read lock outside guest mode, reporting progress to run control.
 */
import { reportProgress, setThreadState, shouldStop, ThreadState } from '../../harness/run-control.js';
import { flushCounters, type ModelContext } from '../../kvm/model-context.js';
import { srcuEnter, srcuExit } from '../../kvm/srcu.js';
import { openVcpuState, vcpuEnterGuest } from '../../kvm/vcpu-entry.js';
import { makeRequest } from '../../kvm/vcpu-kick.js';
import { schedOn, schedYield } from '../../sched/turn-gate.js';
import { isBugOn } from '../../kvm/bug-switches.js';
import { TEST_RACE_BIT, testRaceSideX, testRaceSideYAfter, testRaceSideYBefore } from '../../kvm/test-race.js';
import { REQ_GET_NESTED_STATE_PAGES, V_ACTIVITY, VCPU_ACT_DONE, VCPU_INTS } from '../../kvm/vcpu-layout.js';

const FLUSH_EVERY = 1024;

/** Runs vCPU v until the run is stopped. `crashAfter` >= 0 is a test hook: throw after that many iterations. */
export function runVcpuLoop(ctx: ModelContext, control: Int32Array, slotBase: number, v: number, crashAfter = -1): void {
  const vs = openVcpuState(ctx, v);
  setThreadState(control, slotBase, ThreadState.RUNNING, v);
  vs.srcu = srcuEnter(ctx);
  if (vs.nested) makeRequest(ctx.vcpus, v, REQ_GET_NESTED_STATE_PAGES);
  let iterations = 0;
  while (!shouldStop(control)) {
    // TEST ONLY (--inject-race): the two-preemption race of src/kvm/test-race.ts.
    const race = isBugOn(TEST_RACE_BIT);
    if (race && v === 1) testRaceSideYBefore(ctx);
    vcpuEnterGuest(ctx, vs);
    if (race && v === 0) testRaceSideX(ctx, iterations);
    else if (race && v === 1) testRaceSideYAfter(ctx);
    // The host scheduler's tick between entries: under the turn gate a yield, so a vCPU loop
    // never keeps the turn forever (PCT lowers its priority); a chaos point otherwise.
    if (schedOn) schedYield();
    iterations++;
    reportProgress(control, slotBase, iterations);
    if (iterations === crashAfter) throw new Error(`vcpu-${v}: test crash after ${crashAfter} iterations (--crash-after)`);
    if ((iterations & (FLUSH_EVERY - 1)) === 0) flushCounters(ctx);
  }
  srcuExit(ctx, vs.srcu);
  Atomics.store(ctx.vcpus, v * VCPU_INTS + V_ACTIVITY, VCPU_ACT_DONE);
  flushCounters(ctx);
}
