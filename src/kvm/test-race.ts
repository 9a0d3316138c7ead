/**
 * TEST ONLY: a deliberately injected race that needs two preemptions a few steps apart
 * (`--inject-race`, a hidden stress hook; never a catalog entry or a `--bug` name). Not kernel
 * code: it measures what each `--schedule` can find (issue 10's "two preemptions" criterion).
 *
 *   vcpu-0, after each entry:  [point] x1: stage = 1, extra = 0   [point] x2: stage 3 -> 4, extra = 0   [point] x3: stage == 6 ?
 *   vcpu-1, before each entry: [point] y1: stage 1 -> 2 or 4 -> 5; in stage 3 or 6 one more
 *                              entry (extra++), and past MAX_EXTRA_ENTRIES the round is spoilt (-> 7)
 *   vcpu-1, after each entry:  [point] y2: stage 2 -> 3 or 5 -> 6
 *
 * x3 sees 6 only in the order x1 < y1 < y2 < x2 < y1' < y2' < x3, with at most MAX_EXTRA_ENTRIES
 * more entries of vcpu-1 begun in each gap: vcpu-0 must stay stopped between two consecutive steps
 * of its own while vcpu-1 runs one whole entry (tens of steps) but not many more, and again at the
 * very next step: two preemptions of vcpu-0, one step apart, each about an entry of vcpu-1 long.
 * In PCT's terms a depth-3 bug: two change points, each at one of vcpu-0's two points; every other
 * order follows from the priorities and the vCPU loop's yield (vcpu-1 yields after its entry and
 * drops below vcpu-0). On real threads, two vCPUs side by side interleave single steps, not whole
 * entries, and an OS preemption stops a thread for a time slice (milliseconds: hundreds of
 * entries), so under os it takes two stalls of about the right length at just those two points.
 *
 * Guard of VM_TEST_RACE_STAGE and VM_TEST_RACE_EXTRA: lock-free (Atomics) | Writers/readers: vcpu-0 and vcpu-1 only, with the hook on.
 */
import { countCheck, finding, type ModelContext } from './model-context.js';
import { PROP_INJECTED_RACE } from '../oracle/properties/injected-race.js';
import { POINT_TEST_RACE, schedOn, schedPoint } from '../sched/turn-gate.js';
import { VM_MN_UPDATER_WAITING } from './vm-layout.js';

/** The hook's bit in the run's bug mask: above every bug switch, in no list of them. */
export const TEST_RACE_BIT = 1 << 30;
/** The race word: in the updater's cache line, past the words other steps use there (vm-layout.ts). */
export const VM_TEST_RACE_STAGE = VM_MN_UPDATER_WAITING + 8;
/** Entries of vcpu-1 begun in the current gap beyond the first (the word after the stage). */
export const VM_TEST_RACE_EXTRA = VM_MN_UPDATER_WAITING + 9;
/** A gap may hold this many more entries of vcpu-1 than the one it needs. */
export const MAX_EXTRA_ENTRIES = 2;

/** vcpu-0's side; `round` is its loop iteration (the finding's detail). */
export function testRaceSideX(ctx: ModelContext, round: number): void {
  const vm = ctx.vm;
  if (schedOn) schedPoint(POINT_TEST_RACE);
  Atomics.store(vm, VM_TEST_RACE_EXTRA, 0);
  Atomics.store(vm, VM_TEST_RACE_STAGE, 1);
  if (schedOn) schedPoint(POINT_TEST_RACE);
  if (Atomics.compareExchange(vm, VM_TEST_RACE_STAGE, 3, 4) === 3) Atomics.store(vm, VM_TEST_RACE_EXTRA, 0);
  if (schedOn) schedPoint(POINT_TEST_RACE);
  if (ctx.oracles) {
    countCheck(ctx, PROP_INJECTED_RACE);
    if (Atomics.load(vm, VM_TEST_RACE_STAGE) === 6) finding(ctx, PROP_INJECTED_RACE, -1, -1, -1, round, 0, 0);
  }
  Atomics.store(vm, VM_TEST_RACE_STAGE, 0);
}

/** vcpu-1's side before its entry: 1 -> 2 (after x1) or 4 -> 5 (after x2); one more entry in stage 3 or 6, spoiling the round past MAX_EXTRA_ENTRIES (-> 7). */
export function testRaceSideYBefore(ctx: ModelContext): void {
  if (schedOn) schedPoint(POINT_TEST_RACE);
  const vm = ctx.vm;
  const stage = Atomics.load(vm, VM_TEST_RACE_STAGE);
  if (stage === 1 || stage === 4) Atomics.compareExchange(vm, VM_TEST_RACE_STAGE, stage, stage + 1);
  else if ((stage === 3 || stage === 6) && Atomics.add(vm, VM_TEST_RACE_EXTRA, 1) + 1 > MAX_EXTRA_ENTRIES) Atomics.compareExchange(vm, VM_TEST_RACE_STAGE, stage, 7);
}

/** vcpu-1's side after its entry: 2 -> 3 or 5 -> 6 (a whole entry after its y1). */
export function testRaceSideYAfter(ctx: ModelContext): void {
  if (schedOn) schedPoint(POINT_TEST_RACE);
  if (Atomics.compareExchange(ctx.vm, VM_TEST_RACE_STAGE, 2, 3) !== 2) Atomics.compareExchange(ctx.vm, VM_TEST_RACE_STAGE, 5, 6);
}
