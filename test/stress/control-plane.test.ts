import { describe, expect, it } from 'vitest';
import { USER_NESTED_VMX } from '../../src/kvm/cache-users.js';
import { CACHE_LINE_INTS } from '../../src/mem/shared-buffer.js';
import { decodeRings } from '../../src/trace/flight-recorder.js';
import { STEP_MEMSLOT_DRAINED, STEP_MEMSLOT_PUBLISH } from '../../src/trace/trace-steps.js';
import { buildVm } from '../../src/stress/build-vm.js';
import { ControlPlane } from '../../src/stress/control-plane.js';
import { formatEvents } from '../../src/stress/interleaving-text.js';
import { strategyId } from '../../src/kvm/strategies/registry.js';

function vmWithTrace() {
  return buildVm({
    vcpus: 2,
    pageSize: 4096,
    strategy: strategyId('generation'),
    bugMask: 0,
    seed: 9,
    oracles: true,
    traceDepth: 32,
    workload: 7,
    guestSteps: 4,
    eventPermille: 50,
    stealPermille: 50,
    postPermille: 100,
  });
}

describe('the control plane in the flight recorder', () => {
  it('a memslot move and a dummy-slot toggle are traced with the gfn of the slot they change, and print it', async () => {
    const built = vmWithTrace();
    const { main, layout } = built;
    // The nested user's memslot, and the dummy slot.
    const SLOT_NESTED = USER_NESTED_VMX;
    const SLOT_DUMMY = layout.slotDummy;
    const plane = new ControlPlane(main, 0);
    // No model thread runs: no SRCU reader holds the old copy, so each update completes at once.
    expect(await plane.moveSlot(SLOT_NESTED)).toBe(true);
    await plane.toggleDummySlot();
    const events = decodeRings(main.fr.mem, CACHE_LINE_INTS, main.fr.depth, main.fr.threads, main.fr.depth).filter(
      (e) => e.step === STEP_MEMSLOT_PUBLISH || e.step === STEP_MEMSLOT_DRAINED,
    );
    const nestedGfn = layout.slotBase[SLOT_NESTED]!;
    const dummyGfn = layout.slotBase[SLOT_DUMMY]!;
    // both are past gfn 0, so a trace that printed "gfn 0" for every memslot step would fail here
    expect(nestedGfn).toBeGreaterThan(0);
    expect(dummyGfn).toBeGreaterThan(0);
    expect(events.map((e) => [e.step, e.arg, e.gpa >> main.pageShift])).toEqual([
      [STEP_MEMSLOT_PUBLISH, SLOT_NESTED, nestedGfn],
      [STEP_MEMSLOT_DRAINED, SLOT_NESTED, nestedGfn],
      [STEP_MEMSLOT_PUBLISH, SLOT_DUMMY, dummyGfn],
    ]);
    const lines = formatEvents(layout, events, main.pageShift);
    expect(lines[0]).toMatch(new RegExp(`main\\s+memslot-publish\\s+gfn ${nestedGfn}\\s`));
    expect(lines[1]).toMatch(new RegExp(`main\\s+memslot-srcu-drained\\s+gfn ${nestedGfn}\\s`));
    expect(lines[2]).toMatch(new RegExp(`main\\s+memslot-publish\\s+gfn ${dummyGfn}\\s`));
  });
});
