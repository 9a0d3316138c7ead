import { describe, expect, it } from 'vitest';
import { createFlightRecorderBuffer, decodeRings, flightRecorderView, recordEvent } from '../../src/trace/flight-recorder.js';
import { CACHE_LINE_INTS } from '../../src/mem/shared-buffer.js';
import { guestLayout } from '../../src/kvm/guest-layout.js';
import {
  MM_MIGRATE,
  STEP_FINDING,
  STEP_INV_EVICT,
  STEP_INV_START,
  STEP_MEMSLOT_PUBLISH,
  STEP_MM_CHANGE,
  STEP_REFRESH_RETRY,
  STEP_VCPU_EXIT,
} from '../../src/trace/trace-steps.js';
import { PROP_UAF_GUEST } from '../../src/oracle/properties/uaf-guest-mode.js';
import { interleavingEvents } from '../../src/stress/interleaving.js';
import { formatInterleaving } from '../../src/stress/interleaving-text.js';

const PAGE_SHIFT = 12;
const layout = guestLayout(1);
const NOTIFIER = layout.threadNotifier;
const MAIN = layout.threadMain;

function recorded(write: (thread: number, step: number, cache: number, gpa: number, pfn: number, mmuSeq: number, count: number, gen: number, arg: number) => void): void {
  write(NOTIFIER, STEP_INV_START, -1, -1, -1, 5, 1, 3, -15); // file page 14
  write(NOTIFIER, STEP_INV_EVICT, -1, -1, -1, 5, 1, 3, 0); // vcpu-0
  write(NOTIFIER, STEP_MM_CHANGE, -1, 14 << PAGE_SHIFT, 41, 5, 1, 3, MM_MIGRATE);
  write(0, STEP_REFRESH_RETRY, 3, 7 << PAGE_SHIFT, 9, 5, 1, 3, 1);
  write(0, STEP_REFRESH_RETRY, 3, 7 << PAGE_SHIFT, 9, 5, 1, 3, 1);
  write(0, STEP_VCPU_EXIT, -1, -1, -1, 6, 0, 3, 0);
  write(MAIN, STEP_MEMSLOT_PUBLISH, -1, 49 << PAGE_SHIFT, -1, 6, 0, 4, 2);
  write(0, STEP_FINDING, 3, -1, 41, 6, 0, 4, PROP_UAF_GUEST);
}

describe('interleaving events', () => {
  it('each event names its values by the step table: gfn and pfn when they are pages, labelled args otherwise, count next to seq and generation', () => {
    const fr = flightRecorderView(createFlightRecorderBuffer(layout.threads, 16));
    recorded((t, step, cache, gpa, pfn, seq, count, gen, arg) => recordEvent(fr, t, step, cache, gpa, pfn, seq, count, gen, arg));
    const events = interleavingEvents(layout, decodeRings(fr.mem, CACHE_LINE_INTS, fr.depth, fr.threads, 16), PAGE_SHIFT);

    expect(events.map((e) => e.step)).toEqual([
      'invalidate-start(count++)',
      'evict-vcpu(WAIT)',
      'mm-change',
      'refresh-retry',
      'vcpu-exit(OUTSIDE_GUEST_MODE)',
      'memslot-publish',
      'FINDING',
    ]);
    const [start, evict, change, retry, exit, publish, found] = events;
    expect(start).toEqual({ order: 0, thread: 'notifier', step: 'invalidate-start(count++)', seq: 5, count: 1, generation: 3, args: { filePage: 14 } });
    expect(evict!.args).toEqual({ vcpu: 'vcpu-0' });
    expect(change).toMatchObject({ gfn: 14, pfn: 41, args: { kind: 'migrate' } });
    expect(change).not.toHaveProperty('cache');
    expect(retry).toMatchObject({ cache: 3, gfn: 7, pfn: 9, args: { countSeen: 1 }, repeats: 2, lastOrder: 4 });
    expect(exit!.args).toEqual({}); // not kicked: nothing to say
    // The control plane's steps carry the slot's base gfn in the gpa slot.
    expect(publish).toMatchObject({ thread: 'main', gfn: 49, args: { slot: 2 } });
    expect(found).toMatchObject({ thread: 'vcpu-0', cache: 3, pfn: 41, args: { property: 'uaf-guest-mode' } });

    const lines = formatInterleaving(events);
    expect(lines[0]).toMatch(/#0 +notifier +invalidate-start\(count\+\+\) +seq 5 +count 1 +gen 3 filePage=14$/);
    expect(lines[1]).toMatch(/evict-vcpu\(WAIT\) .* vcpu=vcpu-0$/);
    expect(lines[3]).toMatch(/refresh-retry +gpc 3 +gfn 7 +pfn 9 +seq 5 +count 1 +gen 3 countSeen=1   x2 \(last #4\)$/);
    expect(lines[6]).toMatch(/vcpu-0 +FINDING: uaf-guest-mode on gpc 3, pfn 41$/);
    for (const line of lines) expect(line).not.toMatch(/ arg=/);
  });
});
