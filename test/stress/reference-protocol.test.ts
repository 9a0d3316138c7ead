import { describe, expect, it } from 'vitest';
import { formatStressReport } from '../../src/stress/format-report.js';
import { checksOf, findingsOf, firing, shortStress } from './stress-support.js';

const SAFETY = ['uaf-khva', 'uaf-guest-mode', 'free-while-in-guest', 'stale-pte', 'stale-generation', 'stale-entry', 'wrong-page', 'state-invariant', 'events', 'records', 'lock-sanity', 'leaks'];

describe('the reference protocol under stress', () => {
  for (const strategy of ['locked', 'generation'] as const) {
    it(`strategy ${strategy}: invalidations, memslot moves, juggling and events all run, and no oracle fires`, async () => {
      const report = await shortStress({ strategy, duration: 3, memslotRate: 50 });
      expect(report.internalErrors).toEqual([]);
      expect(firing(report)).toBe('none');
      expect(report.exitCode).toBe(0);
      expect(report.totals.invalidationsThatCleared).toBeGreaterThan(0);
      expect(report.totals.pagesFreed).toBeGreaterThan(0);
      expect(report.totals.memslotMoves).toBeGreaterThan(0);
      expect(report.totals.juggles).toBeGreaterThan(0);
      expect(report.totals.eventsSent).toBeGreaterThan(0);
      expect(report.totals.eventsConsumed).toBeGreaterThan(0);
      expect(report.totals.posted).toBeGreaterThan(0);
      expect(report.totals.evictionWaits).toBeGreaterThan(0);
      for (const property of SAFETY) expect(checksOf(report, property), property).toBeGreaterThan(0);
    });
  }
});

describe('unsafe entry strategies', () => {
  it('strategy none: the hardware uses a page the mm freed, and the interleaving shows the free', async () => {
    // A deep flight recorder: a vCPU descheduled for a few ms after the free must still find the
    // notifier's page-free step in the notifier's ring (64 events can be overwritten by then).
    const report = await shortStress({ strategy: 'none', workload: 'nested', traceDepth: 1024 });
    expect(findingsOf(report, 'uaf-guest-mode') + findingsOf(report, 'free-while-in-guest')).toBeGreaterThan(0);
    expect(report.exitCode).toBe(1);
    // The use-after-free's interleaving shows the free; free-while-in-guest is caught just before it.
    const uaf = report.findings.find((f) => f.property === 'uaf-guest-mode');
    if (uaf) expect(uaf.interleaving.some((e) => e.step === 'page-free')).toBe(true);
    const early = report.findings.find((f) => f.property === 'free-while-in-guest');
    if (early) expect(early.interleaving.some((e) => e.step === 'mm-change')).toBe(true);
    expect(report.rerun).toContain('--strategy none');
    // The first-of-each list holds no two identical findings: repeats are folded, with their count.
    const keys = report.findings.map((f) => JSON.stringify([f.property, f.thread, f.cache, f.pfn, f.gpa, f.message]));
    expect(new Set(keys).size).toBe(keys.length);
    for (const f of report.findings) if (f.repeats !== undefined) expect(f.repeats).toBeGreaterThanOrEqual(2);

    // Each finding: named details (no a/b/c, no -1 for "none"), a structured interleaving ending at
    // its FINDING; the text labels every argument.
    for (const f of report.findings) {
      expect(Object.keys(f.details).length, f.property).toBeGreaterThan(0);
      for (const raw of ['a', 'b', 'c']) expect(f.details, f.property).not.toHaveProperty(raw);
      for (const v of [f.gpa, f.gfn, f.pfn]) if (v !== undefined) expect(v, f.property).toBeGreaterThanOrEqual(0);
    }
    if (uaf) expect(uaf.details).toMatchObject({ pageFree: expect.any(Boolean), pageEpoch: expect.any(Number), loadedEpoch: expect.any(Number) });
    if (early) expect(early.details).toMatchObject({ vcpu: expect.any(Number), register: expect.any(Number) });
    if (early) expect(early.cache).toMatch(/vAPIC page|PI descriptor/);
    const traced = report.findings.filter((f) => f.interleaving.length > 0);
    expect(traced.length).toBeGreaterThan(0);
    for (const f of traced) {
      expect(f.interleaving.at(-1)).toMatchObject({ step: 'FINDING', args: { property: f.property } });
      for (const e of f.interleaving) {
        expect(e).toMatchObject({ order: expect.any(Number), thread: expect.any(String), step: expect.any(String), seq: expect.any(Number), count: expect.any(Number), generation: expect.any(Number) });
        expect(e.args, e.step).not.toHaveProperty('arg');
      }
    }
    const text = formatStressReport(report).join('\n');
    expect(text).not.toMatch(/ arg=/);
    if (uaf) expect(text).toMatch(/page-free .* epoch=\d+/);
  });

  it('strategy lockless: entries after a memslot move run with a superseded translation (stale-entry), no page is freed under them', async () => {
    const report = await shortStress({ strategy: 'lockless', workload: 'nested', memslotRate: 200, duration: 3 });
    expect(findingsOf(report, 'stale-entry')).toBeGreaterThan(0);
    expect(findingsOf(report, 'uaf-guest-mode')).toBe(0);
    expect(findingsOf(report, 'free-while-in-guest')).toBe(0);
    expect(report.notes.join(' ')).toContain('missed memslot updates');
  });
});
