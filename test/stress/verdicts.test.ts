/**
 * Verdicts that are not about the protocol: a run without oracles is 'unchecked' (not 'clean',
 * even for the unsafe strategy none), and a very short run with many threads, which stops before
 * some threads were scheduled past the start barrier, is no internal error.
 */
import { describe, expect, it } from 'vitest';
import { formatStressReport } from '../../src/stress/format-report.js';
import { shortStress } from './stress-support.js';

describe('stress verdicts', () => {
  it('--oracles off: verdict unchecked (exit 0), even for strategy none; the text says UNCHECKED (oracles off)', async () => {
    const report = await shortStress({ strategy: 'none', oracles: false, duration: 0.5 });
    expect(report.internalErrors).toEqual([]);
    expect(report.findingsTotal).toBe(0);
    expect(report.verdict).toBe('unchecked');
    expect(report.exitCode).toBe(0);
    expect(formatStressReport(report).join('\n')).toContain('verdict: UNCHECKED (oracles off) (exit 0)');
  });

  it('48 vCPUs for 0.01 s: threads that arrived at the start barrier after the stop count as started (no internal error)', async () => {
    const report = await shortStress({ vcpus: 48, duration: 0.01, seed: 5 });
    expect(report.internalErrors).toEqual([]);
    expect(report.verdict).toBe('clean');
    expect(report.exitCode).toBe(0);
  });
});
