/**
 * Mainline's findings against its documented candidate upstream bugs (S1 hva-seq-miss,
 * docs/VERDICTS.md): what decides `gpc-lab verdicts`' exit 1. Single-threaded: the S1 finding is
 * the one docs/VERDICTS.md records from `gpc-lab stress --vcpus 2 --duration 30 --workload xen
 * --xen-attach hva --inval-rate 20000 --seed 5` (its interleaving's steps as the report names
 * them), since a stress run reaches S1's harmful order only now and then (6-19 s into such runs,
 * some 30 s runs clean: too rare for a bounded test); test/kvm/hva-seq-miss.test.ts shows the
 * race itself on real threads.
 */
import { describe, expect, it } from 'vitest';
import type { InterleavingEvent, PropertyRow, StressFinding } from '../../src/stress/stress-report.js';
import { mainlineCandidateOf, unexplainedMainlineFindings } from '../../src/verdicts/mainline-findings.js';

function ev(order: number, thread: string, step: string, pfn?: number): InterleavingEvent {
  return { order, thread, step, cache: 0, ...(pfn !== undefined ? { pfn } : {}), seq: 120501, count: 1, generation: 0, args: {} };
}

/** docs/VERDICTS.md, "With ten times the invalidation rate": kvm_xen_set_evtchn's slow path refreshing shared_info at the overlay page. */
const S1_FINDING: StressFinding = {
  property: 'uaf-khva',
  thread: 'evtchn',
  cache: 'gpc 0 (shared_info)',
  pfn: 50,
  details: {},
  message: 'host code used khva of pfn 50 under the read lock after its check passed, but the page is FREE',
  interleaving: [
    ev(3542121, 'evtchn', 'refresh-start', 23),
    ev(3542124, 'evtchn', 'refresh-drop-lock'),
    ev(3542129, 'evtchn', 'refresh-faulted-in', 50),
    ev(3542130, 'notifier', 'mm-change', 50),
    ev(3542131, 'notifier', 'invalidate-end(no memslot: count-- only)'),
    ev(3542133, 'evtchn', 'refresh-install-after-invalidation-in-window(no seq moved)', 50),
    ev(3542134, 'evtchn', 'page-free', 50),
    ev(3542135, 'evtchn', 'refresh-install(valid=1)', 50),
    ev(3542232, 'evtchn', 'FINDING', 50),
  ],
  rerun: 'npx gpc-lab stress --vcpus 2 --duration 30 --seed 5 --workload xen --xen-attach hva --inval-rate 20000 --stop-on-finding',
};

/** The same use-after-free without the seq-less install: a refresh that installed with the seq check passing for another reason (not S1's mechanism). */
const OTHER_UAF: StressFinding = { ...S1_FINDING, interleaving: S1_FINDING.interleaving.filter((e) => !e.step.startsWith('refresh-install-after')) };

/** The events lost into the freed page: an end-of-run conservation finding, with no step of the race in its interleaving. */
const EVENTS: StressFinding = { ...S1_FINDING, property: 'events', thread: 'main', message: '8 of 196,261 events lost', interleaving: [ev(1, 'main', 'FINDING')] };

function row(name: string, findings: number): PropertyRow {
  return { name, kind: 'safety', description: '', checks: 1000, findings };
}

function report(findings: StressFinding[], properties: PropertyRow[], internalErrors: string[] = []) {
  return { findings, properties, internalErrors, rerun: 'npx gpc-lab stress --seed 5' };
}

describe("mainline's findings and its candidate upstream bugs", () => {
  it('S1\'s recorded use-after-free is S1, and so are its 16 repeats and the events it lost: nothing unexplained (exit 0)', () => {
    expect(mainlineCandidateOf(S1_FINDING, null)).toBe('S1 hva-seq-miss');
    expect(mainlineCandidateOf(EVENTS, 'S1 hva-seq-miss')).toBe('S1 hva-seq-miss (presumed data follow-on in the same run)');
    expect(unexplainedMainlineFindings(report([{ ...S1_FINDING, repeats: 16 }, EVENTS], [row('uaf-khva', 16), row('events', 1), row('stale-pte', 0)]), ['xen'])).toEqual([]);
  });

  it('a second uaf-khva recorded with no interleaving (the report keeps one for the first of each property) is taken to be like the first, which shows S1', () => {
    const second: StressFinding = { ...S1_FINDING, thread: 'vcpu-2', interleaving: [] };
    expect(mainlineCandidateOf(second, 'S1 hva-seq-miss', 'S1 hva-seq-miss')).toMatch(/^S1 hva-seq-miss \(presumed: no interleaving recorded/);
    expect(unexplainedMainlineFindings(report([S1_FINDING, second], [row('uaf-khva', 66)]), ['xen'])).toEqual([]);
    // ... but not when the first one of its property is not S1.
    expect(unexplainedMainlineFindings(report([OTHER_UAF, second], [row('uaf-khva', 2)]), ['xen']).map((u) => u.property)).toEqual(['uaf-khva']);
  });

  it('the same use-after-free without the seq-less install is unexplained (exit 1), named with its message and re-run command', () => {
    expect(mainlineCandidateOf(OTHER_UAF, null)).toBeNull();
    expect(unexplainedMainlineFindings(report([OTHER_UAF], [row('uaf-khva', 1)]), ['xen'])).toEqual([
      { workloads: ['xen'], property: 'uaf-khva', findings: 1, message: OTHER_UAF.message, rerun: OTHER_UAF.rerun },
    ]);
  });

  it('lost events with no S1 in the run are not a follow-on of anything: unexplained', () => {
    expect(mainlineCandidateOf(EVENTS, null)).toBeNull();
    expect(unexplainedMainlineFindings(report([EVENTS], [row('events', 1)]), ['xen']).map((u) => u.property)).toEqual(['events']);
  });

  it('a property with findings of which none was recorded in detail, and an internal error, are unexplained', () => {
    const u = unexplainedMainlineFindings(report([S1_FINDING], [row('uaf-khva', 1), row('stale-generation', 2)], ['thread vcpu-0 failed: boom']), ['steal', 'xen']);
    expect(u.map((x) => [x.property, x.findings])).toEqual([['stale-generation', 2], ['internal-error', 1]]);
    expect(u[0]!.message).toBe('no finding of this property was recorded in detail');
  });
});
