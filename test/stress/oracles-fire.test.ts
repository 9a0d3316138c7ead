/**
 * Each oracle, shown to fire when the protocol is broken on purpose (a bug switch), through the
 * general oracles only. The reference protocol's silence is in reference-protocol.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { findingsOf, firing, shortStress } from './stress-support.js';
import type { StressOptions } from '../../src/stress/stress-config.js';

/** Bounded retries for a race the schedule, not the seed, decides (P(miss) ~ 0.5 per run). */
const SCHEDULE_RACE_ATTEMPTS = 12;

/**
 * Runs the stress up to SCHEDULE_RACE_ATTEMPTS times, each with its own seed, until `property`
 * fires; returns its finding count and what fired in each run (for the failure message).
 */
async function untilFires(property: string, options: StressOptions): Promise<{ count: number; runs: string }> {
  const runs: string[] = [];
  let count = 0;
  for (let attempt = 0; attempt < SCHEDULE_RACE_ATTEMPTS && count === 0; attempt++) {
    const report = await shortStress({ ...options, seed: 11 + attempt });
    count = findingsOf(report, property);
    runs.push(`seed ${11 + attempt}: ${firing(report)}`);
  }
  return { count, runs: runs.join('; ') };
}

describe('oracles fire on a broken protocol', () => {
  it('invalidation that does not clear valid: host users touch freed pages (uaf-khva), events and records are lost (events, records)', async () => {
    const report = await shortStress({ bug: 'invalidate-skips-clear', workload: 'steal,xen', duration: 3 });
    expect(findingsOf(report, 'uaf-khva'), firing(report)).toBeGreaterThan(0);
    expect(findingsOf(report, 'events'), firing(report)).toBeGreaterThan(0);
    expect(findingsOf(report, 'records'), firing(report)).toBeGreaterThan(0);
  });

  it('refresh that skips the count/seq retry (history B1): a pfn freed by an invalidation in flight is installed, users touch it, and the host pte no longer maps it (stale-pte)', async () => {
    const report = await shortStress({ bug: 'refresh-skips-retry', duration: 3 });
    expect(findingsOf(report, 'uaf-khva') + findingsOf(report, 'uaf-guest-mode') + findingsOf(report, 'free-while-in-guest'), firing(report)).toBeGreaterThan(0);
    // Whether a user touches the page between the free and the install's next check is up to the
    // OS schedule: bounded retries, as for wrong-page.
    const stalePte = findingsOf(report, 'stale-pte') > 0 ? { count: 1, runs: '' } : await untilFires('stale-pte', { bug: 'refresh-skips-retry', duration: 3 });
    expect(stalePte.count, stalePte.runs).toBeGreaterThan(0);
  });

  it('refresh without the refresh mutex (history B3): one refresh installs its pfn under the other\'s gpa (wrong-page)', async () => {
    // The race that installs a wrong page happens in about half of 2-second runs (the OS schedule
    // decides, not the seed): up to SCHEDULE_RACE_ATTEMPTS runs, each with its own seed, until it fires.
    const wrongPage = await untilFires('wrong-page', { bug: 'refresh-without-mutex', workload: 'xen', vcpus: 4, juggleRate: 1000, eventRate: 20000 });
    expect(wrongPage.count, wrongPage.runs).toBeGreaterThan(0);
  });

  it('check that ignores the generation: a reader uses a translation from before a completed memslot update (stale-generation)', async () => {
    const report = await shortStress({ bug: 'check-ignores-generation', workload: 'steal', memslotRate: 200, duration: 3 });
    expect(findingsOf(report, 'stale-generation'), firing(report)).toBeGreaterThan(0);
  });

  it('refresh of an inactive cache: valid but off the list (state-invariant)', async () => {
    const report = await shortStress({ bug: 'refresh-ignores-active', workload: 'xen', juggleRate: 1000 });
    expect(findingsOf(report, 'state-invariant'), firing(report)).toBeGreaterThan(0);
  });

  it('deactivate that forgets to unmap: a kernel mapping leaks (leaks)', async () => {
    const report = await shortStress({ bug: 'deactivate-skips-unmap', workload: 'xen' });
    expect(findingsOf(report, 'leaks'), firing(report)).toBeGreaterThan(0);
  });

  it('activate that re-initializes the locks under their holders: corrupted lock words (lock-sanity)', async () => {
    const report = await shortStress({ bug: 'activate-reinits-locks', workload: 'xen', juggleRate: 2000, eventRate: 20000, duration: 3, stallTimeout: 1 });
    expect(findingsOf(report, 'lock-sanity'), firing(report)).toBeGreaterThan(0);
  });

  it('activate that nests vm.gpcLock inside gpc.lock, against the notifier\'s gpcLock -> gpc.lock: lockdep records the inversion (lock-sanity)', async () => {
    const report = await shortStress({ bug: 'activate-nests-list-lock', workload: 'xen', lockdep: true, stallTimeout: 1 });
    expect(findingsOf(report, 'lock-sanity') + findingsOf(report, 'stall'), firing(report)).toBeGreaterThan(0);
    expect(report.findings.some((f) => f.message.includes('circular locking dependency')) || findingsOf(report, 'stall') > 0).toBe(true);
  });

  it('a refresh error path that keeps refreshLock: the next refresh hangs and the watchdog reports a stall with every thread\'s state', async () => {
    const report = await shortStress({ bug: 'refresh-leaks-lock-on-error', workload: 'xen', stallTimeout: 1, duration: 4 });
    expect(findingsOf(report, 'stall'), firing(report)).toBeGreaterThan(0);
    expect(report.stall?.join('\n')).toContain('refreshLock');
    expect(report.exitCode).toBe(1);
    // The watchdog found it while the threads ran, not the end-of-run check.
    if (report.firstFinding?.property === 'stall') expect(report.firstFinding.duringRun).toBe(true);
  });

  it('an invalidation that never lowers the count: every later refresh retries forever (livelock)', async () => {
    const report = await shortStress({ bug: 'invalidate-end-leaks-count', workload: 'steal', livelockTimeout: 0.3, stallTimeout: 1 });
    expect(findingsOf(report, 'livelock'), firing(report)).toBeGreaterThan(0);
  });
});
