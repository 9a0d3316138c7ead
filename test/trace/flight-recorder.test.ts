import { describe, expect, it } from 'vitest';
import { createFlightRecorderBuffer, decodeRings, flightRecorderView, recordEvent } from '../../src/trace/flight-recorder.js';
import { CACHE_LINE_INTS } from '../../src/mem/shared-buffer.js';

describe('flight recorder', () => {
  it('events of several threads come back in global order, only the last `depth` of each', () => {
    const fr = flightRecorderView(createFlightRecorderBuffer(2, 4));
    for (let i = 0; i < 6; i++) recordEvent(fr, i % 2, 10 + i, i, -1, -1, 0, 0, 0, i);
    const events = decodeRings(fr.mem, CACHE_LINE_INTS, fr.depth, fr.threads, 4);
    expect(events.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    for (let i = 6; i < 14; i++) recordEvent(fr, 0, 99, i, -1, -1, 0, 0, 0, i);
    const later = decodeRings(fr.mem, CACHE_LINE_INTS, fr.depth, fr.threads, 4);
    expect(later.filter((e) => e.thread === 0).map((e) => e.arg)).toEqual([10, 11, 12, 13]);
    expect(later.filter((e) => e.thread === 1).map((e) => e.arg)).toEqual([1, 3, 5]);
  });
});
