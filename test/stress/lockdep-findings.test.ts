/**
 * lockdep-lite under stress: a LockdepError a model thread hits (here: refresh without the
 * refresh mutex, so assertHeld fails) is a lock-sanity finding, not an internal error — the error
 * crosses the thread boundary as data, since a cloned Error loses its name. And lockdep stays
 * silent on the reference protocol.
 */
import { describe, expect, it } from 'vitest';
import { findingsOf, firing, shortStress } from './stress-support.js';

describe('lockdep under stress', () => {
  it('refresh-without-mutex with --lockdep: the LockdepError is a lock-sanity finding (exit 1), not an internal error', async () => {
    const report = await shortStress({ bug: 'refresh-without-mutex', lockdep: true, vcpus: 2, duration: 2, seed: 3 });
    expect(report.internalErrors).toEqual([]);
    expect(report.verdict).toBe('findings');
    expect(report.exitCode).toBe(1);
    expect(findingsOf(report, 'lock-sanity'), firing(report)).toBeGreaterThan(0);
    const lockdepFindings = report.findings.filter((f) => f.property === 'lock-sanity' && f.message.includes('lock not held'));
    expect(lockdepFindings.length, report.findings.map((f) => f.message).join('\n')).toBeGreaterThan(0);
    expect(lockdepFindings[0]!.message).toMatch(/^lockdep: \S+: LockdepError: lock not held: .*refreshLock/);
  });

  for (const strategy of ['locked', 'generation'] as const) {
    it(`strategy ${strategy} with --lockdep: no lockdep error or inversion on the reference protocol (clean)`, async () => {
      const report = await shortStress({ strategy, lockdep: true, duration: 1.5 });
      expect(report.internalErrors).toEqual([]);
      expect(firing(report)).toBe('none');
      expect(report.verdict).toBe('clean');
      expect(report.exitCode).toBe(0);
    });
  }
});
