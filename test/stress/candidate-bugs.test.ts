import { describe, expect, it } from 'vitest';
import { candidateBugNotes } from '../../src/stress/candidate-bugs.js';
import type { InterleavingEvent, StressFinding } from '../../src/stress/stress-report.js';

function finding(property: string, steps: string[]): StressFinding {
  const interleaving: InterleavingEvent[] = steps.map((step, order) => ({ order, thread: 'evtchn', step, seq: 0, count: 0, generation: 0, args: {} }));
  return { property, thread: 'evtchn', details: {}, message: '', interleaving, rerun: '' };
}

describe('findings that match a candidate upstream bug', () => {
  it('names S1 when a finding follows a seq-less install, with its fix switch', () => {
    const notes = candidateBugNotes([
      finding('uaf-khva', ['refresh-faulted-in', 'refresh-install-after-invalidation-in-window(no seq moved)', 'page-free', 'FINDING']),
      finding('stale-pte', ['refresh-install(valid=1)', 'FINDING']),
    ]);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^1 of the findings shown \(uaf-khva\) .*candidate upstream bug S1 hva-seq-miss .*--fix hva-seq-miss/);
  });

  it('says nothing for findings without the mechanism', () => {
    expect(candidateBugNotes([finding('stale-pte', ['refresh-install(valid=1)', 'FINDING'])])).toEqual([]);
  });
});
