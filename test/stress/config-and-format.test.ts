/** Stress option checks and report text that need no particular run. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/util/usage-error.js';
import { resolveStressConfig } from '../../src/stress/stress-config.js';
import { formatStressReport } from '../../src/stress/format-report.js';
import { shortStress } from './stress-support.js';

describe('stress config', () => {
  it('an empty --workload is a usage error naming the allowed values, not "all workloads"', () => {
    for (const workload of ['', ' , ', ['']]) {
      expect(() => resolveStressConfig({ workload })).toThrow(UsageError);
      expect(() => resolveStressConfig({ workload })).toThrow(/--workload must be one or more of xen, steal, nested/);
    }
    expect(resolveStressConfig({}).workload).toEqual(['xen', 'steal', 'nested', 'runstate']);
    expect(resolveStressConfig({ workload: 'xen' }).workload).toEqual(['xen']);
  });
});

describe('stress report text', () => {
  it('an impossible event or posted-interrupt count (read from poisoned pages) is printed as corrupt, a possible one as a count', async () => {
    const report = await shortStress({ oracles: false, duration: 0.3, workload: 'xen,nested' });
    const plain = formatStressReport(report).join('\n');
    expect(plain).not.toContain('corrupt');
    expect(plain).toContain(`${report.totals.eventsConsumed.toLocaleString('en-US')} consumed`);

    const poisoned = {
      ...report,
      totals: { ...report.totals, eventsSent: 1000, eventsConsumed: 121_115_901_241, posted: 10, nestedConsumed: 5_000_000_000, postedPendingAtEnd: 3 },
    };
    // The report wraps its prose at 100 columns: compare with the line breaks and indents as spaces.
    const lines = formatStressReport(poisoned);
    for (const line of lines) if (!/^\s+#\d/.test(line) && !line.includes('npx gpc-lab') && !/\S {2,}\S.* {2,}\S/.test(line.trimStart())) expect(line.length, line).toBeLessThanOrEqual(100);
    const text = lines.join('\n').replace(/\s+/g, ' ');
    expect(text).toContain('consumed: corrupt (121,115,901,241 read from poisoned pages, more than the 1,000 sent)');
    expect(text).not.toContain('121,115,901,241 consumed');
    expect(text).toContain('taken by the guest: corrupt (5,000,000,000 read from poisoned pages, more than the 10 posted)');
    expect(text).toContain('3 pending at the end');
  });
});
