/**
 * The Perfetto (Chrome Trace Event JSON) export, golden rules: what ui.perfetto.dev's JSON importer
 * and chrome://tracing need. The fixture is a real finding's interleaving (stress --bug
 * refresh-skips-retry, state-invariant on the notifier).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { perfettoTrace, type TraceEvent } from '../../src/stress/perfetto-trace.js';
import { racingSteps } from '../../src/stress/racing-steps.js';
import type { StressFinding } from '../../src/stress/stress-report.js';

const finding = JSON.parse(readFileSync('test/stress/fixtures/finding-refresh-skips-retry.json', 'utf8')) as StressFinding;
const trace = perfettoTrace(finding, 'npx gpc-lab stress --bug refresh-skips-retry');
const timed = trace.traceEvents.filter((e) => e.ph !== 'M');

describe('a finding as a Perfetto trace', () => {
  it('is JSON with one named track per thread (thread_name metadata), in thread order', () => {
    const parsed = JSON.parse(JSON.stringify(trace)) as { traceEvents: TraceEvent[] };
    const names = parsed.traceEvents.filter((e) => e.name === 'thread_name').map((e) => e.args!.name);
    expect(new Set(names)).toEqual(new Set(finding.interleaving.map((e) => e.thread)));
    expect(names.slice(0, 2)).toEqual(['vcpu-0', 'vcpu-1']);
    expect(names[names.length - 1]).toBe('main');
    for (const e of timed) {
      expect(['X', 'C']).toContain(e.ph);
      expect(typeof e.ts).toBe('number');
      expect(e.pid).toBe(1);
    }
  });

  it('has one slice per step (folded repeats keep their count), and every name is ASCII', () => {
    const steps = timed.filter((e) => e.cat === 'step' && !e.name.endsWith('(flow)'));
    expect(steps).toHaveLength(finding.interleaving.length);
    expect(steps.some((e) => e.args!.repeats === 2)).toBe(true);
    for (const e of trace.traceEvents) expect(e.name).toMatch(/^[\x20-\x7e]+$/);
    for (const e of trace.traceEvents.filter((x) => x.name === 'thread_name')) expect(String(e.args!.name)).toMatch(/^[\x20-\x7e]+$/);
  });

  it('never lets a timestamp decrease along a track', () => {
    const lastTs = new Map<string, number>();
    for (const e of timed) {
      const track = e.ph === 'C' ? `counter ${e.name}` : `thread ${e.tid}`;
      expect(e.ts!).toBeGreaterThanOrEqual(lastTs.get(track) ?? 0);
      lastTs.set(track, e.ts!);
    }
  });

  it('binds every flow id to exactly one outgoing and one incoming slice', () => {
    const flows = timed.filter((e) => e.bind_id !== undefined);
    expect(flows.length).toBeGreaterThan(0);
    const byId = new Map<number, TraceEvent[]>();
    for (const e of flows) byId.set(e.bind_id!, [...(byId.get(e.bind_id!) ?? []), e]);
    for (const [, ends] of byId) {
      expect(ends.filter((e) => e.flow_out === true)).toHaveLength(1);
      expect(ends.filter((e) => e.flow_in === true)).toHaveLength(1);
      expect(ends).toHaveLength(2);
    }
  });

  it('draws the racing pair: the other thread\'s last change of the page or cache, to the finder\'s own last step on it', () => {
    const race = racingSteps(finding);
    // B1 (the refresh skips the retry): the evtchn thread installs pfn 52 into gpc 0 (#2522) while
    // the notifier's invalidation, which cleared it at #2511, is still in flight; the notifier's
    // check as its hook returns finds the cache valid.
    expect(race.other).toMatchObject({ thread: 'evtchn', step: 'refresh-install(valid=1)', order: 2522 });
    expect(race.own).toMatchObject({ thread: 'notifier', step: 'invalidate-clear(valid=0)', order: 2511 });
    // The arrow points forward in time: from the clear to the install that raced it.
    const out = timed.find((e) => e.flow_out && e.args!.order === 2511);
    const into = timed.find((e) => e.flow_in && e.bind_id === out!.bind_id);
    expect(into!.args!.order).toBe(2522);
  });

  it('shows the refresh and invalidation spans and the counters the protocol reads', () => {
    expect(timed.some((e) => e.cat === 'span' && e.name.startsWith('kvm_gpc_refresh'))).toBe(true);
    expect(timed.some((e) => e.cat === 'span' && e.name === 'mmu notifier invalidation')).toBe(true);
    const counters = new Set(timed.filter((e) => e.ph === 'C').map((e) => e.name));
    expect(counters).toEqual(new Set(['mmu_invalidate_seq', 'mn_active_invalidate_count', 'memslot generation', 'valid (gpc 0)']));
  });
});
