/**
 * `replay REPORT --from-finding` (src/replay/from-finding.ts, best effort): the order it follows
 * is the finding's interleaving mapped to threads and steps; bad input is a usage error (exit 2,
 * one line); on a real-thread B1 finding it follows part of the order and says what happened, and
 * any finding it gets comes with a schedule file that replays it.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { directedOrder } from '../../src/replay/from-finding.js';
import { STEP_REFRESH_INSTALL, STEP_INV_START, stepName } from '../../src/trace/trace-steps.js';
import type { InterleavingEvent } from '../../src/stress/stress-report.js';
import { gpcLab, tmpCwd } from '../support/schedule-runs.js';

const ev = (thread: string, step: string, repeats?: number): InterleavingEvent => ({ order: 0, thread, step, seq: 0, count: 0, generation: 0, args: {}, ...(repeats !== undefined ? { repeats } : {}) });

describe('the order --from-finding follows', () => {
  it('maps each event to (thread index << 16) | step id, unfolds repeats, drops the FINDING and counts what it cannot map', () => {
    const { order, unmapped } = directedOrder(
      [ev('notifier', stepName(STEP_INV_START)), ev('vcpu-1', stepName(STEP_REFRESH_INSTALL), 2), ev('vcpu-7', stepName(STEP_REFRESH_INSTALL)), ev('ghost', stepName(STEP_INV_START)), ev('notifier', 'no-such-step'), ev('notifier', 'FINDING')],
      2,
    );
    // 2 vCPUs: vcpu-1 = 1, notifier = 2.
    expect([...order]).toEqual([(2 << 16) | STEP_INV_START, (1 << 16) | STEP_REFRESH_INSTALL, (1 << 16) | STEP_REFRESH_INSTALL]);
    expect(unmapped).toBe(3);
  });
});

describe('replay --from-finding on the command line', () => {
  it.each([
    ['{"not":"a report"}', 'is not a gpc-lab stress report'],
    ['{"tool":"gpc-lab","command":"stress","config":{},"findings":[],"verdict":"clean"}', 'has no finding to follow'],
    ['not json', 'is not a readable JSON file'],
  ])('%s: exit 2 with one line', (content, message) => {
    const cwd = tmpCwd('from-finding-bad');
    writeFileSync(join(cwd, 'r.json'), content);
    const result = gpcLab(cwd, ['replay', 'r.json', '--from-finding']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('on a real-thread B1 finding: follows part of its order, says whether it recurred, and a finding it gets replays from its schedule', () => {
    const cwd = tmpCwd('from-finding');
    const os = gpcLab(cwd, ['stress', '--vcpus', '2', '--bug', 'refresh-skips-retry', '--duration', '20', '--stop-on-finding', '--seed', '2', '--json']);
    expect(os.status, os.stderr).toBe(1);
    writeFileSync(join(cwd, 'os.json'), os.stdout);
    const result = gpcLab(cwd, ['replay', 'os.json', '--from-finding', '--out', 'found.json', '--json']);
    expect(result.status === 0 || result.status === 1, result.stderr).toBe(true);
    const r = JSON.parse(result.stdout) as { verdict: string; exitCode: number; events: number; passed: number; skipped: number; scheduleFile?: string; replayed?: string; report: { findings: unknown[]; schedule: { kind: string } } };
    expect(['recurred', 'other-finding', 'not-recurred']).toContain(r.verdict);
    expect(r.exitCode).toBe(result.status);
    expect(r.report.schedule.kind).toBe('random');
    expect(r.events).toBeGreaterThan(0);
    expect(r.passed).toBeLessThanOrEqual(r.events);
    expect(r.skipped).toBeLessThanOrEqual(r.passed);
    // A run without a finding went its whole step budget: the directed rule followed some of the
    // order then (an event passed that was not skipped). One with a finding may have stopped first.
    if (r.report.findings.length === 0) expect(r.passed - r.skipped).toBeGreaterThan(0);
    if (r.report.findings.length > 0) {
      expect(r.scheduleFile).toBe('found.json');
      expect(existsSync(join(cwd, 'found.json'))).toBe(true);
      expect(r.replayed).toBe('reproduced');
    } else expect(r.scheduleFile).toBeUndefined();
    expect(r.verdict === 'recurred').toBe(r.exitCode === 1);
  }, 300_000);
});
